"""The agent: question -> model -> direct answer, or code -> sandbox -> output (-> answer).

The model is any Backend's generate (the in-process host, the remote backend, or a scripted
fake in protocol tests).
"""

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from punie_lsp import prompt
from punie_lsp.agent.grammar import reply_grammar
from punie_lsp.agent.parse import parse
from punie_lsp.agent.results import ToolRun
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.model.generation import GenerateRequest, Generation

Generate = Callable[[GenerateRequest], Generation]


class Timings(BaseModel):
    load: float = 0.0  # waiting for the model to finish loading
    prompt: float = 0.0  # prompt processing, until the first token
    generation: float = 0.0
    tool: float = 0.0  # the sandbox run, typed tools included
    total: float = 0.0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generation_tokens: int = 0
    corrected_tokens: int = 0  # greedy tokens the grammar turned down


class Answer(BaseModel):
    """What `punie-lsp ask --json` prints and `punie.ask` returns."""

    question: str
    kind: Literal["tool", "direct"]
    code: str | None = None
    output: str | None = None
    answer: str = ""
    error: str | None = None
    results: list[ToolRun] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    reply: str = ""  # the model's raw first reply, for debugging and evaluation


def ask(
    question: str,
    root: str | Path,
    generate: Generate,
    *,
    limits: Limits | None = None,
    final_answer: bool = False,
    max_tokens: int = 256,
    on_text: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    constrain: bool = True,
) -> Answer:
    """Answer one question about the project at root. Cancellation raises model.Cancelled.
    With constrain, the first reply is decoded under the workspace's grammar
    (agent/grammar.py): a snippet can name only tools, fields and paths that exist."""
    start = time.perf_counter()
    timings = Timings()
    cancel = cancel or threading.Event()

    def request(turns: list[dict[str, str]], grammar: str | None = None) -> GenerateRequest:
        return GenerateRequest(turns, max_tokens, prompt.STOP, on_text, cancel, grammar)

    grammar = reply_grammar(Path(root)) if constrain else None
    first = generate(request(prompt.messages(question), grammar))
    _count(timings, first)
    reply = parse(first.text)
    answer = Answer(question=question, kind="direct", answer=reply.text, reply=first.text)
    if reply.kind == "tool" and reply.code is not None:
        answer.kind, answer.code = "tool", reply.code
        tool_start = time.perf_counter()
        ran = run_code(reply.code, root, limits)
        timings.tool = time.perf_counter() - tool_start
        answer.output, answer.error, answer.results = ran.output, ran.error, ran.results
        answer.answer = ran.output.strip() if ran.error is None else f"The code failed: {ran.error}"
        if final_answer and ran.error is None and not cancel.is_set():
            final = generate(request(prompt.messages(question, reply.code, ran.output)))
            _count(timings, final)
            answer.answer = parse(final.text).text or answer.answer
    elif not reply.text:
        answer.error = "the model gave an empty answer"
    timings.total = time.perf_counter() - start
    answer.timings = timings
    return answer


# What the editor's "explain" action runs: the rule's documentation, from the tool.
_EXPLAIN = """doc = explain_rule({rule!r})
if doc.success:
    print(f"{{doc.code}} {{doc.name}} ({{doc.tool}})")
    print(doc.what)
    if doc.why:
        print()
        print("Why:", doc.why)
    if doc.example:
        print()
        print("Example:", doc.example)
    if doc.fix:
        print()
        print("Fix:", doc.fix)
else:
    print(doc.parse_error)"""


def explain(rule: str, root: str | Path, where: str = "", limits: Limits | None = None) -> Answer:
    """A rule explained from its tool's own documentation, with no model: the caller knows
    the rule (a diagnostic's code), so nothing needs choosing. where, the diagnostic and its
    line, comes first in the answer."""
    start = time.perf_counter()
    code = _EXPLAIN.format(rule=rule)
    ran = run_code(code, root, limits)
    answer = Answer(question=f"Explain {rule}", kind="tool", code=code, output=ran.output)
    answer.error, answer.results = ran.error, ran.results
    told = ran.output.strip() if ran.error is None else f"The code failed: {ran.error}"
    answer.answer = f"{where}\n\n{told}" if where else told
    answer.timings = Timings(tool=time.perf_counter() - start, total=time.perf_counter() - start)
    return answer


def _count(timings: Timings, generation: Generation) -> None:
    timings.prompt += generation.prompt_seconds
    timings.generation += generation.generation_seconds
    timings.prompt_tokens += generation.prompt_tokens
    timings.cached_tokens += generation.cached_tokens
    timings.generation_tokens += generation.generation_tokens
    timings.corrected_tokens += generation.corrected_tokens
