"""OpenBLAS for mlx on Linux: from PyPI, else the system's.

The mlx-cpu wheel bundles the reference BLAS: float32 matrix products run about 20x slower
than with OpenBLAS, which makes prompt processing ~20x slower (docs/performance.md). Loaded
into the process's global symbol scope (RTLD_GLOBAL) before mlx is imported, OpenBLAS is where
the dynamic linker binds mlx's BLAS and LAPACK calls, ahead of the library mlx brings: load()
does that, in whichever process is about to import mlx (the model's thread, training, the
tests), with no re-exec and no LD_PRELOAD.

The OpenBLAS comes from the `scipy-openblas32` wheel (a dependency on Linux, the build numpy
and scipy ship). It exports its symbols with a `scipy_` prefix so as never to clash with
another BLAS; mlx asks for the plain names (`cblas_sgemm`, `sgeev_`), so a copy is made once
into the cache with the prefix taken off every exported symbol (pyelftools lists them,
patchelf renames them). Where that cannot be done, Debian's or Ubuntu's OpenBLAS
(`apt-get install libopenblas0-pthread`) is used when installed. PUNIE_NO_OPENBLAS=1 keeps the
bundled BLAS.

OpenBLAS's threads meet at every block of a matrix product, so one thread that another
process keeps off its core stalls the rest: with a core busy elsewhere, two threads on two
cores answer several times slower than one (docs/performance.md). fit_threads() gives it, before
each generation, only the cores nothing else is running on.
"""

import ctypes
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from punie_lsp.cache import cache_dir

log = logging.getLogger(__name__)

SYSTEM = [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
]
PREFIX = "scipy_"
LOADAVG = Path("/proc/loadavg")  # its fourth field: runnable threads/all threads


def _wanted() -> bool:
    return sys.platform == "linux" and not os.environ.get("PUNIE_NO_OPENBLAS")


@functools.cache
def load() -> str | None:
    """Make OpenBLAS the BLAS of the mlx this process is about to import; the library, or None
    where there is none, it is turned off (PUNIE_NO_OPENBLAS=1), or mlx came first."""
    if not _wanted():
        return None
    if "mlx.core" in sys.modules:  # its symbols are bound already
        log.warning("mlx was imported before OpenBLAS could be loaded: matrix products are slow")
        return None
    if (library := openblas()) is None:
        return None
    try:
        ctypes.CDLL(library, mode=os.RTLD_GLOBAL)
    except OSError as exc:
        log.warning("OpenBLAS at %s not loaded: %s", library, exc)
        return None
    return library


def fit_threads() -> int:
    """Set OpenBLAS's thread count to the cores other work is not using now (at least one),
    or to OPENBLAS_NUM_THREADS where that is set; the count, or 0 where OpenBLAS is not the
    loaded BLAS. Call it while no matrix product is running (OpenBLAS's rule)."""
    if (library := load()) is None:
        return 0
    wanted = os.environ.get("OPENBLAS_NUM_THREADS", "")
    count = int(wanted) if wanted.isdigit() and int(wanted) > 0 else idle_cores()
    handle = _handle(library)
    if handle.openblas_get_num_threads() != count:
        handle.openblas_set_num_threads(count)
    return count


@functools.cache
def _handle(library: str) -> ctypes.CDLL:
    """The library load() opened, for its thread calls: opened once, not per generation."""
    return ctypes.CDLL(library)


def idle_cores(samples: int = 5, gap: float = 0.001) -> int:
    """This process's cores less those other runnable threads hold, at least one.

    The kernel's count of runnable threads (/proc/loadavg) includes the reader; the least of a
    few readings a millisecond apart sees lasting work and not a moment's (a lint run)."""
    cores = len(os.sched_getaffinity(0))
    try:
        others = []
        for _ in range(samples):
            running = LOADAVG.read_text().split()[3].split("/")[0]
            others.append(int(running) - 1)
            time.sleep(gap)
    except (OSError, IndexError, ValueError):
        return cores
    return max(1, cores - min(others))


def environment() -> dict[str, str]:
    """This process's environment with OpenBLAS preloaded, for a program of another's that
    runs mlx (mlx_lm.server: model/serve.py), where load() cannot reach."""
    env = dict(os.environ)
    if _wanted() and (library := openblas()) is not None:
        env["LD_PRELOAD"] = ":".join(p for p in (library, env.get("LD_PRELOAD")) if p)
    return env


def openblas() -> str | None:
    """The OpenBLAS to preload: the renamed copy of the PyPI wheel's, else the system's."""
    return pypi_openblas() or next((path for path in SYSTEM if Path(path).is_file()), None)


def pypi_openblas() -> str | None:
    """The cached copy of scipy-openblas32's library with plain symbol names, made now if it
    is not there yet; None where the wheel, patchelf or pyelftools is missing or fails."""
    try:
        import scipy_openblas32
    except ImportError:
        return None
    source = Path(scipy_openblas32.get_lib_dir()) / scipy_openblas32.get_library(fullname=True)
    if not source.is_file():
        return None
    stat = source.stat()
    key = f"{source.resolve()} {stat.st_size} {stat.st_mtime_ns}".encode()
    target = cache_dir("blas") / f"libopenblas-{hashlib.sha256(key).hexdigest()[:16]}.so"
    if target.is_file():
        return str(target)
    try:
        _rename(source, target)
    except (OSError, ImportError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("OpenBLAS from PyPI not usable (%s); trying the system's", exc)
        return None
    return str(target)


def _rename(source: Path, target: Path) -> None:
    """target: source with the prefix removed from every symbol it defines."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with source.open("rb") as handle:
        table = ELFFile(handle).get_section_by_name(".dynsym")
        if not isinstance(table, SymbolTableSection):
            raise ValueError(f"{source} has no dynamic symbols")
        names = [
            symbol.name
            for symbol in table.iter_symbols()
            if symbol.name.startswith(PREFIX) and symbol["st_shndx"] != "SHN_UNDEF"
        ]
    if not names:
        raise ValueError(f"{source} exports nothing named {PREFIX}*")
    patchelf = _patchelf()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    renames = partial.with_suffix(".map")
    renames.write_text("".join(f"{name} {name[len(PREFIX) :]}\n" for name in names))
    try:
        subprocess.run(
            [patchelf, "--rename-dynamic-symbols", str(renames), "--output", str(partial),
             str(source)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        partial.replace(target)  # whole or not at all, for a reader in another process
    finally:
        renames.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)


def _patchelf() -> str:
    beside = Path(sys.executable).parent / "patchelf"  # the wheel's, in this environment
    found = str(beside) if beside.is_file() else shutil.which("patchelf")
    if found is None:
        raise OSError("patchelf not found")
    return found


if __name__ == "__main__":  # the library's path, for a process started by another program
    print(openblas() or "")
