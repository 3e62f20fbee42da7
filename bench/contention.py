"""Answers while other programs keep cores busy: OpenBLAS's threads fitted to the idle cores
(model/blas.py, what punie-lsp does) against OpenBLAS's own default, a thread per core (its
peer), and against one thread.

One ModelHost (the embedded model with the shipped adapter, as the server runs it) answers
questions about held-out generated projects (in no training split; bench/model.py's unseen
set) end to end with ask(), warm, under each load: none, then K burner processes (`while
True: pass`, one core each) for K = 1 .. cores - 1. The thread policy changes question by
question, so drift in the machine's speed falls on all three alike. Printed per load and
policy: the median answer, prompt and generation seconds, the threads used, and the ratio of
the default's median answer to the fitted one's.

    uv run python bench/contention.py [--projects 2] [--questions 8] [--pause 1.5]

--pause is a reader's pause before each question, in which the next sandbox worker starts
(as in bench/model.py); with less, that start is itself a busy core when the answer begins.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any

BURNER = [sys.executable, "-c", "while True: pass"]


def policies(cores: int) -> dict[str, str | None]:
    """Each thread policy as the OPENBLAS_NUM_THREADS that model/blas.py then obeys."""
    return {"fitted (punie-lsp)": None, f"default ({cores})": str(cores), "one": "1"}


@contextmanager
def burning(count: int):
    burners = [subprocess.Popen(BURNER) for _ in range(count)]
    try:
        time.sleep(1.0 if count else 0.0)  # past their start, spinning
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def under(
    load: int, items: list[dict[str, Any]], host: Any, rules: dict[str, str | None], pause: float
):
    from punie_lsp.agent import sandbox
    from punie_lsp.agent.loop import ask
    from punie_lsp.training.evaluate import root_of

    rows: dict[str, dict[str, list[float]]] = {
        name: {"total": [], "prompt": [], "generation": [], "threads": []} for name in rules
    }
    with burning(load):
        for item in items:
            root = root_of(item)
            for name, threads in rules.items():
                if threads is None:
                    os.environ.pop("OPENBLAS_NUM_THREADS", None)
                else:
                    os.environ["OPENBLAS_NUM_THREADS"] = threads
                sandbox.prestart(root)
                time.sleep(pause)  # a reader's pause: the spare sandbox worker starts in it
                t = ask(item["question"], root, host.generate).timings
                for key, value in (
                    ("total", t.total), ("prompt", t.prompt), ("generation", t.generation),
                    ("threads", t.blas_threads),
                ):  # fmt: skip
                    rows[name][key].append(value)
    os.environ.pop("OPENBLAS_NUM_THREADS", None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2)
    parser.add_argument("--questions", type=int, default=8, help="per load and policy")
    parser.add_argument("--pause", type=float, default=1.5, help="seconds before each question")
    args = parser.parse_args()

    from punie_lsp.model import blas

    blas.load()  # before mlx, as the model's thread does
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.host import ModelHost
    from punie_lsp.training.evaluate import generated_questions, root_of

    cores = len(os.sched_getaffinity(0))
    items = generated_questions(args.projects)[: args.questions]
    host = ModelHost().start()
    host.wait_loaded()
    ask(items[0]["question"], root_of(items[0]), host.generate)  # warm-up
    rules = policies(cores)
    print(f"{cores} cores; {len(items)} unseen-project questions per load and policy; medians")
    print("\n| busy cores | threads | answer (s) | prompt (s) | generation (s) | threads used |")
    print("|---|---|---|---|---|---|")
    for load in range(cores):
        rows = under(load, items, host, rules, args.pause)
        for name, row in rows.items():
            used = sorted(set(int(n) for n in row["threads"]))
            print(
                f"| {load} | {name} | {statistics.median(row['total']):.2f} "
                f"[{min(row['total']):.2f}-{max(row['total']):.2f}] | "
                f"{statistics.median(row['prompt']):.2f} | "
                f"{statistics.median(row['generation']):.2f} | {used} |"
            )
        fitted, default = (statistics.median(rows[n]["total"]) for n in list(rules)[:2])
        print(f"| {load} | default / fitted | {default / fitted:.2f}x | | | |")
    host.stop()


if __name__ == "__main__":
    main()
