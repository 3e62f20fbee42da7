"""The answers of a tool's server run as a child (server/child_server.py): resolved on the
loop, cut off at the timeout, failed promptly when the process dies, and a late answer to a
request given up on leaves the next one alone."""

import asyncio
import logging
import sys
import time
from pathlib import Path

import pytest

from punie_lsp.server.child_server import ChildServer, ChildServerError

RUFF = str(Path(sys.executable).parent / "ruff")
FIXTURE = Path(__file__).parent / "fixtures" / "project"

# A language server that answers its first diagnostics pull only after a second, the rest at
# once: the shape of a tool that hung on one request and recovered.
SLOW_ONCE = r"""
import json, sys, time
pulls = 0
def read():
    length = 0
    while (line := sys.stdin.buffer.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(sys.stdin.buffer.read(length)) if length else None
def send(message):
    body = json.dumps(message).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    sys.stdout.buffer.flush()
while (message := read()) is not None:
    if message.get("method") == "initialize":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"capabilities": {}}})
    elif message.get("method") == "textDocument/diagnostic":
        pulls += 1
        if pulls == 1:
            time.sleep(1)
        item = {"range": {"start": {"line": 0, "character": 0},
                          "end": {"line": 0, "character": 1}},
                "message": f"pull {pulls}", "code": "X1"}
        send({"jsonrpc": "2.0", "id": message["id"],
              "result": {"kind": "full", "items": [item]}})
    elif message.get("method") == "shutdown":
        send({"jsonrpc": "2.0", "id": message["id"], "result": None})
    elif message.get("method") == "exit":
        break
"""


def slow_once(tmp: Path) -> str:
    script = tmp / "slow_server.py"
    script.write_text(SLOW_ONCE)
    wrapper = tmp / "slow"  # started as `<executable> server`, as ruff and ty are
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def test_a_late_answer_after_a_timeout_leaves_the_next_request_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    child = ChildServer("slow", slow_once(tmp_path), None, "utf-16", timeout=0.3)
    await child.start()
    try:
        uri = "file:///tmp/punie-child/x.py"
        child.sync(uri, 1, "x = 1\n")
        with pytest.raises(ChildServerError, match=r"did not answer within 0\.3 s"):
            await child.diagnostics(uri, lambda: ["x = 1\n"])
        await asyncio.sleep(1)  # the first answer arrives now, for a request given up on
        found = await child.diagnostics(uri, lambda: ["x = 1\n"])
        assert [d["message"] for d in found] == ["pull 2"]
        assert [d["source"] for d in found] == ["slow"]
        assert not child._client.protocol._request_futures  # nothing left waiting
        # The late answer was dropped, not an error in the reading loop.
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await child.stop()


async def test_a_child_that_dies_fails_its_request_at_once() -> None:
    ruff = ChildServer("ruff", RUFF, FIXTURE.as_uri(), "utf-16", timeout=30)
    await ruff.start()
    try:
        uri = (FIXTURE / "pkg" / "problems.py").as_uri()
        ruff.sync(uri, 1, "import os\n")
        assert [d["code"] for d in await ruff.diagnostics(uri, lambda: ["import os\n"])] == ["F401"]
        server = ruff._client._server
        assert server is not None
        server.kill()
        started = time.monotonic()
        with pytest.raises(ChildServerError, match="exited with code -9"):
            ruff.sync(uri, 2, "import sys\n")
            await ruff.diagnostics(uri, lambda: ["import sys\n"])
        # Failed on the exit, not at the 30 s timeout.
        assert time.monotonic() - started < 10
    finally:
        await ruff.stop()
