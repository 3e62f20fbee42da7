"""Installing punie-lsp like a tool (README's editor section): `uv tool install` from the clone,
with the versions of uv.lock, ruff and ty beside it, and nothing that compiles for minutes.

`uv run python tests/test_install.py` writes tool-overrides.txt again after the lock changes.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
OVERRIDES = ROOT / "tool-overrides.txt"
SAMPLE = ROOT / "examples" / "sample"
UV = shutil.which("uv")
HEADER = """\
# `uv tool install --from . punie-lsp --overrides tool-overrides.txt`: punie-lsp on your PATH
# with exactly the versions of uv.lock (which `uv tool install` does not read) and without the
# two packages pyproject.toml's override-dependencies leave out (they compile for minutes and
# are never imported). Made from the lock; tests/test_install.py checks it matches.
"""
# pyproject.toml's [tool.uv] override-dependencies, which only uv's project commands apply.
NEVER = "llama-cpp-python ; sys_platform == 'never'\nllm ; sys_platform == 'never'\n"

pytestmark = pytest.mark.skipif(
    UV is None and not os.environ.get("PUNIE_REQUIRE_EDITORS"), reason="uv not on PATH"
)


def expected() -> str:
    assert UV is not None
    locked = subprocess.run(
        [UV, "export", "--locked", "--no-dev", "--no-hashes", "--no-emit-project",
         "--no-annotate", "--no-header", "--format", "requirements-txt"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    return HEADER + locked + NEVER


def test_the_overrides_are_the_lock() -> None:
    assert OVERRIDES.read_text(encoding="utf-8") == expected(), (
        "uv.lock changed: run `uv run python tests/test_install.py`"
    )


def test_uv_tool_install_from_the_clone(tmp_path: Path) -> None:
    assert UV is not None
    env = {
        **os.environ,
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
    }
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        [UV, "tool", "install", "--from", str(ROOT), "punie-lsp", "--overrides", str(OVERRIDES)],
        check=True, capture_output=True, env=env, timeout=600,
    )  # fmt: skip
    linked = tmp_path / "bin" / "punie-lsp"
    done = subprocess.run([str(linked), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "punie-lsp 0.1.0"
    tool_bin = linked.resolve().parent  # where the editors' health checks look for ruff and ty
    assert (tool_bin / "ruff").is_file() and (tool_bin / "ty").is_file()
    python = tool_bin / "python"
    installed = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('llama_cpp'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert installed.stdout.strip() == "None"
    # Neovim finds it on PATH, and :checkhealth finds ruff and ty beside the link's target
    # (where the server finds them), not "not found" as it did.
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent))
    if nvim is None:
        return
    editor_env = {
        **env,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    plugin, scripts = ROOT / "editors" / "neovim", ROOT / "tests" / "neovim"
    transfers = SAMPLE / "src" / "ledger" / "transfers.py"
    report = subprocess.run(
        [nvim, "--headless", "--clean", "--cmd", f"set rtp^={plugin}",
         "--cmd", "runtime plugin/punie.lua", "-l", str(scripts / "health.lua"), str(scripts),
         str(transfers)],
        capture_output=True, text=True, env=editor_env, timeout=120, cwd=SAMPLE,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr + report.stdout
    text = report.stdout + report.stderr
    assert (
        f"OK ruff found: {tool_bin / 'ruff'}" in text and f"OK ty found: {tool_bin / 'ty'}" in text
    )
    assert "OK punie-lsp running" in text and "ERROR" not in text


if __name__ == "__main__":
    OVERRIDES.write_text(expected(), encoding="utf-8")
    print(f"wrote {OVERRIDES}", file=sys.stderr)
