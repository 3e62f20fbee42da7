"""What a Neovim user sees: the real Neovim, full-screen in a tmux pane, its screen captured
as text (saved under $PUNIE_SCREENSHOTS when set) and checked.

tests/test_neovim.py checks the plugin's state from inside a headless Neovim; these check
the screen: the answer window, the problems listed once, and the one sentence a user reads
when punie-lsp is not installed.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.replies import code_mode

ROOT = Path(__file__).parent.parent
PLUGIN = ROOT / "editors" / "neovim"
SAMPLE = ROOT / "examples" / "sample"
TRANSFERS = SAMPLE / "src" / "ledger" / "transfers.py"
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(
    (NVIM is None or TMUX is None) and not os.environ.get("PUNIE_REQUIRE_EDITORS"),
    reason="needs nvim (uv sync installs it) and tmux",
)

# A user's init.lua: the plugin, and diagnostics shown as virtual text.
INIT = """
vim.opt.rtp:prepend({plugin!r})
vim.cmd('runtime plugin/punie.lua')
vim.diagnostic.config({{ virtual_text = true }})
require('punie').setup({{ settings = {settings} }})
"""


class Screen:
    """Neovim in a detached tmux pane of a fixed size, on a tmux server of its own."""

    def __init__(self, tmp: Path, file: Path, settings: str, path: str, cwd: Path) -> None:
        self.socket = f"punie-{uuid.uuid4().hex[:8]}"
        init = tmp / "init.lua"
        init.write_text(INIT.format(plugin=str(PLUGIN), settings=settings))
        env = {
            "PATH": path,
            "HOME": str(tmp),
            "TERM": "xterm-256color",
            "XDG_STATE_HOME": str(tmp / "state"),
            "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "XDG_CACHE_HOME": os.environ.get("PUNIE_TEST_CACHE", str(tmp / "cache")),
        }
        command = [str(NVIM), "--clean", "-u", str(init), str(file)]
        # The first command starts this socket's tmux server: Neovim gets its environment.
        self._tmux("new-session", "-d", "-x", "120", "-y", "36", "-c", str(cwd), *command, env=env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, timeout=30, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def text(self) -> str:
        return self._tmux("capture-pane", "-p")

    def wait_for(self, *wanted: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text()
            if all(text in screen for text in wanted):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"never saw {wanted} on the screen:\n{screen}")
            time.sleep(0.25)

    def type(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def command(self, line: str) -> None:
        self.type("Escape")
        self.type("-l", f":{line}")
        self.type("Enter")

    def close(self) -> None:
        subprocess.run([str(TMUX), "-L", self.socket, "kill-server"], capture_output=True)


def save(name: str, screen: str) -> None:
    if folder := os.environ.get("PUNIE_SCREENSHOTS"):
        Path(folder, name).write_text(screen)


def _venv_path() -> str:
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def test_the_screen_of_an_answer_and_of_the_problems(tmp_path: Path) -> None:
    """:PunieAsk's window with the answer (no raw tool call, the code and output readable),
    then every problem in the quickfix list: each ty error once, the failing test once."""
    script = tmp_path / "script.json"
    reply = code_mode(
        'types = typecheck("src")\ntests = pytest_run("tests")\n'
        'print(types.error_count, "type errors,", tests.failed, "failing test")\n'
    )
    script.write_text(json.dumps({"replies": [reply]}))
    settings = f"{{ model = {{ enabled = true, path = 'scripted:{script}' }} }}"
    screen = Screen(tmp_path, TRANSFERS, settings, _venv_path(), SAMPLE)
    try:
        diagnostics = screen.wait_for("Import block is un-sorted", "is not defined on `None`")
        save("neovim-diagnostics.txt", diagnostics)

        screen.command("PunieAsk How many type errors and failing tests?")
        answer = screen.wait_for("3 type errors, 1 failing test", "typecheck(")
        save("neovim-ask.txt", answer)
        assert "<tool_call>" not in answer and "execute_code" not in answer
        # Markdown rendered, not shown raw: no fences, no emphasis marks.
        assert "```" not in answer and "**How many" not in answer, answer
        assert "How many type errors and failing tests?" in answer
        assert answer.count("3 type errors, 1 failing test") == 1  # the output once

        screen.type("q")  # the window has the focus: q closes it
        screen.command("lua vim.diagnostic.setqflist({ open = false })")
        screen.command("copen 12")
        problems = screen.wait_for("test_fee_rounds_up", "is not defined on `None`")
        save("neovim-problems.txt", problems)
        # The quickfix window's entries: "path|line col ...| message".
        listed = [line for line in problems.splitlines() if line.startswith(("src/", "tests/"))]
        union = [line for line in listed if "is not defined on `None`" in line]
        assert len(union) == 2, problems  # transfers.py's two ty errors, once each
        assert all("transfers.py" in line for line in union), problems
        failing = [line for line in listed if "test_fee_rounds_up" in line]
        assert len(failing) == 1 and "test_transfers.py" in failing[0], problems
    finally:
        screen.close()


def test_the_screen_without_punie_lsp_installed(tmp_path: Path) -> None:
    """No punie-lsp on PATH and no .venv: one message says what to run."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("import os\n")
    # nvim itself stays reachable; punie-lsp does not.
    bare = os.pathsep.join(["/usr/bin", "/bin"])
    screen = Screen(tmp_path, project / "app.py", "{}", bare, project)
    try:
        seen = screen.wait_for("punie-lsp is not on PATH", timeout=20)
        save("neovim-not-installed.txt", seen)
        assert "uv tool install --from . punie-lsp" in seen.replace("\n", "")
        assert "quit with exit code" not in seen
    finally:
        screen.close()
