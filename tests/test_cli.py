"""`punie-lsp check` and `punie-lsp tool` as a user runs them: a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"


def punie(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "punie_lsp", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_check_groups_findings_by_file_and_fails() -> None:
    done = punie("check", "examples/sample", cwd=SAMPLE.parent.parent)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    files = [line for line in lines if line and not line.startswith(" ") and ":" not in line]
    assert files == [
        "examples/sample/src/ledger/accounts.py",
        "examples/sample/src/ledger/transfers.py",
        "examples/sample/tests/test_accounts.py",
        "examples/sample/tests/test_transfers.py",
    ]
    assert "  12:1  failed  pytest[test_fee_rounds_up]: assert 1 == 2" in lines
    assert "  8:5  error  ty[missing-union-attribute] " in done.stdout
    assert lines[-3:] == [
        "ty: 3 errors, 0 warnings",
        "ruff: 5 violations (5 fixable)",
        "pytest: 1 failed, 0 errors, 4 passed, 0 skipped of 5",
    ]


def test_check_json_has_every_tool() -> None:
    done = punie("check", str(SAMPLE), "--json", "--no-tests")
    data = json.loads(done.stdout)
    assert set(data) == {"typecheck", "ruff"}
    assert data["typecheck"]["error_count"] == 3
    assert data["ruff"]["violation_count"] == 5


def test_tool_json_is_the_model(tmp_path: Path) -> None:
    done = punie("tool", "pytest", str(SAMPLE), "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert (result["passed"], result["failed"]) == (4, 1)
    assert {"name", "file", "line", "outcome", "duration", "message"} <= set(result["tests"][0])


def test_clean_project_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'clean'\nversion = '0'\n")
    (tmp_path / "clean.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    (tmp_path / "test_clean.py").write_text(
        "from clean import double\n\n\ndef test_double() -> None:\n    assert double(2) == 4\n"
    )
    done = punie("check", str(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "ty: 0 errors, 0 warnings" in done.stdout


def test_a_tool_that_cannot_run_exits_two(tmp_path: Path) -> None:
    assert punie("check", str(tmp_path / "nowhere")).returncode == 2
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '--bogus'\n")
    done = punie("tool", "pytest", str(tmp_path))
    assert done.returncode == 2
    assert "pytest: cannot run" in done.stdout


def test_serve_accepts_stdio_flag() -> None:
    """vscode-languageclient and other clients add --stdio; it must not stop the server."""
    from punie_lsp.cli import _parser

    for argv in (["serve", "--stdio"], ["--stdio"]):
        args = _parser().parse_args(argv)
        assert args.stdio is True and args.command in ("serve", None)
