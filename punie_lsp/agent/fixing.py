"""The "fix this" action: the model proposes a one-line edit for a diagnostic; it is offered
only once verified (agent/verify.py) to remove that diagnostic and make nothing worse.

The model writes one `propose_edit(file, line, new_text)` call, decoded under a grammar that
fixes where the edit may go (agent/grammar.py: edit_grammar): for a ty or ruff diagnostic its
own line, so the only thing the model chooses is the new text; for a failing test, one line
of the project's code the test calls (agent/under_test.py), shown in the question with its
line numbers, and the fix is verified by the test passing. The call runs in the sandbox like
any snippet (the tool checks the line and records it; nothing is written), and the edit is
verified on a copy of the buffer's text. The editor applies an offered edit; this module
never writes.
"""

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel

from punie_lsp import prompt
from punie_lsp.agent.grammar import edit_grammar
from punie_lsp.agent.parse import parse
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.agent.under_test import FailingTest, failing_test
from punie_lsp.agent.verify import TESTS, Target, Verification, verify
from punie_lsp.model.generation import GenerateRequest, Generation
from punie_lsp.tools.edits import apply
from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.models import EditProposal

Generate = Callable[[GenerateRequest], Generation]
MAX_TOKENS = 96  # one line of code and the call around it


class FixRequest(BaseModel):
    """The diagnostic to fix."""

    path: str  # workspace-relative file
    line: int  # 1-based
    source: str  # ty | ruff | pytest
    code: str  # the rule, or the failing test's name
    message: str

    def target(self) -> Target:
        if self.source == TESTS:
            return Target(source=TESTS, code=self.code, file=self.path)
        return Target(source=self.source, code=self.code)


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


def test_question(request: FixRequest, failing: FailingTest) -> str:
    """How a failing test's fix is asked for: the test, its failure and the numbered lines
    of the code it calls, where the edit is to go."""
    code = "\n".join(f"# {d.path}\n{d.numbered()}" for d in failing.under_test)
    test = "\n".join(failing.test.lines)
    return (
        f"Fix this failing test [{request.code}] in {request.path}, line {request.line}: "
        f"{request.message}\n```python\n{test}\n```\nThe code it calls:\n```python\n{code}\n```"
    )


class Asked(NamedTuple):
    """What the model is asked for a fix: the question, where the edit may go (file, line)
    and the grammar of the reply."""

    question: str
    sites: list[tuple[str, int]]
    grammar: str


def asked(request: FixRequest, root: Path, read: Callable[[str], str | None]) -> Asked | str:
    """The question for request, the sites its edit may go to and the reply's grammar, or
    why there is nothing to ask."""
    if request.source == TESTS:
        failing = failing_test(root, request.path, request.code, read)
        if failing is None:
            return f"found none of the project's code that {request.code} calls"
        text, sites = test_question(request, failing), failing.sites()
    else:
        lines = split_lines(read(request.path) or "", keepends=False)
        if not 1 <= request.line <= len(lines):
            return f"{request.path} has no line {request.line}"
        text, sites = question(request, lines[request.line - 1]), [(request.path, request.line)]
    lines = {path: split_lines(read(path) or "", keepends=False) for path in {p for p, _ in sites}}
    return Asked(text, sites, edit_grammar(*[(p, n, _indent(lines[p][n - 1])) for p, n in sites]))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def reader(root: Path, buffers: Mapping[str, str] | None = None) -> Callable[[str], str | None]:
    """A workspace-relative file's text: the editor's buffer (buffers: by absolute path) where
    it has one, else the disk's; None where it cannot be read as UTF-8."""

    def read(path: str) -> str | None:
        where = str((root / path).resolve())
        try:
            if buffers is not None and where in buffers:
                return buffers[where]
            return Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return read


def propose(
    request: FixRequest,
    root: Path,
    generate: Generate,
    read: Callable[[str], str | None],
    *,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, EditProposal | str]:
    """The model's reply and its proposal for request, or why there is none. read: a
    workspace-relative file's text as the editor has it (None: unreadable)."""
    found = asked(request, root, read)
    if isinstance(found, str):
        return "", found
    text, sites, grammar = found
    turns = prompt.messages(text)
    cancel = cancel or threading.Event()
    reply = generate(GenerateRequest(turns, MAX_TOKENS, prompt.STOP, None, cancel, grammar)).text
    parsed = parse(reply)
    if parsed.kind != "tool" or parsed.code is None:
        return reply, "the model proposed no edit"
    paths = {p for p, _ in sites}
    overlay = {str((root / p).resolve()): t for p in paths if (t := read(p)) is not None}
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
    if (proposal.path, proposal.line) not in {(Path(p).as_posix(), n) for p, n in sites}:
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
    """A verified fix for request's diagnostic, or the reason there is none. text: the
    diagnostic's file as the editor has it (default: the disk's); others: the other unsaved
    buffers by absolute path. The edit may be to another file (a failing test's fix is in
    the code it calls): FixOutcome.proposal.path says which."""
    start = time.perf_counter()
    root = root.resolve()
    outcome = FixOutcome(request=request)
    buffers = dict(others or {})
    if text is not None:
        buffers[str((root / request.path).resolve())] = text
    read = reader(root, buffers)
    if read(request.path) is None:
        outcome.reason = f"{request.path} could not be read as UTF-8 text"
        return outcome
    outcome.reply, proposed = propose(request, root, generate, read, limits=limits, cancel=cancel)
    if isinstance(proposed, str):
        outcome.reason = proposed
    else:
        outcome.proposal = proposed
        edited = root / proposed.path
        before = read(proposed.path)
        assert before is not None  # the proposal was made on it
        after = apply(before, proposed)
        checked = verify(
            root, edited, before, after, target=request.target(), others=buffers, limits=limits,
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
