"""The Code Mode sandbox: what works, and a corpus of escape attempts that must all fail safely."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from punie_lsp.agent import policy, sandbox
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.tools import TestResult
from punie_lsp.tools.process import REAP_GRACE

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
SECRET = "TOPSECRET-6f1c"

# Every one of these must end with an error (or cut output), leak nothing from outside the
# workspace, and leave no file behind. Most are refused by the syntax-tree policy; the rest by
# the worker's scope, confinement and limits.
ESCAPES: dict[str, str] = {
    # imports, in every spelling
    "import os": "import os\nos.system('touch ../pwned')",
    "from import": "from subprocess import run\nrun(['touch', '../pwned'])",
    "dunder import": "__import__('os').system('touch ../pwned')",
    "import in function": "def f():\n    import os\n    return os\nf()",
    "importlib by builtins": "__builtins__['__import__']('os')",
    "builtins dict": "print(__builtins__)",
    # the introspection walks
    "subclasses walk": "print(().__class__.__base__.__subclasses__())",
    "mro walk": "print(''.__class__.__mro__[1].__subclasses__())",
    "mro method": "print(str.mro())",
    "globals of a tool": "print(typecheck.__globals__)",
    "closure of a tool": "print(typecheck.__closure__[0].cell_contents)",
    "code object": "print(read_file.__code__.co_consts)",
    "func defaults": "print(typecheck.__defaults__)",
    "module of a result": "r = ruff_check('.')\nprint(r.__module__)",
    "class of a result": "r = ruff_check('.')\nprint(r.__class__.__init__.__globals__)",
    "dict attribute": "print(print.__self__.__dict__)",
    "bound method self": "print(print.__self__)",
    "generator frame": "g = (x for x in [1])\nprint(g.gi_frame.f_globals)",
    "generator code": "g = (x for x in [1])\nprint(g.gi_code)",
    "frame back": "g = (x for x in [1])\nf = g.gi_frame\nprint(f.f_back)",
    "traceback frame": (
        "try:\n    1/0\nexcept Exception as e:\n    print(e.__traceback__.tb_frame.f_globals)"
    ),
    "exception context": "try:\n    1/0\nexcept Exception as e:\n    print(e.__context__)",
    "private attribute": "r = ruff_check('.')\nprint(r._iter)",
    "underscore name": "_x = 1\nprint(_x)",
    "class with getattr": "class A:\n    def __getattr__(self, n):\n        return n\nprint(A().x)",
    "class definition": "class Evil(Exception):\n    pass",
    "global statement": "def f():\n    global typecheck\n    typecheck = None\nf()",
    "lambda default trick": "f = lambda _x=read_file: _x\nprint(f())",
    "keyword dunder": "dict(__class__=1)",
    "match class pattern": "match 1:\n    case int(real=r):\n        print(r)",
    # the dangerous builtins
    "open": "open('../pwned', 'w').write('x')",
    "open secret": "print(open('../secret.txt').read())",
    "eval": "eval(\"__import__('os')\")",
    "exec": "exec('import os')",
    "compile": "compile('1', 'x', 'eval')",
    "getattr dunder": "getattr(print, '__self__')",
    "getattr via string": "print(getattr((), '__cl' + 'ass__'))",
    "vars": "print(vars())",
    "globals": "print(globals())",
    "locals": "print(locals())",
    "dir": "print(dir())",
    "type three args": "T = type('T', (), {})",
    "object subclasses": "print(object.__subclasses__())",
    "breakpoint": "breakpoint()",
    "input": "input()",
    "help": "help()",
    "super": "super()",
    "memoryview": "memoryview(b'x')",
    # format-string tricks
    "format attribute walk": "print('{0.__class__.__base__}'.format(()))",
    "format globals": "print('{0.__globals__}'.format(typecheck))",
    "format_map": "print('{x.__class__}'.format_map({'x': 1}))",
    "str.format unbound": "print(str.format('{0.__class__}', 1))",
    # confinement of the workspace
    "read outside": "print(read_file('../secret.txt'))",
    "read absolute": "print(read_file('/etc/passwd'))",
    "read via symlink": "print(read_file('link-to-secret'))",
    "tool outside": "print(typecheck('/'))",
    "tool parent": "print(ruff_check('..'))",
    # resource bombs
    "memory bomb": "x = [0] * (10 ** 10)",
    "string bomb": "s = 'x' * (10 ** 11)",
    "growing memory": "a = []\nwhile True:\n    a.append('x' * 10 ** 6)",
    "endless loop": "while True:\n    pass",
    "endless recursion": "def f(n):\n    return f(n + 1)\nf(0)",
    "giant output loop": "while True:\n    print('x' * 1000)",
    "giant single print": "print('y' * 10 ** 7)",
    "huge integer": "print(10 ** (10 ** 10))",
    "deeply nested code": "x = " + "(" * 5000 + "1" + ")" * 5000,
    "huge code": "x = 1\n" * 20_000,
    # not Python at all
    "garbage": "<tool_call> this is not python",
    "network": "print(read_file('http://example.com'))",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text(SECRET)
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'w'\nversion = '0'\n")
    (root / "mod.py").write_text("x: int = 1\n")
    (root / "link-to-secret").symlink_to(tmp_path / "secret.txt")
    return root


def test_the_corpus_is_big_enough() -> None:
    assert len(ESCAPES) >= 50


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_attempt_fails_safely(name: str, workspace: Path) -> None:
    before = sorted(p.name for p in workspace.parent.rglob("*"))
    result = run_code(ESCAPES[name], workspace, Limits(timeout=4, output_limit=5_000))
    assert result.error is not None or result.truncated, result
    assert SECRET not in result.output and SECRET not in (result.error or "")
    assert "root:" not in result.output  # /etc/passwd
    assert len(result.output) <= 5_000
    assert sorted(p.name for p in workspace.parent.rglob("*")) == before  # nothing written
    assert (workspace.parent / "secret.txt").read_text() == SECRET


def test_typed_tools_work_inside() -> None:
    code = (
        "types = typecheck('src')\n"
        "tests = pytest_run('tests')\n"
        "lint = ruff_check('.')\n"
        "print(types.error_count, tests.failed, lint.violation_count)\n"
        "for t in tests.tests:\n"
        "    if t.outcome == 'failed':\n"
        "        print(t.file, t.line, t.name)\n"
    )
    result = run_code(code, SAMPLE)
    assert result.error is None, result.error
    assert result.output.splitlines() == [
        "3 1 5",
        "tests/test_transfers.py 11 test_fee_rounds_up",
    ]
    assert [r.tool for r in result.results] == ["typecheck", "pytest_run", "ruff_check"]
    tests_run = result.results[1].typed()
    assert isinstance(tests_run, TestResult) and tests_run.failed == 1
    assert not (SAMPLE / ".pytest_cache").exists()


def test_read_file_and_plain_python() -> None:
    code = (
        "text = read_file('src/ledger/transfers.py')\n"
        "names = sorted(line.split('(')[0][4:] for line in text.splitlines() "
        "if line.startswith('def '))\n"
        "print(names, len(text) > 0, f'{sum(range(5))}')\n"
    )
    result = run_code(code, SAMPLE)
    assert result.error is None, result.error
    assert result.output.strip() == "['fee', 'transfer'] True 10"


def test_a_tool_on_a_missing_path_is_an_error_not_an_empty_result() -> None:
    result = run_code('r = pytest_run("tests/test_suite")\nprint(r.failed)', SAMPLE)
    assert (result.error or "").startswith(
        "WorkspaceError: tests/test_suite does not exist in the workspace"
    )


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """A project that keeps its tests in testing/ (tests/ holds a decoy), its code in src/,
    and scripts that its ruff configuration excludes."""
    files = {
        "pyproject.toml": (
            "[project]\nname = 'proj'\nversion = '0'\n"
            "[tool.pytest.ini_options]\ntestpaths = ['testing']\npythonpath = ['src']\n"
            "[tool.ty.src]\ninclude = ['src', 'testing']\n"
            "[tool.ruff]\nextend-exclude = ['scripts']\n"
        ),
        "src/pkg/__init__.py": "",
        "src/pkg/mod.py": "import os\nx: int = 'a'\n",
        "scripts/tool.py": "import sys\ny: int = 'b'\n",
        "testing/test_mod.py": "def test_ok():\n    pass\n",
        "tests/test_decoy.py": "def test_decoy():\n    assert False\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_tools_without_a_path_take_what_the_project_configures(layout: Path) -> None:
    code = (
        "t = pytest_run()\nprint(t.passed, t.failed)\n"
        "print(sorted({e.file for e in typecheck().errors}))\n"
        "print(sorted({v.file for v in ruff_check().violations}))\n"
        "e = pytest_run('.')\nprint(e.passed, e.failed)\n"  # a path given: that path
    )
    result = run_code(code, layout)
    assert result.error is None, result.error
    assert result.output.splitlines() == [
        "1 0",  # testing/ only, as testpaths says
        "['src/pkg/mod.py']",
        "['src/pkg/mod.py']",
        "1 1",
    ]
    assert [r.path for r in result.results] == [".", ".", ".", "."]


def test_a_missing_path_names_the_nearest_existing_ones(layout: Path) -> None:
    guessed = run_code("pytest_run('tests/test_mod.py')", layout)
    assert guessed.error is not None and "the nearest: testing/test_mod.py" in guessed.error
    misspelt = run_code("read_file('src/pkg/mdo.py')", layout)
    assert misspelt.error is not None and "the nearest: src/pkg/mod.py" in misspelt.error
    nothing = run_code("read_file('zzzzqqqq/xxxx.cfg')", layout)
    assert (
        nothing.error == "WorkspaceError: zzzzqqqq/xxxx.cfg is not a file in the workspace (line 1)"
    )


def test_errors_name_the_snippet_line() -> None:
    result = run_code("x = 1\ny = {}\nprint(y['missing'])\n", SAMPLE)
    assert result.error == "KeyError: 'missing' (line 3)"
    refused = run_code("x = 1\nimport os\n", SAMPLE)
    assert refused.error == "refused: line 2: imports are not allowed"
    broken = run_code("def f(:\n", SAMPLE)
    assert (broken.error or "").startswith("SyntaxError: ")


def test_output_is_cut_at_the_limit() -> None:
    result = run_code("for i in range(10000):\n    print(i)\n", SAMPLE, Limits(output_limit=100))
    assert result.truncated and len(result.output) == 100 and result.error is None


def test_no_secrets_from_the_server_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", SECRET)
    result = run_code("print(pytest_run('tests').passed)", SAMPLE)
    assert result.error is None
    assert SECRET not in result.model_dump_json()
    assert os.environ["API_TOKEN"] == SECRET  # the server's own environment is untouched


def test_policy_allows_ordinary_snippets() -> None:
    policy.check(
        "r = ruff_check('src')\n"
        "by_file = {}\n"
        "for v in r.violations:\n"
        "    by_file.setdefault(v.file, []).append(v.code)\n"
        "print(sorted(by_file.items()), [x for x in range(3) if x], max(1, 2))\n"
        "def total(xs):\n    return sum(xs)\n"
        "try:\n    total([1])\nexcept ValueError as exc:\n    print(exc)\n"
    )


def test_a_warm_worker_waits_for_the_next_snippet() -> None:
    run_code("print(1)", SAMPLE)
    spare = sandbox.SPARE.waiting()
    assert spare is not None and spare.poll() is None  # started after the run, waiting
    assert run_code("print(2)", SAMPLE).output == "2\n"
    assert spare.wait(15) == 0  # it ran that snippet, and only that one: then it exits
    assert sandbox.SPARE.waiting() is not None and sandbox.SPARE.waiting() is not spare


def test_a_spare_that_died_is_replaced() -> None:
    sandbox.prestart()
    spare = sandbox.SPARE.waiting()
    assert spare is not None
    spare.kill()
    spare.wait()
    assert run_code("print(3)", SAMPLE).output == "3\n"


def test_a_spare_leaves_with_its_server() -> None:
    script = (
        "import os\nfrom punie_lsp.agent import sandbox\n"
        "sandbox.prestart()\nprint(sandbox.SPARE.waiting().pid, flush=True)\nos._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    pid = int(done.stdout)
    for _ in range(200):  # its stdin closed with the server: it reads nothing and exits
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the spare worker {pid} outlived its server")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_snippet_answers_while_its_pytest_is_still_exiting(tmp_path: Path) -> None:
    # The test leaves a thread that keeps pytest's process alive: the answer comes when the
    # session ends (the worker's pytest started ahead says so), not when the process exits.
    (tmp_path / "test_linger.py").write_text(
        "import threading, time\n"
        "def test_linger():\n"
        "    threading.Thread(target=time.sleep, args=(600,)).start()\n"
    )
    sandbox.prestart(tmp_path)  # as the server does for its workspace
    code = 'r = pytest_run(".")\nprint(r.passed, r.failed, r.parse_error)'
    result = run_code(code, tmp_path, Limits(timeout=30, tool_timeout=REAP_GRACE))
    assert (result.output, result.error) == ("1 0 None\n", None)


def test_a_source_files_tests_are_those_that_exercise_it(layout: Path) -> None:
    (layout / "testing" / "test_other.py").write_text(
        "from pkg import mod\n\ndef test_x():\n    assert mod.x\n"
    )
    (layout / "testing" / "test_unrelated.py").write_text("def test_y():\n    assert False\n")
    code = "r = pytest_run('src/pkg/mod.py')\nprint(r.selected, r.passed, r.failed)"
    result = run_code(code, layout)
    assert result.error is None, result.error
    assert result.output == "['testing/test_mod.py', 'testing/test_other.py'] 2 0\n"
    (layout / "src" / "pkg" / "lonely.py").write_text("y = 2\n")
    alone = run_code("print(pytest_run('src/pkg/lonely.py').parse_error)", layout)
    assert alone.output == (
        "no tests for src/pkg/lonely.py: no test file imports pkg.lonely or is named after it\n"
    )


def test_ty_resolves_imports_in_the_sandbox_as_outside() -> None:
    """A test's `import pytest` resolves with the interpreter the tests run with, inside the
    wall as outside it (the project has no virtual environment of its own)."""
    from punie_lsp.tools import typecheck

    root = (SAMPLE.parent / "mdquill").resolve()
    outside = typecheck(".", cwd=root)
    ran = run_code('r = typecheck(".")\nprint([f"{e.file} {e.code}" for e in r.errors])', root)
    assert ran.error is None
    inside = ran.results[0].typed()
    assert inside == outside, inside
    assert outside.errors and not any(e.code == "import-not-found" for e in outside.errors)
