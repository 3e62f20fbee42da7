"""What the operating-system wall costs a snippet: run_code with the wall and without it.

    uv run python bench/sandbox.py --runs 5

Each snippet is one typed tool on examples/sample, run with the wall (bubblewrap) and
without it (PUNIE_SANDBOX_WALL=off), alternating, with a pause before each run so that the
spare worker is ready, as it is between two questions. Also times a cold start (no spare:
the worker started, under the wall or not, when the snippet arrives).
"""

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from punie_lsp.agent import sandbox, wall

ROOT = Path(__file__).resolve().parent.parent / "examples" / "sample"
SNIPPETS = {
    "pytest_run": 'print(pytest_run("tests").failed)',
    "typecheck": 'print(typecheck("src").error_count)',
    "ruff_check": 'print(ruff_check("src").violation_count)',
    "read_file": 'print(len(read_file("src/ledger/transfers.py")))',
}


def switch(on: bool) -> None:
    """The wall on or off from the next worker on (the spare is replaced)."""
    os.environ[wall.SWITCH] = "on" if on else "off"
    wall.status.cache_clear()
    sandbox.SPARE.prestart(None)  # drops the spare started under the other setting


def timed(code: str, warm: bool, pause: float) -> float:
    if warm:
        sandbox.prestart(ROOT)
        time.sleep(pause)
    else:
        sandbox.SPARE.prestart(None)  # a spare for no workspace: the run starts its own
        time.sleep(pause)
    started = time.monotonic()
    result = sandbox.run_code(code, ROOT)
    took = time.monotonic() - started
    assert result.error is None, result.error
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pause", type=float, default=2.0)
    args = parser.parse_args()
    logging.getLogger(wall.__name__).setLevel(logging.ERROR)  # "no wall" is the point here
    switch(True)
    if not wall.status().available:
        raise SystemExit(f"no wall to measure: {wall.status().detail}")
    print(f"wall: {wall.status().detail}, flags {' '.join(wall.status().flags) or '(none)'}")
    print("\n| snippet | spare ready | with wall (s) | without (s) | with / without |")
    print("|---|---|---|---|---|")
    for name, code in SNIPPETS.items():
        for warm in (True, False):
            times: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(args.runs):
                for on in (True, False):
                    switch(on)
                    times[on].append(timed(code, warm, args.pause))
            with_wall, without = statistics.median(times[True]), statistics.median(times[False])
            print(
                f"| {name} | {'yes' if warm else 'no (cold)'} | {with_wall:.3f} | "
                f"{without:.3f} | {with_wall / without:.2f} |"
            )


if __name__ == "__main__":
    main()
