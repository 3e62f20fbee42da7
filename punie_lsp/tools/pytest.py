"""pytest_run(): every test's outcome, from pytest's own --junitxml report."""

import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from punie_lsp.tools.models import TestCase, TestResult
from punie_lsp.tools.paths import locate
from punie_lsp.tools.process import ToolError, run

DEFAULT_TIMEOUT = 300.0

# pytest exit codes: 0 all passed, 1 some failed, 5 nothing collected, 2 interrupted (a
# collection error does that, and the report then holds the error). 3 and 4 (internal and
# usage errors) mean it could not run the session at all.
_OK_CODES = (0, 1, 2, 5)


def pytest_command(root: Path) -> list[str]:
    """The project's own pytest when it has a virtual environment, else ours."""
    for venv in (".venv", "venv"):
        python = root / venv / "bin" / "python"
        if python.is_file():
            return [str(python), "-m", "pytest"]
    return [sys.executable, "-m", "pytest"]


def pytest_run(
    path: str | Path = ".",
    *,
    cwd: str | Path | None = None,
    command: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> TestResult:
    """Run the tests under path and report each one."""
    root, target = locate(path, cwd)
    with tempfile.TemporaryDirectory(prefix="punie-pytest-") as tmp:
        report = Path(tmp) / "junit.xml"
        argv = [
            *(command or pytest_command(root)),
            "-q",
            "-p",
            "no:cacheprovider",  # never write .pytest_cache into the user's project
            "-o",
            "junit_family=xunit1",  # xunit1 keeps each test's file and line
            f"--junitxml={report}",
            target,
        ]
        try:
            # No __pycache__ folders left in the user's project by our test runs.
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            done = run(argv, cwd=root, timeout=timeout, ok_codes=_OK_CODES, env=env)
        except ToolError as exc:
            return TestResult(success=False, parse_error=str(exc))
        if report.exists():
            return parse_junit_xml(report)
        if done.returncode == 5:
            return TestResult(success=True)
        return TestResult(success=False, parse_error=f"pytest wrote no report: {done.why()}")


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
