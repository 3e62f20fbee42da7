"""What punie-lsp adds to the language features it forwards (server/forwarding.py): each request
timed through our server and through the child's own server spoken to directly, alternating.

Ours runs with the model off (its loading would compete for the CPU); the peer is `ty server`
(hover, definition, completion, references) or `ruff server` (formatting) with the same file
open. Medians in milliseconds and their ratio are printed as a markdown table.

    uv run python bench/forwarding.py [--runs 30]
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from startup import BIN, Rpc, _open, fixture_copy

# (request, its params beyond the document, the child that answers it)
POSITION = {"line": 12, "character": 26}  # `double` in `sum(items) + double("2")`
REQUESTS: list[tuple[str, dict[str, Any], str]] = [
    ("textDocument/hover", {"position": POSITION}, "ty"),
    ("textDocument/definition", {"position": POSITION}, "ty"),
    ("textDocument/references", {"position": POSITION, "context": {"includeDeclaration": True}},
     "ty"),
    ("textDocument/completion", {"position": {"line": 8, "character": 11}}, "ty"),
    ("textDocument/formatting", {"options": {"tabSize": 4, "insertSpaces": True}}, "ruff"),
]  # fmt: skip


async def start(argv: list[str], root: Path, options: Any, env: dict[str, str]) -> Rpc:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=root, env=env, limit=2**24,
    )  # fmt: skip
    rpc = Rpc(proc)
    caps = {
        "textDocument": {
            "diagnostic": {},
            "hover": {"contentFormat": ["markdown"]},
            "completion": {"completionItem": {"snippetSupport": False}},
            "definition": {"linkSupport": True},
        }
    }
    init = {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}
    rpc.send("initialize", {**init, "initializationOptions": options}, id=1)
    await rpc.until(lambda m: m.get("id") == 1)
    rpc.send("initialized", {})
    return rpc


async def timed(rpc: Rpc, method: str, params: dict[str, Any], id: int) -> float:
    began = time.perf_counter()
    rpc.send(method, params, id=id)
    answer = await rpc.until(lambda m: m.get("id") == id)
    if answer.get("result") in (None, []):
        raise RuntimeError(f"{method}: no answer ({answer})")
    return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with fixture_copy() as (tmp, project):
        path = project / "pkg" / "problems.py"
        env = dict(os.environ, XDG_STATE_HOME=str(tmp / "state"))
        ours = await start(
            [str(BIN / "python"), "-m", "punie_lsp", "serve"], project,
            {"model": {"enabled": False}}, env,
        )  # fmt: skip
        peers = {tool: await start([str(BIN / tool), "server"], project, None, env)
                 for tool in ("ty", "ruff")}  # fmt: skip
        for rpc in (ours, *peers.values()):
            rpc.send("textDocument/didOpen", _open(path))
        document = {"textDocument": {"uri": path.as_uri()}}
        times: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m, _, _ in REQUESTS}
        next_id = 10
        for run in range(args.runs + 3):  # the first 3 warm caches and are dropped
            for method, extra, tool in REQUESTS:
                params = {**document, **extra}
                ours_s = await timed(ours, method, params, next_id)
                peer_s = await timed(peers[tool], method, params, next_id + 1)
                next_id += 2
                if run >= 3:
                    times[method][0].append(ours_s)
                    times[method][1].append(peer_s)
        for rpc in (ours, *peers.values()):
            await rpc.close()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
    print()
    print("| request | child | ours (ms) | child directly (ms) | ours / child |")
    print("|---|---|---|---|---|")
    for method, _, tool in REQUESTS:
        mine, theirs = (statistics.median(t) * 1000 for t in times[method])
        print(f"| `{method}` | {tool} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
