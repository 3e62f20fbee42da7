"""How long punie-lsp takes from a keystroke to diagnostics, against the bare executables.

For each file (the small test fixture and a generated 5,000-line module) and each source:

- ours: from sending `textDocument/didChange` to receiving `publishDiagnostics` for that
  version, with only that source on and `debounceMs` 0 (the debounce is a deliberate wait,
  not overhead);
- peer: `ruff check --stdin-filename F -` on the same text, or `ty check F` on the same text
  saved to disk, as a fresh process, the way a user runs them.

Runs alternate ours and peer so machine noise hits both; medians and their ratio are
printed as a markdown table for docs/performance.md.

    uv run python bench/diagnostics.py [--runs 30]
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


class Session:
    """A punie-lsp server with one document open, timed from didChange to publish.

    The client is plain JSON-RPC over the pipes (startup.Rpc), parsing with json.loads as an
    editor parses with its own native JSON reader, so the figure is the server's and the
    protocol's.
    """

    def __init__(self, path: Path, sources: dict[str, bool], text: str) -> None:
        self.path, self.sources, self.text = path, sources, text
        self.uri = path.as_uri()
        self.version = 1
        self.rpc: Rpc | None = None

    async def start(self, state: Path) -> None:
        env = dict(os.environ, XDG_STATE_HOME=str(state))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "punie_lsp",
            "serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=2**24,
        )
        self.rpc = rpc = Rpc(proc)
        # The model stays off: its loading would compete for the CPU with what is measured.
        options = {"debounceMs": 0, "sources": self.sources, "model": {"enabled": False}}
        root = self.path.parent.parent.as_uri()
        init = {"processId": None, "rootUri": root, "capabilities": {}}
        rpc.send("initialize", {**init, "initializationOptions": options}, id=1)
        await rpc.until(lambda m: m.get("id") == 1)
        rpc.send("initialized", {})
        doc = {"uri": self.uri, "languageId": "python", "version": 1, "text": self.text}
        rpc.send("textDocument/didOpen", {"textDocument": doc})
        await self._published(1)

    async def change(self, text: str) -> tuple[float, int]:
        """Seconds from didChange to the published diagnostics, and how many there were."""
        self.version += 1
        assert self.rpc is not None
        start = time.perf_counter()
        self.rpc.send(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": text}],
            },
        )
        found = await self._published(self.version)
        return time.perf_counter() - start, found

    async def _published(self, version: int) -> int:
        assert self.rpc is not None
        message = await self.rpc.until(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == self.uri
                and m["params"].get("version") == version
            )
        )
        return len(message["params"]["diagnostics"])

    async def stop(self) -> None:
        assert self.rpc is not None
        await self.rpc.close()


def peer(source: str, path: Path, text: str) -> float:
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


async def measure(source: str, path: Path, text: str, runs: int, state: Path) -> dict[str, float]:
    session = Session(path, {"ruff": source == "ruff", "ty": source == "ty"}, text)
    await session.start(state)
    ours: list[float] = []
    theirs: list[float] = []
    found = 0
    try:
        for i in range(runs + 3):  # the first 3 warm caches and are dropped
            edited = f"{text}# edit {i}\n"
            took, found = await session.change(edited)
            bare = peer(source, path, edited)
            if i >= 3:
                ours.append(took)
                theirs.append(bare)
    finally:
        await session.stop()
    return {
        "ours": statistics.median(ours),
        "peer": statistics.median(theirs),
        "diagnostics": found,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="punie-bench-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(FIXTURE, project)
        small = project / "pkg" / "problems.py"
        big = project / "pkg" / "big.py"
        big.write_text(big_module(), encoding="utf-8")
        files = [("small", small), ("5,000 lines", big)]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
        print()
        print("| file | source | diagnostics | ours (ms) | peer | peer (ms) | ours / peer |")
        print("|---|---|---|---|---|---|---|")
        for label, path in files:
            text = path.read_text(encoding="utf-8")
            for source, peer_name in (("ruff", "`ruff check -`"), ("ty", "`ty check`")):
                row = await measure(source, path, text, args.runs, Path(tmp) / "state")
                print(
                    f"| {label} ({text.count(chr(10))} lines) | {source} | "
                    f"{row['diagnostics']:.0f} | {row['ours'] * 1000:.1f} | {peer_name} | "
                    f"{row['peer'] * 1000:.1f} | {row['ours'] / row['peer']:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
