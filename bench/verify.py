"""How long verifying an edit takes (agent/verify.py), against checking one version by hand.

Ours: `verify()` on a copy of examples/sample, src/ledger/transfers.py with one line changed: ty,
ruff and the tests that import the file, on the text before and after, each run in the sandbox's
wall with the text as an overlay (two workers at once). The peer: what a user runs by hand to
check one version, `ty check F`, `ruff check F` and `pytest` on the same test files, one after
the other as fresh processes. Alternating, medians in seconds and their ratio are printed.

    uv run python bench/verify.py [--runs 10]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample"
BIN = Path(sys.executable).absolute().parent


def by_hand(project: Path, path: Path, tests: list[str]) -> float:
    start = time.perf_counter()
    for argv in (
        [str(BIN / "ty"), "check", str(path)],
        [str(BIN / "ruff"), "check", "--no-cache", str(path)],
        [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
    ):
        subprocess.run(argv, cwd=project, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from punie_lsp.agent import wall
    from punie_lsp.agent.verify import verify
    from punie_lsp.tools.pytest import tests_for

    if not wall.status().available:
        sys.exit(f"no sandbox wall here ({wall.status().detail}): nothing to verify with")
    with tempfile.TemporaryDirectory(prefix="punie-bench-") as tmp:
        project = Path(tmp) / "sample"
        shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns(".*cache*", "__pycache__"))
        path = project / "src" / "ledger" / "transfers.py"
        before = path.read_text(encoding="utf-8")
        after = before.replace("return amount // 100", "return amount // 100  # floor")
        tests = tests_for(project, str(path.relative_to(project)))
        ours, peer = [], []
        summary = ""
        for run in range(args.runs + 1):  # the first warms caches and is dropped
            found = verify(project, path, before, after)
            theirs = by_hand(project, path, tests)
            summary = found.summary()
            if run:
                ours.append(found.seconds)
                peer.append(theirs)
    mine, theirs = statistics.median(ours), statistics.median(peer)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs; {summary}")
    print()
    print("| check | seconds, median [min-max] |")
    print("|---|---|")
    print(f"| verify(): two versions, sandboxed | {mine:.2f} [{min(ours):.2f}-{max(ours):.2f}] |")
    print(
        f"| ty + ruff + pytest by hand, one version | {theirs:.2f} "
        f"[{min(peer):.2f}-{max(peer):.2f}] |"
    )
    print(f"\nours / by hand: {mine / theirs:.2f}; tests chosen: {', '.join(tests)}")


if __name__ == "__main__":
    main()
