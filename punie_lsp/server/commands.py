"""`punie.ask`: a question answered by the agent, with work-done progress and cancellation.

The agent runs on a worker thread (it blocks on the model and the sandbox); the model runs on
the model host's own thread; this module only moves messages between them and the client.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcRequestCancelled
from pygls.uris import to_fs_path

from punie_lsp.agent.fixing import FixOutcome, FixRequest, fix
from punie_lsp.agent.grounding import explain
from punie_lsp.agent.loop import Answer, ask
from punie_lsp.agent.sandbox import Limits
from punie_lsp.model.generation import Backend, Cancelled, ModelError
from punie_lsp.server.progress import Progress
from punie_lsp.server.settings import ModelSettings

log = logging.getLogger(__name__)


class Command(StrEnum):
    """Every workspace/executeCommand the server offers."""

    ASK = "punie.ask"
    FIX = "punie.fix"
    CLEAR_FINDINGS = "punie.clearFindings"


class AskParams(BaseModel):
    question: str
    uri: str | None = None
    range: dict[str, Any] | None = None
    # A ruff code or ty rule (the "explain" action's diagnostic): answered from the rule's
    # documentation through the sandbox, with no model.
    rule: str | None = None
    # The request's own workDoneToken (server/protocol.py puts it here): the client chose it
    # and already listens on it, so no window/workDoneProgress/create is needed.
    work_done_token: int | str | None = Field(default=None, alias="workDoneToken")


P = TypeVar("P", bound=BaseModel)
R = TypeVar("R")


class FixParams(BaseModel):
    """`punie.fix`: the diagnostic to fix, in the buffer version it was shown on."""

    uri: str
    version: int
    line: int  # 0-based, as LSP counts
    source: str
    code: str
    message: str
    work_done_token: int | str | None = Field(default=None, alias="workDoneToken")


def _one_argument(command: Command, model: type[P], args: tuple[Any, ...]) -> P:
    fields = ", ".join(model.model_fields)
    if len(args) != 1:
        raise JsonRpcInvalidParams(f"{command.value} takes one argument: {{{fields}}}")
    raw = args[0]
    if not isinstance(raw, dict):
        raw = getattr(raw, "__dict__", raw)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise JsonRpcInvalidParams(f"{command.value}: {exc.errors()[0]['msg']}") from None


def parse_fix_params(args: tuple[Any, ...]) -> FixParams:
    return _one_argument(Command.FIX, FixParams, args)


def parse_params(args: tuple[Any, ...]) -> AskParams:
    params = _one_argument(Command.ASK, AskParams, args)
    if not params.question.strip():
        raise JsonRpcInvalidParams(f"{Command.ASK.value}: the question is empty")
    return params


# The most of a selection put into the question: a small model's context is short.
SELECTION_LINES = 60


def question_text(params: AskParams, root: Path, buffer: list[str] | None = None) -> str:
    """The question as the model sees it. With a range, it is about those lines of that file,
    and says so, with the selected code from the editor's buffer (not the disk's) when the
    file is open; a bare uri only tells where the user was, which would mislead a small
    model into checking that file whatever the question."""
    text = params.question.strip()
    path = to_fs_path(params.uri) if params.uri else None
    if path and params.range and "start" in params.range and "end" in params.range:
        where = Path(path)
        shown = where.relative_to(root) if where.is_relative_to(root) else where
        first = int(params.range["start"].get("line", 0)) + 1
        last = int(params.range["end"].get("line", 0)) + 1
        if last > first and int(params.range["end"].get("character", 0)) == 0:
            last -= 1  # a selection of whole lines ends at the start of the next one
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        text = f"{text} (in {shown}, {lines})"
        code = "".join(buffer[first - 1 : min(last, first - 1 + SELECTION_LINES)]) if buffer else ""
        if code.strip():
            text += f":\n```python\n{code.rstrip()}\n```"
    return text


async def explanation(
    settings: ModelSettings, params: AskParams, root: Path, where: str, progress: Progress
) -> Answer:
    """The "explain" action: the rule's documentation, the diagnostic's line before it."""
    assert params.rule is not None
    await progress.create()
    progress.begin("punie: explaining", params.rule)
    result = await asyncio.to_thread(
        explain, params.rule, root, where, Limits(timeout=settings.snippet_timeout)
    )
    progress.end(result.answer[:200] or (result.error or "done"))
    return result


async def answer(
    host: Backend,
    settings: ModelSettings,
    params: AskParams,
    root: Path,
    progress: Progress,
    buffer: list[str] | None = None,
    overlay: dict[str, str] | None = None,
) -> Answer:
    """The model's answer; buffer: the lines of the file the question is about, as the editor
    has them; overlay: the unsaved buffers' text by path, for the tools to see."""

    def work(cancel: threading.Event) -> Answer:
        return ask(
            question_text(params, root, buffer),
            root,
            host.generate,
            limits=Limits(timeout=settings.snippet_timeout),
            final_answer=settings.final_answer,
            max_tokens=settings.max_tokens,
            on_text=progress.stream,
            cancel=cancel,
            overlay=overlay,
        )

    title, question = "punie: answering", params.question[:80]
    result = await _on_the_model(host, progress, title, question, "the answer", work)
    result.timings.load = host.load_seconds
    progress.end(result.answer[:200] or (result.error or "done"))
    return result


async def fixed(
    host: Backend,
    settings: ModelSettings,
    request: FixRequest,
    root: Path,
    text: str,
    others: dict[str, str],
    progress: Progress,
) -> FixOutcome:
    """The model's fix for request's diagnostic on the buffer's text, verified."""

    def work(cancel: threading.Event) -> FixOutcome:
        limits = Limits(timeout=settings.snippet_timeout)
        return fix(
            request, root, host.generate, text=text, others=others, limits=limits, cancel=cancel
        )

    message = f"{request.code}: asking the model, then verifying"
    outcome = await _on_the_model(host, progress, "punie: fixing", message, "the fix", work)
    progress.end(outcome.title() if outcome.offered else (outcome.reason or "no fix"))
    return outcome


async def _on_the_model(
    host: Backend,
    progress: Progress,
    title: str,
    message: str,
    what: str,
    work: Callable[[threading.Event], R],
) -> R:
    """work(cancel) on a worker thread once the model has loaded, with work-done progress
    begun (the caller ends it) and both ways of cancelling: $/cancelRequest and the progress
    token's cancel."""
    await progress.create()
    cancel = threading.Event()
    progress.begin(title, message)
    progress.on_cancel(cancel.set)
    try:
        if not host.loaded.is_set():
            progress.report("waiting for the model to load")
            await asyncio.to_thread(host.loaded.wait)
        host.wait_loaded(0)  # raises ModelError when loading failed
        return await asyncio.to_thread(work, cancel)
    except asyncio.CancelledError:  # $/cancelRequest
        cancel.set()
        progress.end("cancelled")
        raise
    except Cancelled:  # the progress token was cancelled
        progress.end("cancelled")
        raise JsonRpcRequestCancelled(f"{what} was cancelled") from None
    except ModelError as exc:
        progress.end(str(exc))
        raise JsonRpcInvalidParams(str(exc)) from None  # a clear error, the server lives on
