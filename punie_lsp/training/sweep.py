"""Accuracy against the number of training projects: do more projects still help?

Each point is the CPU recipe from scratch on data over the first N generated training
projects, evaluated out of distribution:

    punie-lsp data DIR/pN/data --count C --seed S --projects N
    punie-lsp train DIR/pN/data DIR/pN/adapter --batch-size B --iters I --learning-rate L --seed 0
    punie-lsp eval --adapter DIR/pN/adapter --suites generated,vendored,heldout --json ...

A point takes hours on a 2-core CPU, so the sweep goes on where it stopped: a step whose
output is complete (the data's manifest, the adapter's recipe.json, the scores) is not run
again, and an interrupted step starts over. The plot shows what the finished points say.

    uv run punie-lsp sweep DIR --projects 25 50 100 200 [--plot docs/model-sweep.png]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SUITES = ("generated", "vendored", "heldout")  # out of distribution, reported apart


def point(out: Path, projects: int) -> Path:
    return out / f"p{projects}"


def steps(folder: Path, projects: int, args: argparse.Namespace) -> list[tuple[Path, list[str]]]:
    """Each step's finished-marker and its punie-lsp command."""
    data, adapter, scores = folder / "data", folder / "adapter", folder / "scores.json"
    return [
        (data / "manifest.json",
         ["data", str(data), "--count", str(args.count), "--seed", str(args.seed),
          "--projects", str(projects)]),
        (adapter / "recipe.json",
         ["train", str(data), str(adapter), "--batch-size", str(args.batch_size),
          "--iters", str(args.iters), "--learning-rate", str(args.learning_rate), "--seed", "0"]),
        (scores,
         ["eval", "--adapter", str(adapter), "--suites", ",".join(SUITES), "--json", str(scores)]),
    ]  # fmt: skip


def run_point(out: Path, projects: int, args: argparse.Namespace) -> None:
    for done, command in steps(point(out, projects), projects, args):
        if done.exists():
            continue
        print(f"sweep: {projects} projects: punie-lsp {' '.join(command)}", flush=True)
        # eval exits 1 when a question fails; its scores are what the sweep wants.
        subprocess.run([sys.executable, "-m", "punie_lsp", *command], check=command[0] != "eval")
        if not done.exists():
            raise SystemExit(f"sweep: {done} was not written")


def accuracy(scores: list[dict[str, Any]]) -> dict[str, float]:
    """Strict accuracy per suite."""
    found: dict[str, float] = {}
    for suite in SUITES:
        marks = [s["passed"] for s in scores if s["split"] == suite]
        if marks:
            found[suite] = sum(marks) / len(marks)
    return found


def finished(out: Path, projects: list[int]) -> dict[int, dict[str, float]]:
    points = {}
    for n in projects:
        scores = point(out, n) / "scores.json"
        if scores.exists():
            points[n] = accuracy(json.loads(scores.read_text(encoding="utf-8")))
    return points


def plot(points: dict[int, dict[str, float]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from punie_lsp.training.plot import finish

    fig, ax = plt.subplots(figsize=(7, 4))
    for suite in SUITES:
        xs = [n for n in sorted(points) if suite in points[n]]
        ax.plot(xs, [100 * points[n][suite] for n in xs], "o-", label=suite)
    ax.set_xscale("log")
    ax.minorticks_off()  # the points' own ticks only, not 3x10^1 and its kin
    ax.set_xticks(sorted(points), [str(n) for n in sorted(points)])
    title = "Out-of-distribution accuracy against training projects"
    labels = ("generated training projects", "strict accuracy, held out (%)")
    return finish(fig, ax, out, title, *labels)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="one folder per point: pN/data, adapter, scores")
    parser.add_argument("--projects", type=int, nargs="+", default=[25, 50, 100, 200])
    parser.add_argument("--count", type=int, default=2000, help="examples per point")
    parser.add_argument("--seed", type=int, default=10, help="the data's seed")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--plot", type=Path, default=None, help="write the accuracy plot here")
    parser.add_argument("--plot-only", action="store_true", help="run nothing; plot what is done")


def run(args: argparse.Namespace) -> int:
    if not args.plot_only:
        for n in args.projects:
            run_point(args.out, n, args)
    points = finished(args.out, args.projects)
    for n, marks in sorted(points.items()):
        print(n, " ".join(f"{suite} {100 * mark:.1f} %" for suite, mark in marks.items()))
    if args.plot is not None and points:
        print(f"plot: {plot(points, args.plot)}")
    return 0
