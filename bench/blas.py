"""Which BLAS mlx runs on, and what it costs the README's main command.

For each BLAS (mlx-cpu's bundled reference BLAS, the scipy-openblas32 wheel's OpenBLAS as
punie_lsp/model/blas.py renames it, and Debian's OpenBLAS where `libopenblas0-pthread` is
installed), in the same run:
- float32 GEMM throughput of mlx (1024 x 1024, median of 5 after a warm-up), checked against
  numpy;
- the README's main command end to end (`punie-lsp ask "Which tests fail in tests/?" --root
  examples/sample`, a warm cache: the model already converted), median over --runs.
The peer of the PyPI OpenBLAS is Debian's: the target is within 1.2x of it.

    uv run python bench/blas.py [--runs 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = ["-m", "punie_lsp", "ask", "Which tests fail in tests/?", "--root", "examples/sample"]
GEMM = """
from punie_lsp.model import blas
blas.load()  # as the model's thread does (nothing where PUNIE_NO_OPENBLAS is set)
import json, time, numpy as np, mlx.core as mx
n = 1024
rng = np.random.default_rng(0)
a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
x, y = mx.array(a), mx.array(b)
mx.eval(x @ y)
times = []
for _ in range(5):
    start = time.perf_counter(); c = x @ y; mx.eval(c); times.append(time.perf_counter() - start)
error = float(np.abs(np.array(c) - a.astype(np.float64) @ b.astype(np.float64)).max())
print(json.dumps({"gflops": 2 * n**3 / sorted(times)[2] / 1e9, "error": error}))
"""


def environments() -> dict[str, dict[str, str]]:
    """The environment each BLAS runs under: punie-lsp's own (it loads the PyPI wheel's), or
    LD_PRELOAD set by hand with punie-lsp's loading turned off, so each row is the BLAS it
    names."""
    from punie_lsp.model.blas import SYSTEM, pypi_openblas

    base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PUNIE_NO_OPENBLAS")}
    rows = {"bundled reference BLAS": {**base, "PUNIE_NO_OPENBLAS": "1"}}
    if pypi_openblas() is not None:
        rows["OpenBLAS from PyPI (scipy-openblas32)"] = dict(base)
    if (system := next((p for p in SYSTEM if Path(p).is_file()), None)) is not None:
        rows["Debian's OpenBLAS"] = {**base, "LD_PRELOAD": system, "PUNIE_NO_OPENBLAS": "1"}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; README main command, median of {args.runs} (warm cache)")
    rows = {}
    for name, env in environments().items():
        gemm = json.loads(
            subprocess.run(
                [sys.executable, "-c", GEMM], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, *MAIN], env=env, cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            seconds.append(time.perf_counter() - start)
        rows[name] = (gemm, seconds)
    print("\n| BLAS | mlx GEMM GFLOP/s | max error vs numpy | main command (s), median [min-max] |")
    print("|---|---|---|---|")
    for name, (gemm, seconds) in rows.items():
        print(
            f"| {name} | {gemm['gflops']:.1f} | {gemm['error']:.1e} | "
            f"{statistics.median(seconds):.2f} [{min(seconds):.2f}-{max(seconds):.2f}] |"
        )
    medians = {name: statistics.median(s) for name, (_, s) in rows.items()}
    pypi, debian = (
        medians.get("OpenBLAS from PyPI (scipy-openblas32)"),
        medians.get("Debian's OpenBLAS"),
    )
    if pypi and debian:
        print(f"\nratio of the main command, PyPI / Debian OpenBLAS: {pypi / debian:.2f}")
    if pypi:
        bundled = medians["bundled reference BLAS"]
        print(f"ratio of the main command, bundled / PyPI OpenBLAS: {bundled / pypi:.2f}")


if __name__ == "__main__":
    main()
