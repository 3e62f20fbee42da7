"""A proposed edit, checked before it is offered: ty, ruff and the tests that exercise the file,
on the buffer as it is and as the edit would leave it.

Both runs go through the sandbox (agent/sandbox.py) with the texts as an overlay: the edited
file is bound over its path inside the OS wall for that run only, so the user's files are never
written, and everything the tests do stays inside the wall. The two runs go at once (each in
its own worker) and are compared by what they found, not by line (an edit moves lines): a
problem the edit adds, one it removes, a test whose outcome changes. Nothing got worse when
nothing was added and no test got worse.
"""

import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, Field

from punie_lsp.agent.results import SandboxResult
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.tools.models import RuffViolation, TestResult, plural
from punie_lsp.tools.ruff import apply_fix

# A file larger than this is not verified: an edit to it is a rewrite, not a fix.
MAX_BYTES = 1_000_000
_WORSE = {"passed": 0, "skipped": 0, "failed": 1, "error": 1}  # rank of a test's outcome

# The tools on the one file; pytest_run on a source file runs the tests that import it or are
# named after it (tools/pytest.py: tests_for), on a test file that file.
_SNIPPET = 'typecheck({path!r})\nruff_check({path!r})\npytest_run({path!r})\nprint("checked")\n'


class Problem(BaseModel):
    """A diagnostic the edit added or removed."""

    source: str  # ty, ruff
    code: str
    line: int  # 1-based, in the text it was found in
    message: str


class TestChange(BaseModel):
    __test__ = False  # not for pytest to collect

    name: str
    before: str | None  # its outcome, or None where it did not run
    after: str | None


TESTS = "pytest"  # a Target's source for a failing test


class Target(BaseModel):
    """The diagnostic the edit is meant to fix: a rule of ty or ruff, or a failing test (source
    "pytest", code the test's name, file its test file), fixed when that test passes."""

    source: str
    code: str
    file: str | None = None


class Verification(BaseModel):
    path: str  # workspace-relative
    target_gone: bool | None = None  # None: no target given
    added: list[Problem] = Field(default_factory=list)
    removed: list[Problem] = Field(default_factory=list)
    tests: list[TestChange] = Field(default_factory=list)  # those whose outcome changed
    tests_run: int = 0
    seconds: float = 0.0
    error: str | None = None  # could not verify: refused, timed out, cancelled, a tool failed

    @property
    def worse(self) -> bool:
        """Whether the edit makes anything worse (or could not be shown not to)."""
        worse_test = any(
            _WORSE.get(t.after or "error", 1) > _WORSE.get(t.before or "passed", 0)
            for t in self.tests
        )
        return self.error is not None or bool(self.added) or worse_test

    @property
    def fixes(self) -> bool:
        """Whether the edit may be offered: its target is gone and nothing got worse."""
        return bool(self.target_gone) and not self.worse

    def summary(self) -> str:
        """What was verified, in a few words, for a code action's title."""
        if self.error is not None:
            return f"not verified: {self.error}"
        parts = []
        if self.target_gone is not None:
            parts.append("fixes it" if self.target_gone else "does not fix it")
        parts.append(plural(len(self.added), "new problem") if self.added else "no new problems")
        if self.tests_run:
            unchanged = self.tests_run - len(self.tests)
            parts.append(f"{unchanged}/{self.tests_run} tests unchanged")
            if fixed := sum(1 for t in self.tests if t.after == "passed"):
                parts.append(f"{fixed} now passing")
        else:
            parts.append("no tests exercise it")
        return ", ".join(parts)


def verify(
    root: Path,
    path: Path,
    before: str,
    after: str,
    *,
    target: Target | None = None,
    others: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
) -> Verification:
    """Compare the file at path with text before and with text after, the other unsaved
    buffers (others: path -> text) as they are."""
    start = time.perf_counter()
    root = root.resolve()
    where = path.resolve()
    shown = str(where.relative_to(root)) if where.is_relative_to(root) else str(path)
    refused = _refusal(root, where, after)
    if refused:
        return Verification(path=shown, error=refused)
    code = _SNIPPET.format(path=shown)
    if target is not None and target.file is not None and target.file != shown:
        code = f"pytest_run({target.file!r})\n{code}"  # the failing test, wherever it lives
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(run_code, code, root, limits, {**(others or {}), str(where): t}, cancel)
            for t in (before, after)
        ]
        old, new = (run.result() for run in runs)
    found = _compare(shown, old, new, target)
    found.seconds = time.perf_counter() - start
    return found


def verify_ruff_fix(
    root: Path,
    path: Path,
    text: str,
    violation: RuffViolation,
    *,
    others: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, Verification]:
    """ruff's own fix for violation made on text, and its verification against the violation."""
    assert violation.fix is not None
    after = apply_fix(text, violation.fix)
    target = Target(source="ruff", code=violation.code)
    checked = verify(
        root, path, text, after, target=target, others=others, limits=limits, cancel=cancel
    )
    return after, checked


def _refusal(root: Path, path: Path, after: str) -> str | None:
    if not path.is_relative_to(root):
        return "the file is outside the workspace"
    if path.suffix not in (".py", ".pyi"):
        return "only Python files are verified"
    if not path.is_file():
        return "the file is not on disk yet"
    if len(after.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return f"the edited file is over {MAX_BYTES // 1000} kB"
    return None


def _compare(
    shown: str, old: SandboxResult, new: SandboxResult, target: Target | None
) -> Verification:
    for run in (old, new):
        if run.error is not None:
            return Verification(path=shown, error=run.error)
        if run.notes:  # no wall: the edit could not be shown to the tools
            return Verification(path=shown, error=run.notes[0])
    before, after = _problems(old), _problems(new)
    added = _difference(after, before)
    removed = _difference(before, after)
    tests_before, tests_after = _tests(old), _tests(new)
    changed = [
        TestChange(name=name, before=tests_before.get(name), after=tests_after.get(name))
        for name in sorted(set(tests_before) | set(tests_after))
        if tests_before.get(name) != tests_after.get(name)
    ]
    gone = None
    if target is not None and target.source == TESTS:
        outcomes = [
            (tests_before.get(name), tests_after.get(name))
            for name in tests_before
            if _is_test(name, target)
        ]
        gone = bool(outcomes) and all(
            old_outcome in ("failed", "error") and new_outcome == "passed"
            for old_outcome, new_outcome in outcomes
        )
    elif target is not None:
        count = Counter((p.source, p.code) for p in after)
        was = Counter((p.source, p.code) for p in before)
        gone = count[(target.source, target.code)] < was[(target.source, target.code)]
    return Verification(
        path=shown, target_gone=gone, added=added, removed=removed, tests=changed,
        tests_run=len(set(tests_before) | set(tests_after)),
    )  # fmt: skip


def _problems(run: SandboxResult) -> list[Problem]:
    return [
        Problem(source=f.source, code=f.code, line=f.line, message=f.message)
        for tool in run.results
        if tool.tool != "pytest_run"
        for f in tool.findings()
    ]


def _difference(these: list[Problem], those: list[Problem]) -> list[Problem]:
    """these that those do not have, by what they say (lines move with an edit)."""
    left = Counter((p.source, p.code, p.message) for p in those)
    out = []
    for problem in these:
        key = (problem.source, problem.code, problem.message)
        if left[key]:
            left[key] -= 1
        else:
            out.append(problem)
    return out


def _tests(run: SandboxResult) -> dict[str, str]:
    """Each test's outcome by its full name, over the run's pytest_run calls."""
    found = {}
    for tool in run.results:
        if tool.tool == "pytest_run":
            result = tool.typed()
            assert isinstance(result, TestResult)
            found |= {f"{t.file}::{t.classname}::{t.name}": t.outcome for t in result.tests}
    return found


def _is_test(name: str, target: Target) -> bool:
    """Whether _tests' name is the target's test (of a parametrized one: each of its cases)."""
    file, _, test = name.split("::", 2)
    function = target.code.split("[", 1)[0]
    in_file = target.file is None or file == target.file
    return in_file and (test == target.code or (test.split("[", 1)[0] == function == target.code))
