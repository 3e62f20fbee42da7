"""The agent: question -> model -> direct answer, or code -> sandbox -> output (-> answer).

The model is any Backend's generate (the in-process host, the remote backend, or a scripted
fake in protocol tests).
"""

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from punie_lsp import prompt
from punie_lsp.agent.answer import Answer, Timings
from punie_lsp.agent.grammar import reply_grammar
from punie_lsp.agent.grounding import explain, explained, ground, rule_to_explain
from punie_lsp.agent.parse import parse
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.model.generation import GenerateRequest, Generation

Generate = Callable[[GenerateRequest], Generation]
__all__ = ["Answer", "Generate", "Timings", "ask"]


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
    grounded: bool = True,
    overlay: Mapping[str, str] | None = None,
) -> Answer:
    """Answer one question about the project at root. Cancellation raises model.Cancelled.
    With constrain, the first reply is decoded under the workspace's grammar
    (agent/grammar.py): a snippet can name only tools, fields and paths that exist. With
    grounded, a direct answer's text comes from documentation (agent/grounding.py). overlay:
    path -> text the tools see instead of the disk's (the editor's unsaved buffers)."""
    start = time.perf_counter()
    timings = Timings()
    cancel = cancel or threading.Event()

    def request(turns: list[dict[str, str]], grammar: str | None = None) -> GenerateRequest:
        return GenerateRequest(turns, max_tokens, prompt.STOP, on_text, cancel, grammar)

    if grounded and (rule := rule_to_explain(question)):
        # What a rule means is in its documentation: no model needed to pick the tool.
        documented = explain(rule, root, limits=limits)
        if explained(documented):
            documented.question = question
            documented.timings.total = time.perf_counter() - start
            return documented
    grammar = reply_grammar(Path(root), question) if constrain else None
    timings.grammar = time.perf_counter() - start
    first = generate(request(prompt.messages(question), grammar))
    _count(timings, first)
    reply = parse(first.text)
    answer = Answer(question=question, kind="direct", answer=reply.text, reply=first.text)
    if reply.kind == "tool" and reply.code is not None:
        answer.kind, answer.code = "tool", reply.code
        tool_start = time.perf_counter()
        ran = run_code(reply.code, root, limits, overlay)
        timings.tool = time.perf_counter() - tool_start
        answer.output, answer.error, answer.results = ran.output, ran.error, ran.results
        answer.notes = ran.notes
        answer.answer = ran.output.strip() if ran.error is None else f"The code failed: {ran.error}"
        if final_answer and ran.error is None and not cancel.is_set():
            final = generate(request(prompt.messages(question, reply.code, ran.output)))
            _count(timings, final)
            answer.answer = parse(final.text).text or answer.answer
    elif not reply.text:
        answer.error = "the model gave an empty answer"
    elif grounded and not cancel.is_set():
        tool_start = time.perf_counter()
        answer = ground(answer, root, limits)
        timings.tool = time.perf_counter() - tool_start
    if answer.notes:  # said with the answer, where every client shows it
        answer.answer = "\n\n".join([answer.answer, *(f"({note})" for note in answer.notes)])
    timings.total = time.perf_counter() - start
    answer.timings = timings
    return answer


def _count(timings: Timings, generation: Generation) -> None:
    timings.prompt += generation.prompt_seconds
    timings.generation += generation.generation_seconds
    timings.prompt_tokens += generation.prompt_tokens
    timings.cached_tokens += generation.cached_tokens
    timings.generation_tokens += generation.generation_tokens
    timings.corrected_tokens += generation.corrected_tokens
    timings.constraint += generation.constraint_seconds
    timings.constraint_build += generation.constraint_build_seconds
    timings.blas_threads = generation.blas_threads
