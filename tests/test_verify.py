"""A proposed edit checked before it is offered (agent/verify.py): real ty, ruff and pytest on
the text before and after, inside the sandbox's wall; the user's files never written."""

import os
import threading
import time
from pathlib import Path

import pytest

from punie_lsp.agent import wall
from punie_lsp.agent.verify import MAX_BYTES, Target, verify
from tests import shapes_project
from tests.shapes_project import MODULE, TESTS

pytestmark = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall",
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return shapes_project.write(tmp_path)


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*.py")}


def test_a_harmless_edit_is_not_worse(root: Path) -> None:
    before = files(root)
    renamed = MODULE.replace("width * height", "height * width")
    found = verify(root, root / "pkg" / "shapes.py", MODULE, renamed)
    assert not found.worse and found.tests_run == 1 and found.tests == []
    assert found.summary() == "no new problems, 1/1 tests unchanged"
    assert files(root) == before


def test_a_type_error_is_refused(root: Path) -> None:
    broken = MODULE.replace("return width * height", 'return "area"')
    found = verify(root, root / "pkg" / "shapes.py", MODULE, broken)
    assert found.worse
    assert [(p.source, p.code) for p in found.added] == [("ty", "invalid-explicit-return")]
    assert [(t.before, t.after) for t in found.tests] == [("passed", "failed")]


def test_the_target_is_told_apart(root: Path) -> None:
    with_import = "import os\n\n\n" + MODULE
    found = verify(
        root, root / "pkg" / "shapes.py", with_import, MODULE,
        target=Target(source="ruff", code="F401"), others={},
    )  # fmt: skip
    assert found.target_gone and not found.worse
    assert [(p.source, p.code) for p in found.removed] == [("ruff", "F401")]


def test_refused_without_running(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "x.py"
    outside.write_text("x = 1\n")
    target = root / "pkg" / "shapes.py"
    huge = "x = 1\n" * (MAX_BYTES // 6 + 1)
    assert verify(root, outside, "x = 1\n", "x = 2\n").error == "the file is outside the workspace"
    assert verify(root, root / "pyproject.toml", "", "").error == "only Python files are verified"
    assert "over" in (verify(root, target, MODULE, huge).error or "")
    assert verify(root, root / "pkg" / "new.py", "", "x = 1\n").error is not None


def test_cancelling_stops_the_scratch_run(root: Path) -> None:
    slow = TESTS + "\n\ndef test_slow():\n    import time\n    time.sleep(30)\n"
    (root / "tests" / "test_shapes.py").write_text(slow)
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    began = time.monotonic()
    found = verify(root, root / "pkg" / "shapes.py", MODULE, MODULE + "\n", cancel=cancel)
    assert found.error == "cancelled" and found.worse
    # Stopped, not run out: the test sleeps 30 s (a bound on the outcome, not a speed figure).
    assert time.monotonic() - began < 25
