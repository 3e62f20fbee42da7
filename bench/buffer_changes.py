"""What applying one keystroke to our copy of a buffer costs: server/edits.apply_change
against pygls' own `TextDocument.apply_change` (which walks every line in Python), on the
generated 5,000-line module of bench/diagnostics.py, for an edit at its end and one in its
middle. Runs alternate; medians in milliseconds and their ratio, as a markdown table.

    uv run python bench/buffer_changes.py [--runs 15]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

sys.path.insert(0, str(Path(__file__).parent))
from diagnostics import big_module  # the benchmarks' 5,000-line file

from punie_lsp.server.edits import apply_change


def change(line: int, character: int, end_line: int, end_character: int, text: str):
    where = types.Range(types.Position(line, character), types.Position(end_line, end_character))
    return types.TextDocumentContentChangePartial(range=where, text=text)


def timed(work: Callable[[], str], repeat: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    text = big_module()
    last = text.count("\n")
    cases = {
        "a line typed at the end": change(last, 0, last, 0, "# edit\n"),
        "a word replaced in the middle": change(last // 2, 4, last // 2, 8, "item"),
    }
    codec = PositionCodec()
    print(f"python {sys.version.split()[0]}, {last} lines, {args.runs} runs each")
    print()
    print("| edit | ours (ms) | pygls (ms) | ours / pygls |")
    print("|---|---|---|---|")
    for label, edit in cases.items():

        def pygls(edit: types.TextDocumentContentChangePartial = edit) -> str:
            kind = types.TextDocumentSyncKind.Incremental
            doc = TextDocument("file:///big.py", text, sync_kind=kind)
            doc.apply_change(edit)
            return doc.source

        def ours(edit: types.TextDocumentContentChangePartial = edit) -> str:
            return apply_change(text, edit, codec)

        if ours() != pygls():  # the same text where no form feed is in it
            raise SystemExit(f"{label}: the texts differ")
        times: dict[str, list[float]] = {"ours": [], "pygls": []}
        for _ in range(args.runs):
            times["ours"].append(timed(ours))
            times["pygls"].append(timed(pygls))
        a, b = statistics.median(times["ours"]), statistics.median(times["pygls"])
        print(f"| {label} | {a:.3f} | {b:.3f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
