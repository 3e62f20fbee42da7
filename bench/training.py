"""Seconds a LoRA iteration takes with the frozen layers' activations cached
(training/prefix.py) against mlx-lm's own loss, which runs every layer on every iteration.

Each run trains both ways from the base model for three passes over the first EXAMPLES
examples of a `punie-lsp data` folder (batch 2, one loss report a pass): the first pass of
the cached way computes and keeps the activations, the later ones read them. Runs alternate
the two ways so machine noise hits both; medians are printed, with what a recipe of ITERS
iterations over the whole folder's training split would take each way.

    uv run python bench/training.py DATA [--examples 64] [--runs 2] [--iters 2000]
"""

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from punie_lsp.training import train
from punie_lsp.training.plot import read_loss

BATCH = 2
PASSES = 3


def examples(data: Path) -> list[str]:
    """The training split's examples, one JSON line each."""
    return (data / "train.jsonl").read_text("utf-8").splitlines()


def subset(data: Path, count: int, into: Path) -> Path:
    into.mkdir(parents=True)
    lines = examples(data)[:count]
    (into / "train.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    for name in ("valid", "test"):  # one small batch each: not what is timed
        (into / f"{name}.jsonl").write_text("\n".join(lines[:BATCH]) + "\n", "utf-8")
    return into


def seconds_per_iteration(data: Path, out: Path, cached: bool) -> list[float]:
    """Wall seconds an iteration took in each pass over data. Not the trainer's own rate:
    it leaves out the time spent making a batch, where the cached way's first pass computes
    the activations."""
    per_pass = len(examples(data)) // BATCH
    train.train(
        data,
        out,
        iters=per_pass * PASSES,
        batch_size=BATCH,
        steps_per_report=per_pass,
        steps_per_eval=10**9,  # only the trainer's first and last validation
        val_batches=1,
        test_batches=1,
        save_every=10**9,
        frozen_prefix=cached,
    )
    records = read_loss(out / "loss.jsonl")
    seconds, last, validating = [], records[0]["time"], 0.0
    for record in records[1:]:
        if record["kind"] == "valid":  # the last pass's closing validation is not training
            validating += record["val_time"]
            continue
        seconds.append((record["time"] - last - validating) / per_pass)
        last, validating = record["time"], 0.0
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder from `punie-lsp data`")
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--iters", type=int, default=train.RECIPE["iters"])
    args = parser.parse_args()
    times: dict[str, list[list[float]]] = {"plain": [], "cached": []}
    with tempfile.TemporaryDirectory(prefix="punie-bench-train-") as tmp:
        data = subset(args.data, args.examples, Path(tmp) / "data")
        for run in range(args.runs):
            for way in ("plain", "cached"):
                out = Path(tmp) / f"{way}-{run}"
                times[way].append(seconds_per_iteration(data, out, way == "cached"))
                shutil.rmtree(out)
    med = {
        way: [statistics.median(r[i] for r in runs) for i in range(PASSES)]
        for way, runs in times.items()
    }
    plain_later = statistics.median(med["plain"][1:])
    cached_later = statistics.median(med["cached"][1:])
    print(f"s/iteration, medians of {args.runs} runs, {args.examples} examples, batch {BATCH}:")
    for way, passes in med.items():
        later = statistics.median(passes[1:])
        print(f"  {way:6}  first pass {passes[0]:.2f}  later passes {later:.2f}")
    print(f"later passes, plain / cached: {plain_later / cached_later:.2f}")
    split = len(examples(args.data))
    first = min(args.iters, split // BATCH)  # iterations of the cached way's first pass
    plain_s = args.iters * plain_later
    cached_s = first * med["cached"][0] + (args.iters - first) * cached_later
    print(
        f"{args.iters} iterations over {split} examples: plain {plain_s / 3600:.2f} h, "
        f"cached {cached_s / 3600:.2f} h, ratio {plain_s / cached_s:.2f}"
    )


if __name__ == "__main__":
    main()
