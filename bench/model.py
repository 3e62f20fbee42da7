"""The model path against llama.cpp, on the same prompts and the same base weights.

One run measures, on fixed Code Mode questions with greedy decoding:

- ours, in process (punie-lsp's ModelHost, as the server runs it, with the sandbox worker
  started ahead as the server starts it): time to first token, generation tokens per second
  after the first token (speculative tokens counted) and over the whole reply from the
  request (`reply tok/s`: tokens guessed in the prompt's own pass count there fairly),
  end-to-end `ask` time (model + sandbox + tools; median and spread over warm runs, and the
  cold first answer), forward passes per reply, and peak resident memory; once with the
  shipped adapter (what users run), once on the bare base weights with lookup drafts off and
  on (what llama.cpp runs). `--pause` seconds pass before each question (a reader's pause, in
  which the next sandbox worker gets ready; 0 asks back to back);
- llama.cpp through llama-cpp-python on the original GGUF (the file the embedded model is
  converted from), same prompt text, same token budget, greedy, 2 threads; built once into
  ~/.cache/punie-lsp/bench/llama-venv (minutes; never in CI);
- the memory bandwidth of this machine (numpy copies, measured in the same run) and the
  decode bound it sets for each weight format: bandwidth / bytes of weights per token;
- held out: the model alone (shipped adapter) and llama.cpp on the 54 evaluation questions,
  which are in no training split, so the whole-reply guess (model/recall.py) is measured on
  questions it has never seen; with the guess on and off;
- the grammar and the documentation tools in the warm answer: `ask` end to end on the
  held-out project's and the documentation questions, with the workspace grammar on and
  off (its peer: the same path unconstrained): the answer's median, the grammar's writing
  and its per-token cost while decoding, and the documentation tools' time in a direct
  answer (`--constraint-only` runs only this);
- unseen projects (the headline of the held-out figures): the evaluation's questions about
  held-out generated projects (training/questions.py; their seeds, names and wording are in
  no training split), the model alone with the guess on and off against llama.cpp on the
  same prompts, and the warm answer end to end (`ask`, grammar on, the sandbox's tools
  included) with its median (`--unseen-only` runs only this).

    uv run python bench/model.py [--runs 3] [--no-llama] [--pause 2] [--shipped-only]
                                 [--constraint-only] [--unseen-only] [--projects 3]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample"
QUESTIONS = [
    "Which tests fail in tests/?",
    "How many type errors are in src/?",
    "Are there lint problems in src/ledger/?",
    "List every ruff violation in src/ledger/transfers.py with its line.",
]
MAX_TOKENS = 120
LLAMA_VERSION = "0.3.36"
LLAMA_VENV = Path.home() / ".cache" / "punie-lsp" / "bench" / "llama-venv"

# Runs inside the llama-cpp-python environment: prompts in, timings out (JSON lines).
LLAMA_SCRIPT = r"""
import json, sys, time
from llama_cpp import Llama
gguf, max_tokens, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prompts = json.loads(sys.stdin.read())
llm = Llama(gguf, n_ctx=2048, n_threads=2, n_batch=512, verbose=False, seed=0)
for prompt in prompts:
    for _ in range(runs):
        llm.reset()
        start = time.perf_counter(); first = None; tokens = 0; text = ""
        for piece in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                           top_k=1, stream=True):
            if first is None:
                first = time.perf_counter()
            tokens += 1
            text += piece["choices"][0]["text"]
        end = time.perf_counter()
        print(json.dumps({"ttft": first - start, "tokens": tokens,
                          "gen": end - first, "text": text[:80]}), flush=True)
"""


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}" if values else "-"


def bandwidth() -> float:
    """GB/s of a large array copy (read + write), the best of a few; numpy uses one thread."""
    import numpy as np

    a = np.ones(64 * 2**20, dtype=np.float32)  # 256 MiB, far beyond the caches
    b = np.empty_like(a)
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(b, a)
        best = max(best, 2 * a.nbytes / (time.perf_counter() - start) / 1e9)
    return best


def ours(runs: int, adapter: str | None, draft_tokens: int, pause: float) -> dict[str, Any]:
    from punie_lsp.agent import sandbox
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.generation import Generation
    from punie_lsp.model.host import ModelHost, ModelSpec

    sandbox.prestart(SAMPLE)  # as the server does when it starts the model
    host = ModelHost(ModelSpec(adapter=adapter), draft_tokens=draft_tokens).start()
    host.wait_loaded()
    seen: list[Generation] = []

    def generate(*args: Any, **kwargs: Any) -> Generation:
        seen.append(host.generate(*args, **kwargs))
        return seen[-1]

    ttft, tps, rate, total = [], [], [], []
    cold = None
    for question in QUESTIONS:
        for _ in range(runs + (1 if cold is None else 0)):
            time.sleep(pause)  # the reader's pause: the spare sandbox worker starts in it
            answer = ask(question, SAMPLE, generate, max_tokens=MAX_TOKENS)
            t = answer.timings
            if cold is None:
                cold = t.total
                continue
            ttft.append(t.prompt)
            # After the first token, as llama.cpp's figure; and the whole reply over the
            # time from the request, where tokens guessed in the prompt's pass count fairly.
            tps.append((t.generation_tokens - 1) / t.generation if t.generation else 0.0)
            rate.append(t.generation_tokens / (t.prompt + t.generation))
            total.append(t.total)
    drafted = sum(g.drafted_tokens for g in seen)
    accepted = sum(g.accepted_tokens for g in seen)
    description = host.description
    host.stop()
    return {
        "model": description,
        "draft_tokens": draft_tokens,
        "ttft": ttft,
        "tps": tps,
        "rate": rate,
        "passes": sum(g.passes for g in seen) / len(seen),
        "tokens": sum(g.generation_tokens for g in seen) / len(seen),
        "total": total,
        "cold": cold,
        "acceptance": accepted / drafted if drafted else 0.0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # peak so far
    }


def held_out(questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The model alone on the evaluation questions (held out from the training data, so
    the reply guess of model/recall.py cannot have seen them), with the guess on and off."""
    from punie_lsp import prompt
    from punie_lsp.model.generation import GenerateRequest
    from punie_lsp.model.host import ModelHost

    host = ModelHost().start()
    host.wait_loaded()
    recall, rows = host.recall, {}
    for name, guess in (("on", recall), ("off", None)):
        host.recall = guess  # read by the model thread at each job; it is idle here
        rate, seconds, passes = [], [], []
        for item in questions:
            g = host.generate(
                GenerateRequest(prompt.messages(item["question"]), MAX_TOKENS, prompt.STOP)
            )
            elapsed = g.prompt_seconds + g.generation_seconds
            rate.append(g.generation_tokens / elapsed)
            seconds.append(elapsed)
            passes.append(g.passes)
        rows[name] = {"rate": rate, "seconds": seconds, "passes": passes}
    host.stop()
    return rows


def constraint_cost(runs: int) -> dict[str, dict[str, list[float]]]:
    """ask() on the held-out project's and the documentation questions, grammar on and off,
    alternating per question so that drift hits both alike; the first pass warms up."""
    from punie_lsp.agent import sandbox
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.host import ModelHost
    from punie_lsp.training.evaluate import DOCS, HELDOUT, load_questions, root_of

    items = load_questions(HELDOUT) + load_questions(DOCS)
    sandbox.prestart(root_of(items[0]))
    host = ModelHost().start()
    host.wait_loaded()
    rows: dict[str, dict[str, list[float]]] = {
        name: {"total": [], "grammar": [], "build": [], "per_token": [], "docs": []}
        for name in ("on", "off")
    }
    ask(items[0]["question"], root_of(items[0]), host.generate)  # warm-up
    for item in items:
        for _ in range(runs):
            for name, constrain in (("on", True), ("off", False)):
                answer = ask(item["question"], root_of(item), host.generate, constrain=constrain)
                t, row = answer.timings, rows[name]
                row["total"].append(t.total)
                row["grammar"].append(t.grammar)
                row["build"].append(t.constraint_build)
                if t.generation_tokens:
                    applied = t.constraint - t.constraint_build
                    row["per_token"].append(applied / t.generation_tokens)
                if answer.kind == "direct" and answer.results:
                    row["docs"].append(t.tool)
    host.stop()
    return rows


def unseen_answers(items: list[dict[str, Any]], pause: float) -> list[float]:
    """ask() end to end on each question about its own project, warm, as the server answers:
    the seconds of each answer (a reader's pause before each, as in `ours`)."""
    from punie_lsp.agent import sandbox
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.host import ModelHost
    from punie_lsp.training.evaluate import root_of

    host = ModelHost().start()
    host.wait_loaded()
    ask(items[0]["question"], root_of(items[0]), host.generate)  # warm-up
    seconds = []
    for item in items:
        sandbox.prestart(root_of(item))
        time.sleep(pause)
        seconds.append(ask(item["question"], root_of(item), host.generate).timings.total)
    host.stop()
    return seconds


def unseen_projects(projects: int, pause: float, with_llama: bool) -> None:
    from punie_lsp.training.evaluate import generated_questions

    items = generated_questions(projects)
    rows = held_out(items)
    peer = None
    if with_llama and (python := ensure_llama()) is not None:
        peer = llama(python, prompts_as_text([q["question"] for q in items]), 1)
    answers = unseen_answers(items, pause)
    title = (
        f"\nunseen projects: {len(items)} questions about {projects} held-out generated "
        "projects, never in the training data; model only, one run each; medians"
    )
    print_model_only(title, rows, peer, list(range(len(items))), "unseen projects")
    print(
        f"warm answer end to end (ask, grammar on, tools included): median "
        f"{median(answers):.2f} s [{spread(answers)}]"
    )


def ensure_llama() -> Path | None:
    python = LLAMA_VENV / "bin" / "python"
    probe = [str(python), "-c", "import llama_cpp"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"building llama-cpp-python {LLAMA_VERSION} into {LLAMA_VENV} (minutes, once)...")
    subprocess.run([sys.executable, "-m", "venv", str(LLAMA_VENV)], check=True)
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
    pip = [str(python), "-m", "pip", "install", "--quiet", f"llama-cpp-python=={LLAMA_VERSION}"]
    if subprocess.run(pip, env=env).returncode != 0:
        print("llama-cpp-python did not build; skipping the peer")
        return None
    return python


def llama(python: Path, prompts: list[str], runs: int) -> dict[str, Any]:
    from punie_lsp.model.embedded import gguf_path

    done = subprocess.run(
        [str(python), "-c", LLAMA_SCRIPT, str(gguf_path()), str(MAX_TOKENS), str(runs)],
        input=json.dumps(prompts), capture_output=True, text=True, check=True,
        env=dict(os.environ, LD_PRELOAD=""),
    )  # fmt: skip
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {
        "ttft": [r["ttft"] for r in rows],
        "tps": [(r["tokens"] - 1) / r["gen"] for r in rows if r["gen"] > 0],
        "rate": [r["tokens"] / (r["ttft"] + r["gen"]) for r in rows],
    }


def prompts_as_text(questions: list[str]) -> list[str]:
    from mlx_lm.utils import load_tokenizer

    from punie_lsp import prompt
    from punie_lsp.model.embedded import embedded_model_dir

    tokenizer = load_tokenizer(embedded_model_dir())
    return [prompt.render(tokenizer, prompt.messages(q)) for q in questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-llama", action="store_true")
    parser.add_argument(
        "--pause", type=float, default=2.0, help="seconds between questions (0: back to back)"
    )
    parser.add_argument(
        "--shipped-only", action="store_true", help="only the shipped path: no base-weights "
        "rows, no held-out questions (minutes faster, for comparing settings)",
    )  # fmt: skip
    parser.add_argument(
        "--constraint-only", action="store_true",
        help="only the grammar and documentation-tool costs in the warm answer",
    )  # fmt: skip
    parser.add_argument(
        "--unseen-only", action="store_true", help="only the questions about unseen projects"
    )
    parser.add_argument(
        "--projects", type=int, default=3, help="held-out generated projects to ask about"
    )
    args = parser.parse_args()
    from punie_lsp.model import blas

    library = blas.load()  # as the model's thread does
    print(f"{os.cpu_count()} CPUs, OpenBLAS: {library}; {len(QUESTIONS)} questions")
    if args.constraint_only:
        print_constraint_cost(constraint_cost(args.runs))
        return
    if args.unseen_only:
        unseen_projects(args.projects, args.pause, not args.no_llama)
        return

    from punie_lsp.model.embedded import gguf_path
    from punie_lsp.model.lookup import DRAFT_TOKENS

    gb = bandwidth()
    params = 134.5e6
    formats = {"float32 (ours)": params * 4, "GGUF Q4_1 (llama.cpp)": gguf_path().stat().st_size}
    print(f"memory bandwidth (copy): {gb:.1f} GB/s")
    for name, size in formats.items():
        print(f"  decode bound, {name}: {gb * 1e9 / size:.0f} tok/s ({size / 1e6:.0f} MB/token)")

    rows: list[tuple[str, dict[str, Any]]] = [
        ("ours, shipped adapter, lookup on", ours(args.runs, None, DRAFT_TOKENS, args.pause)),
    ]
    if not args.shipped_only:
        rows += [
            ("ours, base weights, lookup off", ours(args.runs, "none", 0, args.pause)),
            ("ours, base weights, lookup on", ours(args.runs, "none", DRAFT_TOKENS, args.pause)),
        ]
    from punie_lsp.training.evaluate import load_questions

    unseen = [] if args.shipped_only else load_questions()
    tool = [i for i, q in enumerate(unseen) if q["kind"] == "tool"]
    unseen_rows = held_out(unseen) if unseen else {}
    peer = unseen_peer = None
    if not args.no_llama and (python := ensure_llama()) is not None:
        peer = llama(python, prompts_as_text(QUESTIONS), args.runs)
        if unseen:
            unseen_peer = llama(python, prompts_as_text([q["question"] for q in unseen]), 1)

    print(
        "\n| engine | ttft (s) | gen tok/s | reply tok/s | answer (s), median [spread] "
        "| cold answer (s) | drafts accepted | passes / reply | peak RSS so far (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} ({r['model']}) | {median(r['ttft']):.2f} | {median(r['tps']):.1f} | "
            f"{median(r['rate']):.1f} | {median(r['total']):.2f} [{spread(r['total'])}] | "
            f"{r['cold']:.2f} | {r['acceptance']:.0%} | {r['passes']:.1f} of "
            f"{r['tokens']:.0f} tokens | {r['rss_mb']:.0f} |"
        )
    if peer:
        print(
            f"| llama.cpp {LLAMA_VERSION}, GGUF Q4_1, 2 threads | {median(peer['ttft']):.2f} | "
            f"{median(peer['tps']):.1f} | {median(peer['rate']):.1f} | - | - | - | - | - |"
        )
        for name, r in rows:
            print(
                f"ratios to llama.cpp, {name}: gen tok/s "
                f"{median(r['tps']) / median(peer['tps']):.2f}, reply tok/s "
                f"{median(r['rate']) / median(peer['rate']):.2f}, ttft "
                f"{median(r['ttft']) / median(peer['ttft']):.2f}"
            )

    if not unseen_rows:
        return

    title = (
        f"\nheld out: the {len(unseen)} evaluation questions ({len(tool)} for a tool), never in "
        "the training data; model only, one run each; medians over all / tool questions"
    )
    print_model_only(title, unseen_rows, unseen_peer, tool, "held out")

    print_constraint_cost(constraint_cost(1))
    unseen_projects(args.projects, args.pause, not args.no_llama)


def print_model_only(
    title: str,
    rows: dict[str, dict[str, Any]],
    peer: dict[str, Any] | None,
    tool: list[int],
    label: str,
) -> None:
    """The model-alone table (guess on and off, llama.cpp's row and ratios); where `tool` is
    not every question, each median is given over all / over the tool questions."""
    every = len(tool) == len(next(iter(rows.values()))["rate"])

    def both(values: list[float], digits: int = 1) -> str:
        overall = f"{median(values):.{digits}f}"
        return overall if every else f"{overall} / {median([values[i] for i in tool]):.{digits}f}"

    print(title)
    print("| engine | reply tok/s | reply (s) | passes / reply |\n|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| ours, shipped adapter, reply guess {name} | {both(r['rate'])} | "
            f"{both(r['seconds'], 2)} | {both([float(p) for p in r['passes']])} |"
        )
    if not peer:
        return
    print(f"| llama.cpp {LLAMA_VERSION}, GGUF Q4_1 | {both(peer['rate'])} | - | - |")
    for name, r in rows.items():
        ratio = median(r["rate"]) / median(peer["rate"])
        tools = median([r["rate"][i] for i in tool]) / median([peer["rate"][i] for i in tool])
        print(
            f"ratio of reply tok/s to llama.cpp, {label}, reply guess {name}: {ratio:.2f}"
            + ("" if every else f" (tool questions {tools:.2f})")
        )


def print_constraint_cost(rows: dict[str, dict[str, list[float]]]) -> None:
    on, off = rows["on"], rows["off"]
    print(
        f"\nthe grammar in the warm answer: ask() end to end, held-out project and documentation"
        f" questions, {len(on['total'])} answers each way, medians [spread]"
    )
    print(
        "| decoding | answer (s) | grammar written (ms) | compiled (ms) | applied per token (us) |"
    )
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        per_token = median(r["per_token"]) * 1e6 if r["per_token"] else 0.0
        print(
            f"| grammar {name} | {median(r['total']):.2f} [{spread(r['total'])}] | "
            f"{median(r['grammar']) * 1e3:.1f} | {median(r['build']) * 1e3:.1f} | "
            f"{per_token:.0f} |"
        )
    print(
        f"ratio of answer time, grammar on / off: {median(on['total']) / median(off['total']):.2f}"
    )
    if on["docs"]:
        print(
            f"documentation tools in a direct answer (grounding, {len(on['docs'])} answers): "
            f"median {median(on['docs']):.2f} s [{spread(on['docs'])}]"
        )


if __name__ == "__main__":
    main()
