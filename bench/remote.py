"""A team's model server: answer latency and throughput against concurrent clients.

`punie-lsp serve-model` (mlx_lm.server with the embedded model and the shipped adapter fused)
is started on a free port; 1, 2, 4 and 8 clients then each ask the same questions at once
(the model's first reply, greedy, as `punie-lsp ask --model http://...` asks it). Beside it,
in the same run, the in-process host on the same questions one at a time: what one editor
gets without a server. Medians over every reply; throughput is all generated tokens over
the wall time of the round.

    uv run python bench/remote.py [--clients 1 2 4 8] [--rounds 2]
"""

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Which tests fail in tests/?",
    "How many type errors are in src/?",
    "Run ruff on src/ledger/accounts.py",
    "What does the walrus operator do?",
]
MAX_TOKENS = 120


def start_engine() -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "punie_lsp", "serve-model", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(360):
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            return url, proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("mlx_lm.server did not start")


def one_round(generate, clients: int) -> tuple[list[float], float]:
    """Every client asks every question at once; latencies and tokens per second."""
    from punie_lsp import prompt
    from punie_lsp.model.generation import GenerateRequest

    latencies: list[float] = []
    tokens = [0]
    lock = threading.Lock()

    def client() -> None:
        for question in QUESTIONS:
            start = time.perf_counter()
            g = generate(GenerateRequest(prompt.messages(question), MAX_TOKENS, prompt.STOP))
            with lock:
                latencies.append(time.perf_counter() - start)
                tokens[0] += g.generation_tokens

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, tokens[0] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from punie_lsp.model import blas

    blas.load()  # as the model's thread does
    from punie_lsp.model.host import ModelHost
    from punie_lsp.model.remote import RemoteModel

    host = ModelHost().start()
    host.wait_loaded()
    one_round(host.generate, 1)  # warm-up
    local = [one_round(host.generate, 1) for _ in range(args.rounds)]
    host.stop()
    url, proc = start_engine()
    remote = RemoteModel(url)
    try:
        one_round(remote.generate, 1)  # warm-up
        rows = {
            n: [one_round(remote.generate, n) for _ in range(args.rounds)] for n in args.clients
        }
    finally:
        proc.kill()
    print(f"{len(QUESTIONS)} questions per client, {args.rounds} rounds, first replies, greedy\n")
    print("| engine | clients | reply latency (s), median [min-max] | tokens/s, all clients |")
    print("|---|---|---|---|")

    def row(name: str, n: int, rounds: list[tuple[list[float], float]]) -> float:
        latencies = [s for lat, _ in rounds for s in lat]
        rate = statistics.median(r for _, r in rounds)
        print(
            f"| {name} | {n} | {statistics.median(latencies):.2f} "
            f"[{min(latencies):.2f}-{max(latencies):.2f}] | {rate:.1f} |"
        )
        return statistics.median(latencies)

    in_process = row("in process (ModelHost, drafts)", 1, local)
    served = {n: row("mlx_lm.server (serve-model)", n, r) for n, r in rows.items()}
    if 1 in served:
        print(f"\nratio of reply latency, one client, server / in process: "
              f"{served[1] / in_process:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
