"""The "fix this" action: the model proposes a one-line edit for a diagnostic; it is offered
only once verified (agent/verify.py) to remove that diagnostic and make nothing worse.

The model writes one `propose_edit(file, line, new_text)` call, decoded under a grammar that
fixes the file and the line to the diagnostic's (agent/grammar.py: edit_grammar), so the
only thing it chooses is the new text. The call runs in the sandbox like any snippet (the
tool checks the line and records it; nothing is written), and the edit is verified on a
copy of the buffer's text. The editor applies an offered edit; this module never writes.
"""

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel

from punie_lsp import prompt
from punie_lsp.agent.grammar import edit_grammar
from punie_lsp.agent.parse import parse
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.agent.verify import Target, Verification, verify
from punie_lsp.model.generation import GenerateRequest, Generation
from punie_lsp.tools.edits import apply
from punie_lsp.tools.models import EditProposal

Generate = Callable[[GenerateRequest], Generation]
MAX_TOKENS = 96  # one line of code and the call around it


class FixRequest(BaseModel):
    """The diagnostic to fix."""

    path: str  # workspace-relative file
    line: int  # 1-based
    source: str  # ty | ruff
    code: str
    message: str


class FixOutcome(BaseModel):
    request: FixRequest
    reply: str = ""  # the model's reply, as written
    proposal: EditProposal | None = None
    verification: Verification | None = None
    after: str | None = None  # the file's text with the edit made, set only when offered
    reason: str | None = None  # why nothing is offered
    seconds: float = 0.0

    @property
    def offered(self) -> bool:
        return self.after is not None

    def title(self) -> str:
        """The applied edit's label: what the edit does, as verified."""
        assert self.verification is not None
        return f"Punie: fix {self.request.code} (verified: {self.verification.summary()})"


def question(request: FixRequest, line_text: str) -> str:
    """How a fix is asked for: the diagnostic and its line of code, as the editor shows them."""
    return (
        f"Fix this problem [{request.code}] in {request.path}, line {request.line}: "
        f"{request.message}\n```python\n{line_text}\n```"
    )


def propose(
    request: FixRequest,
    root: Path,
    generate: Generate,
    text: str,
    *,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, EditProposal | str]:
    """The model's reply and its proposal for the diagnostic's line, or why there is none."""
    lines = text.splitlines()
    if not 1 <= request.line <= len(lines):
        return "", f"{request.path} has no line {request.line}"
    turns = prompt.messages(question(request, lines[request.line - 1]))
    grammar = edit_grammar(request.path, request.line)
    cancel = cancel or threading.Event()
    reply = generate(GenerateRequest(turns, MAX_TOKENS, prompt.STOP, None, cancel, grammar)).text
    parsed = parse(reply)
    if parsed.kind != "tool" or parsed.code is None:
        return reply, "the model proposed no edit"
    overlay = {str((root / request.path).resolve()): text}
    ran = run_code(parsed.code, root, limits, overlay, cancel)
    if ran.error is not None:
        return reply, f"the proposed edit did not run: {ran.error}"
    proposals = [run.typed() for run in ran.results if run.tool == "propose_edit"]
    proposal = proposals[0] if len(proposals) == 1 else None
    if not isinstance(proposal, EditProposal):
        return reply, "the model did not propose exactly one edit"
    if not proposal.success:
        return reply, f"the proposed edit was refused: {proposal.parse_error}"
    # A backend that ignores the grammar (a remote engine) may name another line.
    if (Path(proposal.path), proposal.line) != (Path(request.path), request.line):
        return reply, f"the model proposed an edit to {proposal.path}:{proposal.line} instead"
    if proposal.new == proposal.old:
        return reply, "the model proposed no change"
    return reply, proposal


def fix(
    request: FixRequest,
    root: Path,
    generate: Generate,
    *,
    text: str | None = None,
    others: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
) -> FixOutcome:
    """A verified fix for request's diagnostic, or the reason there is none. text: the file as
    the editor has it (default: the disk's); others: the other unsaved buffers by path."""
    start = time.perf_counter()
    root = root.resolve()
    outcome = FixOutcome(request=request)
    where = root / request.path
    try:
        before = text if text is not None else where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        outcome.reason = f"{request.path} could not be read: {exc}"
        return outcome
    outcome.reply, proposed = propose(request, root, generate, before, limits=limits, cancel=cancel)
    if isinstance(proposed, str):
        outcome.reason = proposed
    else:
        outcome.proposal = proposed
        after = apply(before, proposed)
        target = Target(source=request.source, code=request.code)
        checked = verify(
            root, where, before, after, target=target, others=others, limits=limits,
            cancel=cancel,
        )  # fmt: skip
        outcome.verification = checked
        if checked.error is not None:
            outcome.reason = f"the edit could not be verified: {checked.error}"
        elif checked.fixes:
            outcome.after = after
        else:
            outcome.reason = f"the proposed edit was not offered: {checked.summary()}"
    outcome.seconds = time.perf_counter() - start
    return outcome
