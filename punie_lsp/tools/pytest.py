"""pytest_run(): every test's outcome, from pytest's own --junitxml report.

Starting pytest is most of a small project's test run (importing pytest and its plugins:
~0.4 s bare, over 1 s with heavy plugins, against ~0.2 s for the tests themselves). warm()
starts the project's `python -m pytest` ahead of need with those imports done, waiting for
its arguments; the next pytest_run in that project hands them over instead of starting one.
"""

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from punie_lsp.cache import cache_dir
from punie_lsp.tools.models import TestCase, TestResult
from punie_lsp.tools.paths import locate
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
    for venv in (".venv", "venv"):
        python = root / venv / "bin" / "python"
        if python.is_file():
            return [str(python), "-m", "pytest"]
    return [sys.executable, "-m", "pytest"]


# Run by the project's interpreter as `python -c WARM FD`: import pytest, and what its
# plugins import (the plugin modules themselves are forgotten again, so that pytest imports
# them under its assertion rewriter as it always does); then wait for one line of JSON, take
# the resource limits the caller has at that moment, and run as `python -m pytest ARGS`
# would, writing the exit status to the pipe FD once the session (and its report) is done:
# the caller need not wait for the interpreter's teardown (~0.25 s here).
WARM = r"""
import json, resource, runpy, sys
def preload():
    import os
    import pytest
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return
    from importlib.metadata import entry_points
    plugins = list(entry_points(group="pytest11"))
    before = set(sys.modules)
    for plugin in plugins:
        try:
            plugin.load()
        except Exception:
            pass
    tops = {plugin.value.split(":")[0].split(".")[0] for plugin in plugins}
    for name in set(sys.modules) - before:
        if name.split(".")[0] in tops:
            del sys.modules[name]
try:
    preload()
except Exception:
    pass  # pytest reports it for real when it runs
def done_plugin(fd):
    import os, types, pytest
    @pytest.hookimpl(trylast=True)  # after the junit report is written
    def pytest_sessionfinish(session, exitstatus):
        os.write(fd, str(int(exitstatus)).encode())
        os.close(fd)
    plugin = types.ModuleType("punie_done", "PYTEST_DONT_REWRITE")
    plugin.pytest_sessionfinish = pytest_sessionfinish
    sys.modules[plugin.__name__] = plugin
    return ["-p", plugin.__name__]
done = int(sys.argv[1])
line = sys.stdin.readline()
if not line:
    sys.exit(0)
request = json.loads(line)
for name, value in request["limits"].items():
    resource.setrlimit(getattr(resource, name), tuple(value))
sys.argv = ["pytest", *done_plugin(done), *request["args"]]
runpy.run_module("pytest", run_name="__main__", alter_sys=True)
"""
_LIMITS = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_CORE")

_warm: tuple[Path, list[str], subprocess.Popen[bytes], int] | None = None


def _env() -> dict[str, str]:
    # No __pycache__ folders left in the user's project by our test runs: compiled files go
    # to our cache instead, where they are reused. pytest keeps its assertion-rewritten
    # modules there too (its plugins' included: ~0.35 s to rewrite them again on every run
    # here), so PYTHONDONTWRITEBYTECODE, whose usual purpose the prefix serves, is dropped.
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(cache_dir("pycache")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm(root: str | Path) -> None:
    """Start pytest for the project at root, to wait for the next pytest_run there."""
    global _warm
    root = Path(root).resolve()
    command = pytest_command(root)
    done, tell = os.pipe()
    try:
        proc = start([command[0], "-c", WARM, str(tell)], cwd=root, env=_env(), stdin=True,
                     pass_fds=(tell,))  # fmt: skip
    except ToolError:  # then pytest_run starts one, and says what failed
        os.close(done)
        return
    finally:
        os.close(tell)
    _warm = (root, command, proc, done)


def _take_warm(root: Path, command: list[str]) -> tuple[subprocess.Popen[bytes], int] | None:
    global _warm
    if _warm is None:
        return None
    (warm_root, warm_command, proc, done), _warm = _warm, None
    if warm_root == root and warm_command == command and proc.poll() is None:
        return proc, done
    os.close(done)
    kill_group(proc)  # started for another project, or dead: not needed
    return None


def _run_pytest(root: Path, argv: list[str], args: list[str], timeout: float) -> Completed:
    warm = _take_warm(root, argv)
    if warm is None:
        return run([*argv, *args], cwd=root, timeout=timeout, ok_codes=_OK_CODES, env=_env())
    proc, done = warm
    # The limits a pytest started now would inherit from this process.
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in _LIMITS}
    request = json.dumps({"args": args, "limits": limits}) + "\n"
    return finish_when_done(proc, argv[0], request, done, timeout=timeout, ok_codes=_OK_CODES)


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
        args = [
            "-q",
            "-p",
            "no:cacheprovider",  # never write .pytest_cache into the user's project
            "-o",
            "junit_family=xunit1",  # xunit1 keeps each test's file and line
            f"--junitxml={report}",
            target,
        ]
        try:
            done = _run_pytest(root, command or pytest_command(root), args, timeout)
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
