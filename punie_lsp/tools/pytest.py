"""pytest_run(): every test's outcome, from pytest's own --junitxml report.

Starting pytest is most of a small project's test run (importing pytest and its plugins:
~0.4 s bare, over 1 s with heavy plugins, against ~0.2 s for the tests themselves). warm()
starts the project's `python -m pytest` ahead of need with those imports done, waiting for
its arguments; the next pytest_run in that project hands them over instead of starting one.
"""

import ast
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from punie_lsp.cache import cache_dir
from punie_lsp.tools.models import Finding, TestCase, TestResult, Wording, plural
from punie_lsp.tools.outcome import reports_tool_errors
from punie_lsp.tools.paths import as_argument, locate, project_python, walk
from punie_lsp.tools.process import (
    Completed,
    ToolError,
    finish_when_done,
    kill_group,
    run,
    start,
)

DEFAULT_TIMEOUT = 300.0

# pytest exit codes: 0 all passed, 1 some failed, 5 nothing collected, 2 interrupted (a
# collection error does that, and the report then holds the error). 3 and 4 (internal and
# usage errors) mean it could not run the session at all.
_OK_CODES = (0, 1, 2, 5)


def pytest_command(root: Path) -> list[str]:
    """The project's own pytest when it has a virtual environment, else ours."""
    python = project_python(root)
    return [str(python) if python is not None else sys.executable, "-m", "pytest"]


_LIMITS = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_CORE")
_WARM_SCRIPT = Path(__file__).with_name("pytest_warm.py")


def _env() -> dict[str, str]:
    # No __pycache__ folders left in the user's project by our test runs: compiled files go
    # to our cache instead, where they are reused. pytest keeps its assertion-rewritten
    # modules there too (its plugins' included: ~0.35 s to rewrite them again on every run
    # here), so PYTHONDONTWRITEBYTECODE, whose usual purpose the prefix serves, is dropped.
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(cache_dir("pycache")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class _Started:
    root: Path
    command: list[str]
    proc: subprocess.Popen[bytes]
    done: int  # the read end of the pipe its session's end is signalled on


class WarmPytest:
    """At most one pytest (tools/pytest_warm.py) started ahead of need, for one project and
    command, used once."""

    def __init__(self) -> None:
        self._started: _Started | None = None
        self._lock = threading.Lock()

    def start(self, root: str | Path) -> None:
        root = Path(root).resolve()
        command = pytest_command(root)
        done, tell = os.pipe()
        try:
            proc = start(
                [command[0], str(_WARM_SCRIPT), str(tell)],
                cwd=root,
                env=_env(),
                stdin=True,
                pass_fds=(tell,),
            )
        except ToolError:  # then pytest_run starts one, and says what failed
            os.close(done)
            return
        finally:
            os.close(tell)
        with self._lock:
            old, self._started = self._started, _Started(root, command, proc, done)
        if old is not None:
            _discard(old)

    def take(self, root: Path, command: list[str]) -> tuple[subprocess.Popen[bytes], int] | None:
        """The waiting pytest, if it was started for root and command and still lives."""
        with self._lock:
            started, self._started = self._started, None
        if started is None:
            return None
        if started.root == root and started.command == command and started.proc.poll() is None:
            return started.proc, started.done
        _discard(started)  # started for another project, or dead: not needed
        return None

    def waiting(self) -> subprocess.Popen[bytes] | None:
        """The pytest process waiting now, if any."""
        return self._started.proc if self._started is not None else None


def _discard(started: _Started) -> None:
    os.close(started.done)
    kill_group(started.proc)


WARM = WarmPytest()


def warm(root: str | Path) -> None:
    """Start pytest for the project at root, to wait for the next pytest_run there."""
    WARM.start(root)


def _run_pytest(root: Path, argv: list[str], args: list[str], timeout: float) -> Completed:
    warm = WARM.take(root, argv)
    if warm is None:
        return run([*argv, *args], cwd=root, timeout=timeout, ok_codes=_OK_CODES, env=_env())
    proc, done = warm
    # The limits a pytest started now would inherit from this process.
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in _LIMITS}
    request = json.dumps({"args": args, "limits": limits}) + "\n"
    return finish_when_done(proc, argv[0], request, done, timeout=timeout, ok_codes=_OK_CODES)


@reports_tool_errors(TestResult)
def pytest_run(
    path: str | Path | None = ".",
    *,
    cwd: str | Path | None = None,
    command: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> TestResult:
    """Run the tests under path and report each one. A source file's tests are the test
    files that exercise it (tests_for); no path: what the project's pytest configuration
    selects (testpaths)."""
    root, target = locate(path, cwd)
    selected: list[str] = []
    if target is not None and is_source(target):
        selected = tests_for(root, target)
        if not selected:
            why = f"no test file imports {'.'.join(_module(target))} or is named after it"
            return TestResult(success=False, parse_error=f"no tests for {target}: {why}")
    with tempfile.TemporaryDirectory(prefix="punie-pytest-") as tmp:
        report = Path(tmp) / "junit.xml"
        args = [
            "-q",
            "-p",
            "no:cacheprovider",  # never write .pytest_cache into the user's project
            "-o",
            "junit_family=xunit1",  # xunit1 keeps each test's file and line
            f"--junitxml={report}",
            *(["--", *selected] if selected else as_argument(target)),
        ]
        done = _run_pytest(root, command or pytest_command(root), args, timeout)
        if report.exists():
            return parse_junit_xml(report).model_copy(update={"selected": selected})
        if done.returncode == 5:
            return TestResult(success=True, selected=selected)
        return TestResult(success=False, parse_error=f"pytest wrote no report: {done.why()}")


# pytest's default python_files
TEST_FILE = re.compile(r"(^test_.*|.*_test)\.py$")


def is_source(target: str) -> bool:
    """Whether target is a module of the code, not a test file or conftest.py."""
    name = Path(target).name
    return name.endswith(".py") and not TEST_FILE.match(name) and name != "conftest.py"


def _module(target: str) -> list[str]:
    """A source file's dotted module name, as a test imports it (src/ is not a package)."""
    parts = list(Path(target).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return parts


def tests_for(root: Path, target: str) -> list[str]:
    """The test files that exercise a source module: those that import it (`import a.b`,
    `from a.b import x`, `from a import b`) or are named after it (test_b.py, b_test.py)."""
    module = _module(target)
    if not module:
        return []
    dotted, stem = ".".join(module), module[-1]
    chosen = []
    for folder, _, files in walk(root):
        for name in (f for f in files if TEST_FILE.match(f)):
            path = folder / name
            if name in (f"test_{stem}.py", f"{stem}_test.py") or _imports(path, dotted):
                chosen.append(path.relative_to(root).as_posix())
    return chosen


def _imports(path: Path, dotted: str) -> bool:
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return False
    parent, _, last = dotted.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == dotted or a.name.startswith(dotted + ".") for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == dotted or node.module.startswith(dotted + "."):
                return True
            if parent and node.module == parent and any(a.name == last for a in node.names):
                return True
    return False


def parse_junit_xml(report: Path) -> TestResult:
    try:
        tree = ET.parse(report)
    except (OSError, ET.ParseError) as exc:
        return TestResult(success=False, parse_error=f"unreadable pytest report: {exc}")
    tests = [_case(element) for element in tree.iter("testcase")]
    suites = list(tree.iter("testsuite"))
    counts = {
        outcome: sum(t.outcome == outcome for t in tests)
        for outcome in ("passed", "failed", "error", "skipped")
    }
    return TestResult(
        success=counts["failed"] == 0 and counts["error"] == 0,
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["error"],
        skipped=counts["skipped"],
        duration=sum(float(s.get("time", 0) or 0) for s in suites),
        tests=tests,
    )


def _case(element: ET.Element) -> TestCase:
    outcome = "passed"
    message = None
    failure_line = None
    file = element.get("file")
    for child in element:
        if child.tag in ("failure", "error", "skipped"):
            outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
            message = child.get("message") or (child.text or "").strip() or None
            failure_line = _failure_line(child.text or "", file)
            break
    line = element.get("line")
    return TestCase(
        name=element.get("name", ""),
        classname=element.get("classname", ""),
        file=file,
        # junit's line is pytest's 0-based location of the test function.
        line=int(line) + 1 if line is not None else None,
        outcome=outcome,
        duration=float(element.get("time", 0) or 0),
        message=message,
        failure_line=failure_line,
    )


def _failure_line(text: str, file: str | None) -> int | None:
    """The last `file:NN:` line of a traceback that is in the test's own file."""
    if not file:
        return None
    found = re.findall(rf"^{re.escape(file)}:(\d+):", text, flags=re.MULTILINE)
    return int(found[-1]) if found else None


WORDING = Wording(
    diagnostic="test {code} {kind}{detail}",
    diagnostic_code="pytest-{kind}",
    report="{kind}  {source}[{code}]{detail}",
    item="{code} ({file}:{line})",
    counts="{failed} failed and {passed} passed in {path}",
    clean="All {passed} tests in {path} pass.",
)


def findings(result: TestResult) -> list[Finding]:
    """A finding per failed or erroring test: on the test's line, with the line that raised
    kept beside it (file "" and line 0 when pytest did not say where the test is)."""
    found = []
    for t in result.tests:
        if t.outcome not in ("failed", "error"):
            continue
        first = (t.message or "").strip().splitlines()[:1]
        line = t.line or 0
        found.append(
            Finding(
                file=t.file or "",
                line=line,
                column=1,
                end_line=line + 1,
                end_column=1,
                severity="error",
                code=t.name,
                message=first[0] if first else "",
                source="pytest",
                kind=t.outcome,
                raised_line=t.failure_line,
                wording=WORDING,
            )
        )
    return found


def summary(result: TestResult) -> str:
    total = result.passed + result.failed + result.errors + result.skipped
    return (
        f"{result.failed} failed, {plural(result.errors, 'error')}, {result.passed} passed, "
        f"{result.skipped} skipped of {total}"
    )
