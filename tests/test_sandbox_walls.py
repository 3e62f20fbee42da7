"""A second corpus of attacks on the sandbox, by the wall that must stop each (docs/security.md).

Every attack is first run without our walls, to show it is a real attempt: the snippet
with the tools' pydantic models in scope (as before issue 14), the hostile project's tests
under a plain pytest, a tool's old command line. Then it runs through run_code, and nothing
may change inside or outside the workspace (both hashed), no marker may appear, no
connection may reach the listener, and the secret in the server's environment and in the
file outside the workspace may never reach a result.
"""

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from punie_lsp.agent import policy, wall
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.tools.files import MAX_READ_BYTES
from punie_lsp.tools.process import find_executable

SECRET = "TOPSECRET-91d7"
ENV_SECRET = "ENVSECRET-4be2"
PLAIN = Path(__file__).with_name("plain_snippet.py")

# Where the wall cannot be built these are skipped, except where it is required (CI).
pytestmark = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason=f"no OS wall here: {wall.status().detail}",
)


@dataclass
class World:
    """A hostile workspace beside a folder it must not reach, and a listener it must not
    connect to."""

    root: Path
    outside: Path
    port: int
    connections: list[int] = field(default_factory=list)

    def snapshot(self) -> dict[str, str]:
        found = {}
        for path in sorted(self.root.parent.rglob("*")):
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[str(path)] = "dir"
        return found


@dataclass(frozen=True)
class Attack:
    name: str
    snippet: str
    files: dict[str, str] = field(default_factory=dict)  # "@link:TARGET" makes a symlink
    plain: str = "snippet"  # how it is shown to work without our walls: snippet, pytest, argv
    argv: tuple[str, ...] = ()  # for plain="argv": {ruff} {pytest} {outside} filled in


TEST_HARM = """
import os, socket, pathlib
def test_harm():
    {body}
"""

ATTACKS = [
    # 1. The typed results were pydantic models, whose public API reaches the interpreter.
    Attack(
        "results: pickle through parse_raw runs a command",
        "r = typecheck('.')\n"
        "r.parse_raw(b\"cposix\\nsystem\\n(S'touch {outside}/pwned'\\ntR.\", "
        "proto='pickle', allow_pickle=True)",
    ),
    Attack(
        "results: parse_file reads a file outside",
        "r = ruff_check('.')\nprint(r.parse_file('{outside}/secret.json'))",
    ),
    Attack(
        "results: parse_file on another result",
        "r = pytest_run('.')\nprint(r.parse_file('{outside}/secret.json').parse_error)",
    ),
    # 2. A hostile project's tests are arbitrary code: the OS wall holds them.
    Attack(
        "project test reads outside",
        "r = pytest_run('.')\nprint(r.tests)",
        {"test_x.py": TEST_HARM.format(body="assert 0, open('{outside}/secret.json').read()")},
        plain="pytest",
    ),
    Attack(
        "project test reads the server's environment",
        "r = pytest_run('.')\nprint(r.tests)",
        {"test_x.py": TEST_HARM.format(body="assert 0, str(dict(os.environ))")},
        plain="pytest",
    ),
    Attack(
        "project test writes outside",
        "print(pytest_run('.').passed)",
        {"test_x.py": TEST_HARM.format(body="open('{outside}/pwned', 'w').write('x')")},
        plain="pytest",
    ),
    Attack(
        "project test writes inside the workspace",
        "print(pytest_run('.').passed)",
        {"test_x.py": TEST_HARM.format(body="open('test_x.py', 'a').write('# pwned')")},
        plain="pytest",
    ),
    Attack(
        "project test reaches the network",
        "print(pytest_run('.').passed)",
        {
            "test_x.py": TEST_HARM.format(
                body="socket.create_connection(('127.0.0.1', {port}), timeout=2).close()"
            )
        },
        plain="pytest",
    ),
    Attack(
        "conftest reads outside into a collection error",
        "print(pytest_run('.').tests)",
        {
            "conftest.py": "raise RuntimeError(open('{outside}/secret.json').read())\n",
            "test_x.py": "def test_ok():\n    pass\n",
        },
        plain="pytest",
    ),
    Attack(
        "conftest writes outside at collection",
        "print(pytest_run('.').passed)",
        {
            "conftest.py": "open('{outside}/pwned', 'w').write('x')\n",
            "test_x.py": "def test_ok():\n    pass\n",
        },
        plain="pytest",
    ),
    # 3. Names in the workspace that steer a tool: symlinks out, options, argument files.
    Attack(
        "ruff lints a symlink to outside",
        "print(ruff_check('.').violations)",
        {"leak.py": "@link:{outside}/secret.py"},
        plain="argv",
        argv=("{ruff}", "check", "--no-cache", "--output-format", "json", "."),
    ),
    Attack(
        "ruff on a symlinked folder outside, by name",
        "print(ruff_check('out').violations)",
        {"out": "@link:{outside}"},
        plain="argv",
        argv=("{ruff}", "check", "--no-cache", "--output-format", "json", "out"),
    ),
    Attack(
        "ty checks a symlink to outside",
        "print(typecheck('.').errors)",
        {"leak.py": "@link:{outside}/secret.py"},
        plain="argv",
        argv=("{ty}", "check", "--output-format", "gitlab", "--no-progress", "."),
    ),
    Attack(
        "pytest imports a symlinked test outside",
        "print(pytest_run('.').tests)",
        {"test_link.py": "@link:{outside}/test_outside.py"},
        plain="pytest",
    ),
    Attack(
        "a folder named --fix rewrites the workspace",
        "print(ruff_check('--fix').violation_count)",
        {"--fix/a.py": "import os\n", "b.py": "import sys\n"},
        plain="argv",
        argv=("{ruff}", "check", "--no-cache", "--output-format", "json", "--fix"),
    ),
    Attack(
        "a folder named --output-file= writes outside",
        "print(ruff_check('--output-file={outside}/x').violation_count)",
        {"--output-file={outside}/x/a.py": "import os\n"},
        plain="argv",
        argv=("{ruff}", "check", "--no-cache", "--output-file={outside}/x"),
    ),
    Attack(
        "pytest's @argsfile writes a report outside",
        "print(pytest_run('@args').passed)",
        {
            "@args": "",  # pytest reads `@args` as the file `args`
            "args": "--junitxml={outside}/report.xml\n",
            "test_x.py": "def test_ok():\n    pass\n",
        },
        plain="argv",
        argv=("{python}", "-m", "pytest", "-p", "no:cacheprovider", "@args"),
    ),
    Attack(
        "a folder named --junitxml= writes outside",
        "print(pytest_run('--junitxml={outside}/j.xml').passed)",
        {"--junitxml={outside}/j.xml/test_y.py": "def test_ok():\n    pass\n"},
        plain="argv",
        argv=("{python}", "-m", "pytest", "-p", "no:cacheprovider", "--junitxml={outside}/j.xml"),
    ),
    Attack(
        "read_file through a symlinked folder",
        "print(read_file('out/secret.json'))",
        {"out": "@link:{outside}"},
    ),
    Attack(
        "pytest configuration writes outside",
        "print(pytest_run('.').passed)",
        {
            "pytest.ini": "[pytest]\naddopts = --junitxml={outside}/cfg.xml\n",
            "test_x.py": "def test_ok():\n    pass\n",
        },
        plain="pytest",
    ),
]


def _fill(text: str, world: World) -> str:
    return text.replace("{outside}", str(world.outside)).replace("{port}", str(world.port))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "secret.json").write_text(f'{{"success": "{SECRET}"}}')
    (outside / "secret.py").write_text(f"import {SECRET.replace('-', '_')}\nx: int = '{SECRET}'\n")
    (outside / "test_outside.py").write_text(f"def test_{SECRET.replace('-', '_')}():\n    pass\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'w'\nversion = '0'\n")
    listener = socket.create_server(("127.0.0.1", 0))
    made = World(root, outside, listener.getsockname()[1])

    def accept() -> None:
        with listener:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                made.connections.append(1)
                conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield made
    listener.close()


def _lay_out(attack: Attack, world: World) -> None:
    for name, text in attack.files.items():
        path = world.root / _fill(name, world)
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("@link:"):
            path.symlink_to(_fill(text.removeprefix("@link:"), world))
        else:
            path.write_text(_fill(text, world))


def _harm(world: World, before: dict[str, str], said: str) -> list[str]:
    after = world.snapshot()
    found = [
        f"changed: {p}" for p in sorted(set(before) | set(after)) if before.get(p) != after.get(p)
    ]
    found += ["the secret file came back"] * (SECRET in said or SECRET.replace("-", "_") in said)
    found += ["the server's environment came back"] * (ENV_SECRET in said)
    found += ["a connection reached the listener"] * bool(world.connections)
    return found


def _without_walls(attack: Attack, world: World) -> str:
    env = dict(os.environ, API_TOKEN=ENV_SECRET)
    if attack.plain == "snippet":
        argv = [sys.executable, str(PLAIN), str(world.root)]
        stdin = _fill(attack.snippet, world)
    elif attack.plain == "pytest":
        argv, stdin = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], ""
    else:
        tools = {
            "{ruff}": find_executable("ruff"),
            "{ty}": find_executable("ty"),
            "{python}": sys.executable,
        }
        argv, stdin = [_fill(tools.get(a, a), world) for a in attack.argv], ""
    done = subprocess.run(
        argv, cwd=world.root, input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    time.sleep(0.1)  # the listener thread counts its connection
    return done.stdout + done.stderr


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attack_works_without_our_walls(attack: Attack, world: World) -> None:
    _lay_out(attack, world)
    before = world.snapshot()
    assert _harm(world, before, _without_walls(attack, world)), "not a real attack"


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attack_is_held(attack: Attack, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", ENV_SECRET)
    _lay_out(attack, world)
    before = world.snapshot()
    snippet = _fill(attack.snippet, world)
    if attack.plain == "snippet":
        policy.check(snippet)  # not the syntax policy: these pass it
    result = run_code(snippet, world.root, Limits(timeout=30))
    time.sleep(0.1)
    assert _harm(world, before, result.model_dump_json()) == []


def test_the_attacks_are_many_and_by_wall() -> None:
    assert len(ATTACKS) >= 20
    assert {a.plain for a in ATTACKS} == {"snippet", "pytest", "argv"}


# 4. Limits that always hold.


def test_an_error_is_cut_like_output() -> None:
    result = run_code("raise ValueError('x' * 10 ** 8)", Path.cwd(), Limits(timeout=20))
    assert result.error is not None and result.error.startswith("ValueError: xxx")
    assert len(result.error) < 3_000 and "more characters" in result.error


@pytest.mark.parametrize(
    "code",
    [
        "x = " + "(" * 200_000 + ")" * 200_000,
        "x = " + "[" * 100_000,
        "print('\ud800')",
        "x = 1\n" * 10**6,
        "\x00",
        "print(1)\r\x0c\x1b[2J",
    ],
    ids=["deep", "deep-unclosed", "surrogate", "huge", "nul", "control"],
)
def test_nothing_in_a_reply_makes_run_code_raise(code: str) -> None:
    result = run_code(code, Path.cwd(), Limits(timeout=20))
    assert result.error is not None or result.output


def test_printed_surrogates_are_kept_escaped() -> None:
    code = "print('before')\nprint('bad ' + 'x\\udc80'[1:])\nprint('after')"
    result = run_code(code, Path.cwd(), Limits(timeout=20))
    assert result.error is None, result.error
    assert result.output == "before\nbad \\udc80\nafter\n"


def test_read_file_reads_no_more_than_its_limit(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:  # sparse: 8 GB that the worker's memory limit cannot hold
        file.truncate(8 * 1024**3)
    result = run_code("print(len(read_file('huge.txt')))", tmp_path, Limits(timeout=20))
    assert (result.output, result.error) == (f"{MAX_READ_BYTES}\n", None)


def test_a_run_is_killed_whole_at_its_time_limit(tmp_path: Path) -> None:
    marker = "61.0417"  # a sleep the hostile test starts, detached from its own group
    (tmp_path / "test_slow.py").write_text(
        "import subprocess, time, os\n"
        "def test_slow():\n"
        f"    subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "    time.sleep(120)\n"
    )
    started = time.monotonic()
    result = run_code("print(pytest_run('.').passed)", tmp_path, Limits(timeout=4))
    took = time.monotonic() - started
    assert result.error is not None and "timed out after 4 s" in result.error
    assert took < 4 + 3 and result.duration < 4 + 3
    for _ in range(50):  # the worker's exit tears its namespace down, and all in it
        if not _processes_with(marker):
            break
        time.sleep(0.1)
    assert not _processes_with(marker)


def test_a_snippet_that_swallows_the_timeout_is_stopped(tmp_path: Path) -> None:
    code = (
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass\n"
    )
    started = time.monotonic()
    result = run_code(code, tmp_path, Limits(timeout=3))
    assert result.error is not None and "timed out" in result.error
    assert time.monotonic() - started < 3 + 4


def _processes_with(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_without_the_wall_the_sandbox_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switched off (or missing), the wall is never silently absent: status says why, and
    a warning is logged."""
    check = _status_in_subprocess({"PUNIE_SANDBOX_WALL": "off"})
    assert "available=False" in check and "switched off" in check
    assert "NO OPERATING-SYSTEM SANDBOX" in check


def _status_in_subprocess(env: dict[str, str]) -> str:
    script = "from punie_lsp.agent import wall\nprint(wall.status())"
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True
    )
    return done.stdout + done.stderr


def test_an_overlay_shows_buffers_inside_the_workspace_only(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside.txt"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "notes.txt").write_text("on disk\n")
    outside.write_text(f"{SECRET}\n")
    overlay = {
        str(project / "notes.txt"): "unsaved\n",  # an open, edited buffer
        str(outside): "replaced\n",  # not in the workspace: never bound
        str(project / "new.txt"): "never saved\n",  # no such file: nothing to bind over
    }
    code = 'print(read_file("notes.txt").strip())\nprint(read_file("new.txt"))'
    result = run_code(code, project, overlay=overlay)
    assert result.output.splitlines()[0] == "unsaved"
    assert "never saved" not in result.output
    assert (project / "notes.txt").read_text() == "on disk\n"  # the disk is untouched
    assert outside.read_text() == f"{SECRET}\n" and not (project / "new.txt").exists()
