"""Bad input never crashes the server: each case gets an error or an empty answer, then the
server keeps serving (checked by a normal request afterwards)."""

import asyncio
import contextlib
import json
import os
import stat
import sys
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp_helpers import (
    FIXTURE,
    PROBLEMS,
    Client,
    change_doc,
    open_doc,
    published,
    server_env,
    session,
    wait_for,
)


async def still_serving(lsp: Client) -> None:
    """A full round trip: open the known file and get its ruff and ty diagnostics."""
    uri = open_doc(lsp, PROBLEMS, version=100)
    found = await published(lsp, uri, 100)
    assert {d.source for d in found} == {"ruff", "ty"}


def fake_tool(tmp: Path, name: str, body: str) -> Path:
    path = tmp / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


async def test_syntax_error(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        broken = FIXTURE / "pkg" / "broken.py"  # never written: the text lives in the buffer
        uri = open_doc(lsp, broken, "def f(:\n    return 1\n")
        found = await published(lsp, uri, 1)
        assert {(d.source, d.code) for d in found} >= {("ruff", "invalid-syntax")}
        assert any(d.source == "ty" for d in found)
        assert all(d.severity == types.DiagnosticSeverity.Error for d in found)
        await still_serving(lsp)


async def test_non_utf8_file_on_disk(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.py"
    latin1.write_bytes(b"name = '\xe9t\xe9'\n")
    async with session(tmp_path, client="neovim@v0.11.0") as lsp:
        with pytest.raises(JsonRpcException, match="not UTF-8"):
            await lsp.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri=latin1.as_uri())
                )
            )
        assert latin1.read_bytes() == b"name = '\xe9t\xe9'\n"  # untouched
        report = await lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=PROBLEMS.as_uri())
            )
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and report.items


async def test_huge_file(tmp_path: Path) -> None:
    lines = ["import os", ""] + [f"value_{i}: int = {i}" for i in range(19_996)]
    lines += ["bad: int = 'x'", ""]
    text = "\n".join(lines)
    assert text.count("\n") + 1 >= 20_000
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, FIXTURE / "pkg" / "huge.py", text)
        found = await published(lsp, uri, 1, timeout=120)
        assert {(d.source, d.code, d.range.start.line) for d in found} == {
            ("ruff", "F401", 0),
            ("ty", "invalid-assignment", 19_998),
        }
        await still_serving(lsp)


async def test_unknown_document(tmp_path: Path) -> None:
    async with session(tmp_path, client="neovim@v0.11.0") as lsp:
        missing = (FIXTURE / "pkg" / "nowhere.py").as_uri()
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=missing),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert actions is None
        with pytest.raises(JsonRpcException, match="cannot read"):
            await lsp.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri=missing)
                )
            )
        with pytest.raises(JsonRpcException, match="not a file URI"):
            await lsp.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri="untitled:Untitled-1")
                )
            )
        change_doc(lsp, missing, 3, "x = 1\n")  # a change for a document never opened
        resolved = await lsp.code_action_resolve_async(
            types.CodeAction(title="?", data={"uri": missing, "kind": "source.fixAll.ruff"})
        )
        assert resolved.edit is None
        report = await lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=PROBLEMS.as_uri())
            )
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and report.items


class RawConnection:
    """JSON-RPC over the server's stdio by hand: pygls' client will not send malformed params."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.next_id = 0

    def send(self, message: dict[str, Any] | bytes) -> None:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while (line := await self.proc.stdout.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(await self.proc.stdout.readexactly(length))

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        """Send a request; return its response, skipping the server's own messages."""
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.receive(), 30)
            if message.get("id") == self.next_id and "method" not in message:
                return message
            if "method" in message and "id" in message:  # a server request: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})


@contextlib.asynccontextmanager
async def raw_server(
    tmp_path: Path,
) -> AsyncGenerator[tuple[asyncio.subprocess.Process, RawConnection]]:
    """`punie-lsp serve` over raw pipes, initialized; killed if a test leaves it running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "punie_lsp",
        "serve",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=server_env(tmp_path),
    )
    rpc = RawConnection(proc)
    try:
        init = await rpc.request(
            "initialize", {"processId": None, "rootUri": FIXTURE.as_uri(), "capabilities": {}}
        )
        assert "capabilities" in init["result"]
        yield proc, rpc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_malformed_requests_get_errors(tmp_path: Path) -> None:
    async with raw_server(tmp_path) as (proc, rpc):
        rpc.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        for method, params in [
            ("textDocument/codeAction", {"textDocument": 42}),
            ("textDocument/diagnostic", {"bogus": True}),
            ("codeAction/resolve", ["not", "an", "object"]),
            ("textDocument/diagnostic", {"textDocument": {"uri": 7}}),
        ]:
            answer = await rpc.request(method, params)
            assert "error" in answer and answer["error"]["code"] in (-32602, -32603), answer
        # Notifications have no answer to carry an error; they must simply not hurt.
        rpc.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {}})
        rpc.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": [1, 2]})
        rpc.send(b"{this is not json")
        answer = await rpc.request("no/suchMethod", {})
        assert answer["error"]["code"] == -32601
        text = PROBLEMS.read_text(encoding="utf-8")
        doc = {"uri": PROBLEMS.as_uri(), "languageId": "python", "version": 1, "text": text}
        rpc.send(
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}}
        )
        report = await rpc.request(
            "textDocument/diagnostic", {"textDocument": {"uri": PROBLEMS.as_uri()}}
        )
        assert {d["source"] for d in report["result"]["items"]} == {"ruff", "ty"}
        assert (await rpc.request("shutdown", None))["result"] is None
        rpc.send({"jsonrpc": "2.0", "method": "exit"})
        assert await asyncio.wait_for(proc.wait(), 10) == 0


@pytest.mark.parametrize(
    "garbage",
    [
        b'Content-Length: abc\r\n\r\n{"jsonrpc": "2.0", "id": 90, "method": "shutdown"}',
        b"Content-Length: 99999999999\r\n\r\n{}",
        b'Content-Length: 5\r\n\r\n{"jsonrpc": "2.0", "id": 91, "method": "shutdown"}',
        b"Content-Lenght: 12\r\n\r\n{}\n\n\r\n",
        b"\xff\xfe garbage without a header\r\n\r\n",
    ],
    ids=["not-a-number", "huge", "too-short", "misspelt", "binary"],
)
async def test_a_malformed_header_is_answered_and_the_server_reads_on(
    tmp_path: Path, garbage: bytes
) -> None:
    """The server resynchronises on the next well-formed header (server/transport.py) and
    answers what it dropped with JSON-RPC's parse error, id null; it never goes deaf."""
    async with raw_server(tmp_path) as (proc, rpc):
        assert proc.stdin is not None
        proc.stdin.write(garbage)
        rpc.next_id += 1
        rpc.send({"jsonrpc": "2.0", "id": rpc.next_id, "method": "no/suchMethod", "params": {}})
        seen = []
        while not seen or seen[-1].get("id") != rpc.next_id:
            seen.append(await asyncio.wait_for(rpc.receive(), 30))
        errors = [m for m in seen if m.get("id") is None and "error" in m]
        assert [e["error"]["code"] for e in errors] == [-32700], seen
        assert seen[-1]["error"]["code"] == -32601  # and the next request is answered
        assert proc.returncode is None  # never a shutdown read from a malformed message
        assert (await rpc.request("shutdown", None))["result"] is None
        rpc.send({"jsonrpc": "2.0", "method": "exit"})
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_missing_executables(tmp_path: Path) -> None:
    options = {"ruffPath": str(tmp_path / "no-ruff-here"), "tyPath": "ty-not-on-path"}
    async with session(tmp_path, init_options=options) as lsp:
        await wait_for(lambda: len(lsp.messages) >= 2)
        text = "\n".join(m.message for m in lsp.messages)
        assert "ruff not found" in text and "ruffPath" in text
        assert "ty not found" in text and "tyPath" in text
        assert all(m.type == types.MessageType.Error for m in lsp.messages)
        uri = open_doc(lsp, PROBLEMS)
        assert await published(lsp, uri, 1) == []
        # Fixing the settings brings both back without a restart.
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"punie": {"ruffPath": "ruff"}})
        )
        await wait_for(lambda: any(d.source == "ruff" for d in lsp.diagnostics.get(uri, [])))


async def test_hanging_ruff_is_cut_off(tmp_path: Path) -> None:
    ruff = fake_tool(tmp_path, "ruff", "sleep 600")
    options = {"ruffPath": str(ruff), "toolTimeout": 1}
    async with session(tmp_path, init_options=options) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        found = await published(lsp, uri, 1)
        assert {d.source for d in found} == {"ty"}  # ty still works
        assert any(
            "ruff server did not start: no answer within 1 s" in m.message for m in lsp.messages
        )


async def test_hanging_ty_is_cut_off(tmp_path: Path) -> None:
    ty = fake_tool(tmp_path, "ty", "sleep 600")
    options = {"tyPath": str(ty), "toolTimeout": 1}
    async with session(tmp_path, init_options=options) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        found = await published(lsp, uri, 1)
        assert {d.source for d in found} == {"ruff"}
        assert any("ty server did not start" in m.message for m in lsp.messages)


async def test_crashing_ruff(tmp_path: Path) -> None:
    ruff = fake_tool(tmp_path, "ruff", "echo 'ruff: internal error' >&2; exit 2")
    async with session(tmp_path, init_options={"ruffPath": str(ruff)}) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        found = await published(lsp, uri, 1)
        assert {d.source for d in found} == {"ty"}
        assert any(
            "ruff server did not start: it exited with code 2: ruff: internal error" in m.message
            for m in lsp.messages
        )


async def test_garbage_from_ruff(tmp_path: Path) -> None:
    # A "server" that answers with a broken message and never a proper one.
    body = "printf 'Content-Length: 9\\r\\n\\r\\n{not json'; sleep 600"
    ruff = fake_tool(tmp_path, "ruff", body)
    options = {"ruffPath": str(ruff), "toolTimeout": 2}
    async with session(tmp_path, init_options=options) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        found = await published(lsp, uri, 1)
        assert {d.source for d in found} == {"ty"}
        assert any("ruff server did not start" in m.message for m in lsp.messages)


async def test_server_never_writes_the_users_files(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in FIXTURE.rglob("*") if p.is_file()}
    mtimes = {p: os.stat(p).st_mtime_ns for p in before}
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=list(lsp.diagnostics[uri])),
            )
        )
        for action in actions or []:
            if isinstance(action, types.CodeAction) and action.edit is None:
                await lsp.code_action_resolve_async(action)
        lsp.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        change_doc(lsp, uri, 2, text + "\n")
        await published(lsp, uri, 2)
    after = {p: p.read_bytes() for p in FIXTURE.rglob("*") if p.is_file()}
    assert after == before
    assert {p: os.stat(p).st_mtime_ns for p in before} == mtimes
