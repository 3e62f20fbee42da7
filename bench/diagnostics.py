"""How long punie-lsp takes from a keystroke to diagnostics, against the tools' own servers.

For each file (the small test fixture and a generated 5,000-line module) and each source:

- ours: from sending `textDocument/didChange` to receiving `publishDiagnostics` for that
  version, with only that source on and `debounceMs` 0 (the debounce is a deliberate wait,
  not overhead);
- peer (the default, `--peer server`): `ruff server` or `ty server` spoken to directly, as an
  editor running the tool's own server would: the same didChange, then a pull
  (`textDocument/diagnostic`) for the file, timed from the change to the answer;
- `--peer process`: `ruff check --stdin-filename F -` on the same text, or `ty check F` on the
  same text saved to disk, as a fresh process, the way a user runs them by hand;
- `--floor` (with `--peer server`): also the tool's server through a process that only copies
  bytes, in the same alternation: bench/relay.py (the floor of a Python process between the
  editor and the tool, as ours is one) and bench/relay.c (of any process; compiled with `cc`
  where there is one).

Edits are what an editor sends with incremental sync: the last line replaced (`--sync
full`: the whole text each time). Runs alternate ours and the peer so machine noise hits
both; medians and their ratio are printed as a markdown table for docs/performance.md.
(Edits while the model loads in the background: bench/startup.py.)

    uv run python bench/diagnostics.py [--runs 30] [--peer server|process] [--floor] [--sync full]
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "project"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).parent))
from startup import Rpc  # noqa: E402  (the benchmarks' one JSON-RPC client)


def big_module(lines: int = 5000) -> str:
    """Realistic code with a lint and a type problem every 25 lines."""
    out = ["from dataclasses import dataclass", ""]
    i = 0
    while len(out) < lines - 25:
        out += [
            "",
            "@dataclass",
            f"class Item{i}:",
            "    name: str",
            "    count: int = 0",
            "",
            "    def total(self, price: float) -> float:",
            "        return self.count * price",
            "",
            "",
            f"def make_{i}(name: str, count: int) -> Item{i}:",
            f"    item = Item{i}(name, count)",
            "    unused = 1",
            "    if item.count > 10:",
            f"        return Item{i}(name.upper(), item.count - 10)",
            "    return item",
            "",
            "",
            f"def describe_{i}(item: Item{i}) -> str:",
            "    label = f'{item.name}: {item.count}'",
            "    return label.strip()",
            "",
            "",
            f"def broken_{i}() -> int:",
            '    return "not an int"',
        ]
        i += 1
    return "\n".join(out) + "\n"


Edit = dict[str, Any]


def edit(text: str, i: int, ranged: bool) -> tuple[str, Edit]:
    """The i-th edit of text: a comment line replacing the last one, as a change event."""
    new_line = f"# edit {i}\n"
    if not ranged:
        return text + new_line, {"text": text + new_line}
    last = text.count("\n")  # text ends with a newline: the edit line is line `last`
    end = {"line": last + 1, "character": 0} if i > 0 else {"line": last, "character": 0}
    change = {"range": {"start": {"line": last, "character": 0}, "end": end}, "text": new_line}
    return text + new_line, change


class Client:
    """One document open in a language server, edited as an editor edits it; subclasses say
    how the server is started and how its diagnostics for a version arrive."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.uri = path.as_uri()
        self.version = 1
        self.rpc: Rpc | None = None

    async def _initialize(self, rpc: Rpc, params: dict[str, Any]) -> None:
        self.rpc = rpc
        rpc.send("initialize", params, id=1)
        await rpc.until(lambda m: m.get("id") == 1)
        rpc.send("initialized", {})
        doc = {"uri": self.uri, "languageId": "python", "version": 1, "text": self.text}
        rpc.send("textDocument/didOpen", {"textDocument": doc})
        await self._diagnostics(1)

    async def change(self, change: Edit) -> tuple[float, int]:
        """Seconds from didChange to the diagnostics of that version, and how many there were."""
        self.version += 1
        assert self.rpc is not None
        start = time.perf_counter()
        document = {"uri": self.uri, "version": self.version}
        self.rpc.send(
            "textDocument/didChange", {"textDocument": document, "contentChanges": [change]}
        )
        found = await self._diagnostics(self.version)
        return time.perf_counter() - start, found

    async def _diagnostics(self, version: int) -> int:
        raise NotImplementedError

    async def stop(self) -> None:
        assert self.rpc is not None
        await self.rpc.close()


class Ours(Client):
    """punie-lsp, its diagnostics pushed with the version.

    The client is plain JSON-RPC over the pipes (startup.Rpc), parsing with json.loads as an
    editor parses with its own native JSON reader, so the figure is the server's and the
    protocol's.
    """

    def __init__(self, path: Path, source: str, text: str) -> None:
        super().__init__(path, text)
        self.sources = {"ruff": source == "ruff", "ty": source == "ty"}

    async def start(self, state: Path) -> None:
        env = dict(os.environ, XDG_STATE_HOME=str(state))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "punie_lsp", "serve",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=2**24,
        )  # fmt: skip
        # The model stays off, and so do the unsafe fixes' checks (ty, ruff and pytest on a
        # copy, after a pause in typing): both would compete for the CPU with what is measured.
        options = {
            "debounceMs": 0, "sources": self.sources, "model": {"enabled": False},
            "verifyUnsafeFixes": False,
        }  # fmt: skip
        root = self.path.parent.parent.as_uri()
        init = {"processId": None, "rootUri": root, "capabilities": {}}
        await self._initialize(Rpc(proc), {**init, "initializationOptions": options})

    async def _diagnostics(self, version: int) -> int:
        assert self.rpc is not None
        message = await self.rpc.until(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == self.uri
                and m["params"].get("version") == version
            )
        )
        return len(message["params"]["diagnostics"])


class ToolServer(Client):
    """`ruff server` or `ty server` spoken to directly (or through a byte relay): the same
    change, then a pull."""

    def __init__(self, path: Path, source: str, text: str, relay: list[str] | None = None) -> None:
        super().__init__(path, text)
        self.source = source
        self.relay = relay or []  # the relay's command, the tool's server its argument
        self._id = 10

    async def start(self, state: Path) -> None:
        root = self.path.parent.parent
        proc = await asyncio.create_subprocess_exec(
            *self.relay, str(BIN / self.source), "server",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, cwd=root, limit=2**24,
        )  # fmt: skip
        caps = {"textDocument": {"diagnostic": {}}, "workspace": {"configuration": True}}
        init = {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}
        await self._initialize(Rpc(proc), init)

    async def _diagnostics(self, version: int) -> int:
        assert self.rpc is not None
        self._id += 1
        ask = self._id
        self.rpc.send("textDocument/diagnostic", {"textDocument": {"uri": self.uri}}, id=ask)
        answer = await self.rpc.until(lambda m: m.get("id") == ask)
        items = answer["result"]["items"]
        # ty's server adds hints without a code, which we leave out as `ty check` does.
        return len([d for d in items if d.get("code") is not None])


def process(source: str, path: Path, text: str) -> float:
    """Seconds for the bare executable on the same text, as a fresh process."""
    root = path.parent.parent
    start = time.perf_counter()
    if source == "ruff":
        argv = [str(BIN / "ruff"), "check", "--output-format", "json", "--force-exclude"]
        argv += ["--stdin-filename", str(path), "-"]
        subprocess.run(argv, input=text, capture_output=True, text=True, cwd=root)
    else:
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()  # saving the file is the editor's part, not ty's
        argv = [str(BIN / "ty"), "check", "--output-format", "gitlab", "--no-progress"]
        subprocess.run([*argv, str(path)], capture_output=True, text=True, cwd=root)
    return time.perf_counter() - start


Relay = tuple[str, list[str]]  # a byte relay's name and command


async def measure(
    source: str, path: Path, text: str, args: argparse.Namespace, state: Path, floor: list[Relay]
) -> dict[str, float]:
    ours = Ours(path, source, text)
    peer = ToolServer(path, source, text) if args.peer == "server" else None
    relays = {name: ToolServer(path, source, text, command) for name, command in floor}
    servers = [c for c in (ours, peer, *relays.values()) if c is not None]
    for server in servers:
        await server.start(state)
    times: dict[str, list[float]] = {"ours": [], "peer": [], **{name: [] for name in relays}}
    found = 0
    ranged = args.sync == "ranged"
    try:
        for i in range(args.runs + 3):  # the first 3 warm caches and are dropped
            edited, change = edit(text, i, ranged)
            took = {"ours": await ours.change(change)}
            for name, client in (("peer", peer), *relays.items()):
                if client is not None:
                    took[name] = await client.change(change)
            if peer is None:
                took["peer"] = (process(source, path, edited), took["ours"][1])
            found = took["ours"][1]
            if any(other != found for _, other in took.values()):
                raise SystemExit(f"{source}: the diagnostics differ: {took}")
            if i >= 3:
                for name, (seconds, _) in took.items():
                    times[name].append(seconds)
    finally:
        for server in servers:
            await server.stop()
    row = {name: statistics.median(t) for name, t in times.items() if t}
    return {**row, "diagnostics": found}


def relays(tmp: Path) -> list[Relay]:
    """The byte relays' names and commands: Python's, and C's where `cc` can build it."""
    here = Path(__file__).parent
    found = [("Python relay", [sys.executable, str(here / "relay.py")])]
    if (cc := shutil.which("cc")) is not None:
        built = tmp / "relay"
        subprocess.run([cc, "-O2", "-o", str(built), str(here / "relay.c")], check=True)
        found.append(("C relay", [str(built)]))
    else:
        print("no cc: the C relay is left out")
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--peer", choices=("server", "process"), default="server")
    parser.add_argument("--floor", action="store_true", help="add the byte relays' figures")
    parser.add_argument("--sync", choices=("ranged", "full"), default="ranged")
    args = parser.parse_args()
    if args.floor and args.peer != "server":
        parser.error("--floor relays the tool's server: it goes with --peer server")
    names = {
        ("server", "ruff"): "`ruff server`",
        ("server", "ty"): "`ty server`",
        ("process", "ruff"): "`ruff check -`",
        ("process", "ty"): "`ty check`",
    }
    with tempfile.TemporaryDirectory(prefix="punie-bench-") as tmp:
        floor = relays(Path(tmp)) if args.floor else []
        project = Path(tmp) / "project"
        shutil.copytree(FIXTURE, project)
        small = project / "pkg" / "problems.py"
        big = project / "pkg" / "big.py"
        big.write_text(big_module(), encoding="utf-8")
        files = [("small", small), ("5,000 lines", big)]
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each, "
            f"{args.sync} edits"
        )
        print()
        head = "| file | source | diagnostics | ours (ms) | peer | peer (ms) | ours / peer |"
        print(head + "".join(f" {name} (ms) | {name} / peer |" for name, _ in floor))
        print("|---|---|---|---|---|---|---|" + "---|---|" * len(floor))
        for label, path in files:
            text = path.read_text(encoding="utf-8")
            for source in ("ruff", "ty"):
                row = await measure(source, path, text, args, Path(tmp) / "state", floor)
                print(
                    f"| {label} ({text.count(chr(10))} lines) | {source} | "
                    f"{row['diagnostics']:.0f} | {row['ours'] * 1000:.1f} | "
                    f"{names[args.peer, source]} | {row['peer'] * 1000:.1f} | "
                    f"{row['ours'] / row['peer']:.2f} |"
                    + "".join(
                        f" {row[name] * 1000:.1f} | {row[name] / row['peer']:.2f} |"
                        for name, _ in floor
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
