"""OpenBLAS from PyPI for mlx (model/blas.py): the renamed copy, and mlx's results with it."""

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from punie_lsp.model import blas

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the BLAS preload is Linux's")

# mlx's products and a LAPACK routine against numpy (float64) and where the library came from.
CHECK = """
import json, sys
from punie_lsp.model import blas
library = blas.load()
import numpy as np, mlx.core as mx
rng = np.random.default_rng(0)
a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 100))
product = np.array(mx.array(a, dtype=mx.float32) @ mx.array(b, dtype=mx.float32))
square = rng.standard_normal((50, 50))
inverse = np.array(mx.linalg.inv(mx.array(square, dtype=mx.float32), stream=mx.cpu))
maps = open("/proc/self/maps").read()
print(json.dumps({
    "product": float(np.abs(product - a @ b).max()),
    "inverse": float(np.abs(inverse @ square - np.eye(50)).max()),
    "loaded": [line.split()[-1] for line in maps.splitlines() if "blas" in line.lower()],
    "library": library,
}))
"""


def test_the_wheel_s_library_is_renamed_once(tmp_path: Path, monkeypatch) -> None:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = blas.pypi_openblas()
    assert made is not None and Path(made).is_relative_to(tmp_path)
    stamp = Path(made).stat().st_mtime_ns
    assert blas.pypi_openblas() == made and Path(made).stat().st_mtime_ns == stamp
    with open(made, "rb") as handle:
        table = ELFFile(handle).get_section_by_name(".dynsym")
        assert isinstance(table, SymbolTableSection)
        defined = {s.name for s in table.iter_symbols() if s["st_shndx"] != "SHN_UNDEF"}
    assert {"cblas_sgemm", "sgeev_", "openblas_set_num_threads"} <= defined
    assert not any(name.startswith(blas.PREFIX) for name in defined)
    assert blas.openblas() == made  # preferred over the system's


def test_mlx_with_it_computes_what_numpy_does() -> None:
    library = blas.pypi_openblas()
    assert library is not None
    # Loaded in the process (no LD_PRELOAD), the dynamic linker binds mlx's symbols to it,
    # not to its bundled BLAS; LD_DEBUG says where each was bound.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env["LD_DEBUG"] = "bindings"
    done = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["product"] < 1e-3 and found["inverse"] < 1e-3
    assert library in found["loaded"] and found["library"] == library
    bound = [line for line in done.stderr.splitlines() if "libmlx" in line and "to " in line]
    for symbol in ("cblas_sgemm", "sgetrf_"):
        (line,) = [b for b in bound if f"`{symbol}'" in b]
        assert library in line, line


def test_without_the_wheel_the_system_s_is_the_fallback(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(blas, "pypi_openblas", lambda: None)
    system = tmp_path / "libblas.so.3"
    system.write_bytes(b"")
    monkeypatch.setattr(blas, "SYSTEM", [str(tmp_path / "missing.so"), str(system)])
    assert blas.openblas() == str(system)


def test_too_late_after_mlx_and_off_when_asked() -> None:
    code = (
        "import mlx.core, json\nfrom punie_lsp.model import blas\nprint(json.dumps(blas.load()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    late = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert late.returncode == 0 and json.loads(late.stdout) is None
    off = {**env, "PUNIE_NO_OPENBLAS": "1"}
    code = "import json\nfrom punie_lsp.model import blas\nprint(json.dumps(blas.load()))\n"
    asked = subprocess.run([sys.executable, "-c", code], env=off, capture_output=True, text=True)
    assert asked.returncode == 0 and json.loads(asked.stdout) is None


def test_openblas_num_threads_is_the_user_s_word(monkeypatch) -> None:
    handle = ctypes.CDLL(blas.load())
    for count in (1, 2):
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", str(count))
        assert blas.fit_threads() == count and handle.openblas_get_num_threads() == count


def test_a_core_another_program_keeps_busy_is_left_to_it(monkeypatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0))
    handle = ctypes.CDLL(blas.load())
    spin = [sys.executable, "-c", "while True: pass"]
    burners = [subprocess.Popen(spin) for _ in range(cores)]
    try:
        time.sleep(1.0)  # each burner past its start, spinning
        # Other load can only take more cores; every core is held, so one thread remains.
        assert blas.idle_cores() == 1
        assert blas.fit_threads() == 1 and handle.openblas_get_num_threads() == 1
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.parametrize(
    ("loadavg", "others"), [("0.5 0.4 0.3 1/120 42\n", 0), ("2.1 1.9 1.0 3/150 42\n", 2)]
)
def test_idle_cores_counts_the_other_runnable_threads(
    monkeypatch, tmp_path: Path, loadavg: str, others: int
) -> None:
    (fake := tmp_path / "loadavg").write_text(loadavg)
    monkeypatch.setattr(blas, "LOADAVG", fake)
    cores = len(os.sched_getaffinity(0))
    assert blas.idle_cores() == max(1, cores - others)
    monkeypatch.setattr(blas, "LOADAVG", tmp_path / "missing")  # not Linux's /proc: all cores
    assert blas.idle_cores() == cores
