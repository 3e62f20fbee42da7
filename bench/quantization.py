"""Accuracy and speed of the fused Code Mode model at each weight format, on this machine.

Runs the full executable evaluation (`punie-lsp eval`) once per format, each in its own
process, and reports strict accuracy, tool-or-direct accuracy, generation tokens per second
(over all evaluation replies, drafts included), evaluation wall time and size on disk;
writes the table as Markdown and the plot as a PNG.

    uv run punie-lsp train DATA ADAPTER --fuse /tmp/fused --quantize 4 5 6 8
    uv run python bench/quantization.py /tmp/fused [--out docs/model-quantization.png]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from punie_lsp.training.plot import quantization


def formats(fused: Path) -> list[tuple[str, int, Path]]:
    """(label, bits, folder): the fused model and each quantized copy beside it."""
    found = [("float32", 0, fused)]
    for bits in (8, 6, 5, 4):
        folder = fused.with_name(f"{fused.name}-q{bits}")
        if folder.is_dir():
            found.append((f"{bits}-bit", bits, folder))
    return found


def measure(label: str, bits: int, folder: Path, limit: int | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        scores_file = Path(tmp) / "scores.json"
        command = [sys.executable, "-m", "punie_lsp", "eval", "--model", str(folder)]
        command += ["--adapter", "none", "--json", str(scores_file)]
        command += ["--limit", str(limit)] if limit else []
        run = subprocess.run(command, capture_output=True, text=True)
        if not scores_file.is_file():
            raise RuntimeError(f"{label}: evaluation failed\n{run.stdout}\n{run.stderr}")
        scores = json.loads(scores_file.read_text())
        print(run.stdout, flush=True)
    n = len(scores)
    seconds = sum(s["generation_seconds"] for s in scores)
    return {
        "label": label,
        "bits": bits,
        "strict": sum(s["passed"] for s in scores) / n,
        "kind": sum(s["kind_ok"] for s in scores) / n,
        "questions": n,
        "tokens_per_second": sum(s["generation_tokens"] for s in scores) / max(seconds, 1e-9),
        "wall": sum(s["seconds"] for s in scores),
        "megabytes": sum(f.stat().st_size for f in folder.glob("*.safetensors")) / 1e6,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| format | strict | tool-or-direct | generation tok/s | eval wall (s) | size (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["questions"]
        lines.append(
            f"| {r['label']} | {round(r['strict'] * n)}/{n} ({100 * r['strict']:.0f} %)"
            f" | {round(r['kind'] * n)}/{n} | {r['tokens_per_second']:.1f} | {r['wall']:.0f}"
            f" | {r['megabytes']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fused", type=Path, help="the fused model folder (from train --fuse)")
    parser.add_argument("--out", type=Path, default=Path("docs/model-quantization.png"))
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--bits", type=int, nargs="*", default=None, help="only these (0: float)")
    args = parser.parse_args()
    chosen = [f for f in formats(args.fused) if args.bits is None or f[1] in args.bits]
    rows = [measure(*f, limit=args.limit) for f in chosen]
    print(table(rows))
    quantization(rows, args.out)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
