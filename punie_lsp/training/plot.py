"""The pictures in docs/model.md: training loss curves, and accuracy and speed against
quantization bits. matplotlib is a development dependency: only these plots need it.

    uv run python -m punie_lsp.training.plot loss RUN/loss.jsonl ... --out docs/model-loss.png
"""

import argparse
import json
from pathlib import Path
from typing import Any


def read_loss(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def loss_curves(runs: dict[str, Path], out: Path) -> Path:
    """Train and validation loss per iteration, one colour per run (label -> loss.jsonl)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for index, (label, path) in enumerate(runs.items()):
        records = read_loss(path)
        colour = f"C{index}"
        for kind, style in (("train", "-"), ("valid", "o--")):
            points = [r for r in records if r["kind"] == kind]
            key = "train_loss" if kind == "train" else "val_loss"
            ax.plot(
                [r["iteration"] for r in points],
                [r[key] for r in points],
                style,
                color=colour,
                label=f"{label} {kind}",
            )
    ax.set_yscale("log")
    labels = ("iteration", "loss (reply tokens)")
    return finish(fig, ax, out, "LoRA fine-tuning of SmolLM2-135M on Code Mode data", *labels)


def finish(fig: Any, ax: Any, out: Path, title: str, xlabel: str, ylabel: str) -> Path:
    """Label a line plot, give it a legend and a grid, and save it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


def quantization(rows: list[dict[str, Any]], out: Path) -> Path:
    """Strict accuracy and generation speed for each weight format (rows from
    bench/quantization.py: label, bits (0 = unquantized), strict, tokens_per_second)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, accuracy = plt.subplots(figsize=(7, 4))
    labels = [r["label"] for r in rows]
    accuracy.bar(labels, [100 * r["strict"] for r in rows], color="C0", alpha=0.7)
    accuracy.set_ylabel("strict accuracy on the evaluation (%)", color="C0")
    accuracy.set_ylim(0, 100)
    speed = accuracy.twinx()
    speed.plot(labels, [r["tokens_per_second"] for r in rows], "o-", color="C3")
    speed.set_ylabel("generation tokens/s (2-core CPU)", color="C3")
    speed.set_ylim(0, max(r["tokens_per_second"] for r in rows) * 1.2)
    accuracy.set_title("Fused Code Mode model: accuracy and speed by weight format")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="plot training loss curves")
    parser.add_argument("what", choices=["loss"])
    parser.add_argument("runs", nargs="+", type=Path, help="loss.jsonl files (label: folder)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    loss_curves({path.parent.name: path for path in args.runs}, args.out)


if __name__ == "__main__":
    main()
