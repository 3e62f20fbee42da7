"""How long a fresh punie-lsp takes to answer `initialize` and to show a file's diagnostics,
with the model on and off, against `ty server` and `ruff server` started the same way; and
how fast diagnostics follow edits in the seconds after, while the model loads.

Each run starts a new server, sends `initialize`, `initialized` and `didOpen` for a fixture
file at once (as an editor does when it opens a file), and times from spawning the process to
the `initialize` answer and to the first diagnostics that hold both ruff's and ty's findings.
The peers are the children spoken to directly: the same sequence, then a pull for the file's
diagnostics; started together, the later of the two is what an editor running both would wait
for. Then (ours only) an edit every 0.2 s for 4 s, a 1.5 s pause, and 3 s of edits again, each
timed from didChange to its diagnostics: the model waits for a pause in typing to load, so
with the model on the second stretch is typing while it loads. Runs alternate the setups so
machine noise hits all; medians are printed.

    uv run python bench/startup.py [--runs 5]
"""

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "project"
BIN = Path(sys.executable).absolute().parent


@contextlib.contextmanager
def fixture_copy() -> Generator[tuple[Path, Path]]:
    """A temporary folder holding a copy of the test fixture project, and that copy."""
    with tempfile.TemporaryDirectory(prefix="punie-bench-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(FIXTURE, project)
        yield Path(tmp), project


class Rpc:
    """Plain JSON-RPC over a child's pipes, as an editor speaks it."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    def send(self, method: str, params: Any, id: int | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if id is not None:
            message["id"] = id
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def answer(self, message: dict[str, Any]) -> None:
        """Answer the server's own requests (configuration, progress) so it goes on."""
        if "id" in message and "method" in message:
            result: Any = None
            if message["method"] == "workspace/configuration":
                result = [None for _ in message["params"]["items"]]
            body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result})
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body.encode())

    async def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while (line := await self.proc.stdout.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if not length:
            raise EOFError("the server closed its output")
        message = json.loads(await self.proc.stdout.readexactly(length))
        self.answer(message)
        return message

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            message = await asyncio.wait_for(self.receive(), 120)
            if wanted(message):
                return message

    async def close(self) -> None:
        self.send("shutdown", None, id=99)
        try:
            await asyncio.wait_for(self.until(lambda m: m.get("id") == 99), 30)
            self.send("exit", None)
            await asyncio.wait_for(self.proc.wait(), 30)
        except (TimeoutError, EOFError):
            self.proc.kill()
            await self.proc.wait()


def _open(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    item = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": text}
    return {"textDocument": item}


TYPING = 20  # edits, one every EDIT_GAP seconds, right after the first diagnostics
EDIT_GAP = 0.2
PAUSE = 1.5  # then a pause in typing (the model starts loading in it), then
AFTER_PAUSE = 15  # edits again, while the model loads


async def ours(path: Path, root: Path, model: bool, state: Path) -> list[float]:
    """Seconds to the initialize answer and to diagnostics with both sources' findings; then
    the median from an edit to its diagnostics while typing on, and after a pause."""
    env = dict(os.environ, XDG_STATE_HOME=str(state))
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "punie_lsp", "serve",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=2**24,
    )  # fmt: skip
    rpc = Rpc(proc)
    options = {"model": {"enabled": model}, "debounceMs": 0}
    rpc.send(
        "initialize",
        {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
         "initializationOptions": options},
        id=1,
    )  # fmt: skip
    rpc.send("initialized", {})
    rpc.send("textDocument/didOpen", _open(path))
    await rpc.until(lambda m: m.get("id") == 1)
    initialized = time.perf_counter() - start

    def both(m: dict[str, Any]) -> bool:
        if m.get("method") != "textDocument/publishDiagnostics":
            return False
        sources = {d.get("source") for d in m["params"]["diagnostics"]}
        return {"ruff", "ty"} <= sources

    await rpc.until(both)
    shown = time.perf_counter() - start
    text = path.read_text(encoding="utf-8")
    version = 1

    async def edits(count: int) -> float:
        nonlocal version
        took = []
        for _ in range(count):
            await asyncio.sleep(EDIT_GAP)
            version += 1
            sent = time.perf_counter()
            rpc.send(
                "textDocument/didChange",
                {"textDocument": {"uri": path.as_uri(), "version": version},
                 "contentChanges": [{"text": f"{text}# edit {version}\n"}]},
            )  # fmt: skip
            await rpc.until(
                lambda m, wanted=version: (
                    m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"].get("version") == wanted
                )
            )
            took.append(time.perf_counter() - sent)
        return statistics.median(took)

    typing = await edits(TYPING)
    await asyncio.sleep(PAUSE)
    after_pause = await edits(AFTER_PAUSE)
    await rpc.close()
    return [initialized, shown, typing, after_pause]


async def peer(tool: str, path: Path, root: Path) -> list[float]:
    """The same for `ty server` or `ruff server` alone, pulling the file's diagnostics."""
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        str(BIN / tool), "server",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=root, limit=2**24,
    )  # fmt: skip
    rpc = Rpc(proc)
    caps = {"textDocument": {"diagnostic": {}}, "workspace": {"configuration": True}}
    rpc.send(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}, id=1
    )
    rpc.send("initialized", {})
    rpc.send("textDocument/didOpen", _open(path))
    await rpc.until(lambda m: m.get("id") == 1)
    initialized = time.perf_counter() - start
    rpc.send("textDocument/diagnostic", {"textDocument": {"uri": path.as_uri()}}, id=2)
    await rpc.until(lambda m: m.get("id") == 2)
    shown = time.perf_counter() - start
    await rpc.close()
    return [initialized, shown]  # edits: bench/diagnostics.py has that peer


async def peers(path: Path, root: Path) -> list[float]:
    """Both children started at once, as an editor running ruff's and ty's servers would."""
    ty, ruff = await asyncio.gather(peer("ty", path, root), peer("ruff", path, root))
    return [max(ty[0], ruff[0]), max(ty[1], ruff[1])]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with fixture_copy() as (tmp, project):
        path = project / "pkg" / "problems.py"
        state = tmp / "state"
        setups: dict[str, Callable[[], Any]] = {
            "punie-lsp, model on": lambda: ours(path, project, True, state),
            "punie-lsp, model off": lambda: ours(path, project, False, state),
            "`ty server` + `ruff server` directly": lambda: peers(path, project),
        }
        times: dict[str, list[list[float]]] = {name: [] for name in setups}
        for _ in range(args.runs + 1):  # the first round warms caches and is dropped
            for name, run in setups.items():
                times[name].append(await run())
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
        print()
        print(
            "| server | initialize answered (s) | diagnostics shown (s) | shown / peer |"
            " edit to diagnostics, typing on (ms) | after a pause (ms) |"
        )
        print("|---|---|---|---|---|---|")
        medians = {
            name: [statistics.median(column) for column in zip(*runs[1:], strict=True)]
            for name, runs in times.items()
        }
        peer_shown = medians[list(setups)[-1]][1]
        off = medians["punie-lsp, model off"]
        for name, (init, shown, *edits) in medians.items():
            pairs = zip(edits, off[2:], strict=False)
            cells = [f"{e * 1000:.1f} ({e / o:.2f}x off)" for e, o in pairs]
            cells += ["-"] * (2 - len(cells))
            print(
                f"| {name} | {init:.2f} | {shown:.2f} | {shown / peer_shown:.2f} | "
                + " | ".join(cells)
                + " |"
            )


if __name__ == "__main__":
    asyncio.run(main())
