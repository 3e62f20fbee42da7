"""The typed tools against the real ruff, ty and pytest, and every way a tool can fail."""

import json
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from punie_lsp.cache import cache_dir
from punie_lsp.tools import pytest as pytest_tool
from punie_lsp.tools import (
    pytest_run,
    ruff_check,
    ruff_check_text,
    ruff_fix_text,
    typecheck,
)
from punie_lsp.tools.process import REAP_GRACE, ToolError

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
BIN = Path(sys.executable).parent


def fake_tool(tmp: Path, body: str) -> str:
    path = tmp / "fake-tool"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_typecheck_reports_what_ty_reports() -> None:
    result = typecheck(SAMPLE)
    raw = json.loads(
        subprocess.run(
            [BIN / "ty", "check", "--output-format", "gitlab", "--no-progress"],
            cwd=SAMPLE,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert result.parse_error is None and not result.success
    assert result.error_count == len(raw) == 3
    got = {(e.file, e.line, e.column, e.end_line, e.end_column, e.code) for e in result.errors}
    want = {
        (
            item["location"]["path"],
            item["location"]["positions"]["begin"]["line"],
            item["location"]["positions"]["begin"]["column"],
            item["location"]["positions"]["end"]["line"],
            item["location"]["positions"]["end"]["column"],
            item["check_name"],
        )
        for item in raw
    }
    assert got == want
    union = [e for e in result.errors if e.code == "missing-union-attribute"]
    assert [(e.file, e.line) for e in union] == [
        ("src/ledger/transfers.py", 8),
        ("src/ledger/transfers.py", 9),
    ]
    assert all(e.severity == "error" and not e.message.startswith(e.code) for e in union)


def test_ruff_check_keeps_fixes_and_matches_ruff() -> None:
    result = ruff_check(SAMPLE)
    raw = json.loads(
        subprocess.run(
            [BIN / "ruff", "check", "--output-format", "json", "--no-cache"],
            cwd=SAMPLE,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert result.violation_count == len(raw) == 5
    assert result.fixable_count == 5
    assert sorted(v.code for v in result.violations) == sorted(i["code"] for i in raw)
    unused_os = next(v for v in result.violations if "`os`" in v.message)
    assert (unused_os.file, unused_os.line, unused_os.column) == ("src/ledger/accounts.py", 1, 8)
    assert (unused_os.end_line, unused_os.end_column) == (1, 10)
    assert unused_os.fix is not None and unused_os.fix.applicability == "safe"
    assert unused_os.fix.edits[0].content == ""
    assert unused_os.url is not None and unused_os.url.endswith("/unused-import")


def test_pytest_run_reports_each_test() -> None:
    result = pytest_run(SAMPLE)
    assert result.parse_error is None and not result.success
    assert (result.passed, result.failed, result.errors, result.skipped) == (4, 1, 0, 0)
    failed = next(t for t in result.tests if t.outcome == "failed")
    assert (failed.name, failed.file, failed.line) == (
        "test_fee_rounds_up",
        "tests/test_transfers.py",
        11,
    )
    assert failed.failure_line == 12
    assert failed.message is not None and "assert 1 == 2" in failed.message
    assert all(t.duration >= 0 for t in result.tests)
    assert not (SAMPLE / ".pytest_cache").exists()  # nothing written into the project
    assert not list(SAMPLE.rglob("__pycache__"))


def test_tools_on_a_syntax_error_and_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '0'\n")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    ruff = ruff_check(tmp_path)
    assert {(v.file, v.code) for v in ruff.violations} == {
        ("broken.py", "invalid-syntax"),
        ("latin.py", "E902"),
    }
    ty = typecheck(tmp_path)
    assert ty.parse_error is None  # ty exits 2 here, but its report is complete
    assert {(e.file, e.code) for e in ty.errors} == {
        ("broken.py", "invalid-syntax"),
        ("latin.py", "io"),
    }
    assert (tmp_path / "latin.py").read_bytes() == b"name = '\xe9t\xe9'\n"


def test_pytest_collection_error_is_reported(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text("def test_x(:\n    pass\n")
    result = pytest_run(tmp_path)
    assert not result.success and result.errors == 1
    assert result.tests[0].outcome == "error"
    assert result.tests[0].message


def test_pytest_usage_error_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '--bogus'\n")
    result = pytest_run(tmp_path)
    assert not result.success and "--bogus" in (result.parse_error or "")


def test_no_tests_is_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text("x = 1\n")
    result = pytest_run(tmp_path)
    assert result.success and result.tests == [] and result.parse_error is None


def test_missing_executable() -> None:
    assert "not found" in (typecheck(SAMPLE, executable="/no/ty").parse_error or "")
    assert "not found" in (ruff_check(SAMPLE, executable="/no/ruff").parse_error or "")
    result = pytest_run(SAMPLE, command=["/no/python", "-m", "pytest"])
    assert not result.success and "cannot start" in (result.parse_error or "")


def test_hanging_tool_is_killed(tmp_path: Path) -> None:
    hang = fake_tool(tmp_path, "sleep 600")
    for result in (
        typecheck(SAMPLE, executable=hang, timeout=1),
        ruff_check(SAMPLE, executable=hang, timeout=1),
        pytest_run(SAMPLE, command=[hang], timeout=1),
    ):
        assert not result.success
        assert "timed out after 1 s" in (result.parse_error or "")


def test_hanging_test_is_cut_off(tmp_path: Path) -> None:
    (tmp_path / "test_forever.py").write_text(
        "def test_forever():\n    while True:\n        pass\n"
    )
    result = pytest_run(tmp_path, timeout=3)
    assert not result.success and "timed out" in (result.parse_error or "")


def test_crash_and_garbage(tmp_path: Path) -> None:
    crash = fake_tool(tmp_path, "echo 'panicked at src/lib.rs' >&2; exit 101")
    result = typecheck(SAMPLE, executable=crash)
    assert not result.success and "exit code 101: panicked" in (result.parse_error or "")
    garbage = fake_tool(tmp_path, "echo '[{\"half\": '")
    assert "unreadable ty output" in (typecheck(SAMPLE, executable=garbage).parse_error or "")
    assert "unreadable ruff output" in (ruff_check(SAMPLE, executable=garbage).parse_error or "")
    wrong_shape = fake_tool(tmp_path, "echo '[{\"code\": 1}]'")
    assert "unreadable" in (ruff_check(SAMPLE, executable=wrong_shape).parse_error or "")


def test_ruff_on_unsaved_text_uses_the_projects_config() -> None:
    target = SAMPLE / "src" / "ledger" / "accounts.py"
    text = "import os\nfrom typing import Optional\nx: Optional[int] = None\n"
    result = ruff_check_text(text, target)
    # UP045 comes from the sample's own `select`; the default rule set lacks it.
    assert {v.code for v in result.violations} == {"I001", "F401", "UP045"}
    assert all(v.file == "src/ledger/accounts.py" for v in result.violations)
    fixed = ruff_fix_text(text, target)
    assert fixed == "x: int | None = None\n"
    only_imports = ruff_fix_text(text, target, select=["F401"])
    assert only_imports == "from typing import Optional\nx: Optional[int] = None\n"


def test_ruff_fix_text_raises_when_ruff_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not found"):
        ruff_fix_text("x = 1\n", tmp_path / "a.py", executable="/no/ruff")


def test_a_warm_pytest_reports_what_a_cold_one_does() -> None:
    cold = pytest_run(SAMPLE)
    pytest_tool.warm(SAMPLE)
    started = pytest_tool.WARM.waiting()
    assert started is not None
    warm = pytest_run(SAMPLE)
    assert pytest_tool.WARM.waiting() is None  # used, and only once: it ran the session and exits
    assert started.wait(30) == 1  # pytest's status when a test failed
    strip = {"duration": True, "tests": {"__all__": {"duration"}}}
    assert warm.model_dump(exclude=strip) == cold.model_dump(exclude=strip)
    assert not (SAMPLE / ".pytest_cache").exists()
    assert not list(SAMPLE.rglob("__pycache__"))
    # Compiled (and assertion-rewritten) modules are kept in our cache instead, for reuse.
    assert any(cache_dir("pycache").rglob("*.pyc"))


def test_a_warm_pytest_for_another_project_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    pytest_tool.warm(tmp_path)
    other = pytest_tool.WARM.waiting()
    assert other is not None
    result = pytest_run(SAMPLE)
    assert (result.passed, result.failed) == (4, 1)
    assert other.poll() is not None  # stopped, not left waiting


def test_a_warm_pytest_takes_the_limits_of_the_moment(tmp_path: Path) -> None:
    # The sandbox worker lowers its limits after its pytest started: the tests must run
    # under them, as a pytest started by the worker then would.
    (tmp_path / "test_limit.py").write_text(
        "import resource\n"
        "def test_limit():\n"
        "    assert resource.getrlimit(resource.RLIMIT_AS)[0] == 3 * 2**30\n"
    )
    script = (
        "import resource, sys\n"
        "from punie_lsp.tools import pytest as tool\n"
        "tool.warm(sys.argv[1])\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.RLIM_INFINITY))\n"
        "started = tool.WARM.waiting()\n"
        "print(tool.pytest_run(sys.argv[1]).model_dump_json())\n"
        "print(started is not None and started.wait(30) == 0)\n"  # the warm one ran
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    report, used = done.stdout.splitlines()
    result = json.loads(report)
    assert (result["passed"], result["failed"]) == (1, 0), result
    assert used == "True"


def test_a_warm_pytest_reports_before_its_process_is_gone(tmp_path: Path) -> None:
    # A test that leaves a thread running keeps pytest's process from exiting. The report is
    # complete when the session ends: the answer comes then, and the lingering process is
    # killed REAP_GRACE seconds later (a cold pytest would be waited for to its timeout).
    (tmp_path / "test_linger.py").write_text(
        "import threading, time\n"
        "def test_linger():\n"
        "    threading.Thread(target=time.sleep, args=(600,)).start()\n"
    )
    pytest_tool.warm(tmp_path)
    started = pytest_tool.WARM.waiting()
    assert started is not None
    result = pytest_run(tmp_path, timeout=REAP_GRACE)
    assert (result.passed, result.failed, result.parse_error) == (1, 0, None)
    assert started.poll() is None  # still there, its thread sleeping
    assert started.wait(REAP_GRACE + 10) == -signal.SIGKILL


def test_explain_rule_quotes_ruff_and_ty() -> None:
    from punie_lsp.tools.rules import explain_rule

    ruff = explain_rule("F401")
    assert (ruff.success, ruff.tool, ruff.name) == (True, "ruff", "unused-import")
    assert ruff.what == "Checks for unused imports." and "import cycles" in ruff.why
    ty = explain_rule("missing-attribute")
    assert (ty.success, ty.tool, ty.code) == (True, "ty", "missing-attribute")
    assert "attributes" in ty.what and ty.fix == "default level: error" and ty.example


@pytest.mark.parametrize("code", ["XYZ999", "no-such-rule", "-rf", "", "a b", "F401; rm"])
def test_explain_rule_names_what_it_cannot_find(code: str) -> None:
    from punie_lsp.tools.rules import explain_rule

    found = explain_rule(code)
    assert not found.success and found.parse_error and not found.text
