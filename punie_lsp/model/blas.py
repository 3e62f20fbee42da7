"""Use the system's OpenBLAS for mlx on Linux when it is installed.

The mlx-cpu wheel bundles the reference BLAS: float32 matrix products run about 20x slower
than with OpenBLAS, which makes prompt processing ~20x slower (docs/performance.md). The
dynamic linker must see OpenBLAS before mlx loads, so the process re-executes itself once
with LD_PRELOAD set. Set PUNIE_NO_OPENBLAS=1 to keep the bundled BLAS.
"""

import os
import sys
from pathlib import Path

CANDIDATES = [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
]
_MARK = "PUNIE_OPENBLAS_DONE"


def openblas() -> str | None:
    return next((path for path in CANDIDATES if Path(path).is_file()), None)


def preloaded() -> bool:
    """Whether this process runs with OpenBLAS preloaded."""
    library = openblas()
    return library is not None and library in os.environ.get("LD_PRELOAD", "")


def reexec_with_openblas(arguments: list[str]) -> None:
    """Replace this process by `python ARGUMENTS` under LD_PRELOAD=OpenBLAS, if useful;
    otherwise return at once."""
    if sys.platform != "linux" or os.environ.get("PUNIE_NO_OPENBLAS") or os.environ.get(_MARK):
        return
    library = openblas()
    if library is None or preloaded():
        return
    env = dict(os.environ)
    env[_MARK] = "1"
    env["LD_PRELOAD"] = ":".join(p for p in (library, os.environ.get("LD_PRELOAD")) if p)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *arguments], env)
