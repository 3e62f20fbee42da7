"""The Emacs configuration of docs/editors.md in a real Emacs with eglot, headless.

Debian's `emacs-nox` (28.2) and `elpa-eglot` (1.9); `.ci/run` installs them. The sample project
is copied out of this repository first: inside it, the repository's own ruff and ty settings
(which exclude `examples/`) would apply, as they would for any project eglot finds.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "examples" / "sample"
SCRIPT = Path(__file__).parent / "emacs" / "diagnostics.el"
EMACS = shutil.which("emacs")
HAS_EGLOT = any(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*"))

pytestmark = pytest.mark.skipif(
    (EMACS is None or not HAS_EGLOT) and not os.environ.get("PUNIE_REQUIRE_EDITORS"),
    reason="emacs and eglot not installed (apt-get install emacs-nox elpa-eglot)",
)


def test_eglot_shows_ruff_and_ty_diagnostics(tmp_path: Path) -> None:
    assert EMACS is not None and HAS_EGLOT, "apt-get install emacs-nox elpa-eglot"
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE, project)
    env = dict(
        os.environ,
        HOME=str(tmp_path / "home"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    done = subprocess.run(
        [EMACS, "--batch", "-Q", "-l", str(SCRIPT), "src/ledger/transfers.py"],
        cwd=project, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    found = set(done.stdout.splitlines())
    assert "ruff [F401]: `sys` imported but unused@0" in found
    assert "ruff [I001]: Import block is un-sorted or un-formatted@0" in found
    union = "Attribute `{}` is not defined on `None` in union `Account | None`"
    assert f"ty [missing-union-attribute]: {union.format('withdraw')}@7" in found
    assert f"ty [missing-union-attribute]: {union.format('deposit')}@8" in found
