"""How fast punie-lsp answers with the embedded model, and what its host adds or saves.

- cold start: `punie-lsp ask` as a fresh process (model already converted in the cache) to
  its printed answer; and once, the first-ever conversion of the embedded model;
- in process, over a fixed set of questions: model load, time to first token, reply tokens
  per second (every token over the time from the request: the first pass may carry many
  guessed tokens, so a rate after the first token would mean little), sandbox time and
  end-to-end answer time;
- peer: `mlx_lm.generate` on the same model, prompt and token budget without our host
  (no shared system-prompt cache), for the first reply of each question.

    uv run python bench/ask.py [--runs 3]
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
QUESTIONS = [
    "Which tests fail in tests/?",
    "How many type errors are in src/?",
    "Are there lint problems in src/ledger/?",
    "What functions are defined in src/ledger/transfers.py?",
    "What does the walrus operator do?",
    "What is a dataclass?",
]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cold_start(cache: Path, runs: int) -> tuple[float, list[float]]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    argv = [sys.executable, "-m", "punie_lsp", "ask", QUESTIONS[0], "--root", str(SAMPLE)]
    times = []
    for _ in range(runs + 1):  # the first also converts the model into the fresh cache
        start = time.perf_counter()
        subprocess.run([*argv, "--json"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times[0], times[1:]


def in_process(cache: Path, runs: int) -> None:
    os.environ["XDG_CACHE_HOME"] = str(cache)
    from mlx_lm import generate  # after the environment is set
    from mlx_lm.utils import load_tokenizer

    from punie_lsp import prompt
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.embedded import embedded_model_dir
    from punie_lsp.model.host import ModelHost

    start = time.perf_counter()
    host = ModelHost().start()
    host.wait_loaded()
    print(f"model load (converted, in process): {time.perf_counter() - start:.2f} s")
    print(f"model: {host.description}\n")
    tokenizer = load_tokenizer(embedded_model_dir())  # mlx-lm's own, for its generate
    columns = ["question", "kind", "ttft (s)", "reply tok/s", "tool (s)", "answer (s)"]
    columns += ["peer first reply (s)", "ours / peer"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|")
    all_total, all_tps, all_ttft = [], [], []
    for question in QUESTIONS:
        ttft, tps, tool, total, ours_first, peer = [], [], [], [], [], []
        kind = ""
        for _ in range(runs):
            answer = ask(question, SAMPLE, host.generate)
            t = answer.timings
            kind = answer.kind
            ttft.append(t.prompt)
            tps.append(t.generation_tokens / (t.prompt + t.generation))
            tool.append(t.tool)
            total.append(t.total)
            ours_first.append(t.prompt + t.generation)
            text = prompt.render(tokenizer, prompt.messages(question))
            begin = time.perf_counter()
            generate(host._model, tokenizer, text, max_tokens=t.generation_tokens or 1)
            peer.append(time.perf_counter() - begin)
        all_total += total
        all_tps += tps
        all_ttft += ttft
        print(
            f"| {question} | {kind} | {median(ttft):.2f} | {median(tps):.1f} | "
            f"{median(tool):.2f} | {median(total):.2f} | {median(peer):.2f} | "
            f"{median(ours_first) / median(peer):.2f} |",
            flush=True,
        )
    print(
        f"\nmedians over all questions: time to first token {median(all_ttft):.2f} s, "
        f"reply {median(all_tps):.1f} tok/s, answer {median(all_total):.2f} s"
    )
    host.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from punie_lsp.model import blas

    library = blas.load()  # as the model's thread does
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, OpenBLAS: {library}")
    cache = Path(tempfile.mkdtemp(prefix="punie-bench-cache-"))
    try:
        first, cold = cold_start(cache, args.runs)
        print(f"first run ever (converts the model): {first:.1f} s")
        print(f"cold start, process to answer: median {median(cold):.1f} s over {len(cold)} runs")
        in_process(cache, args.runs)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
