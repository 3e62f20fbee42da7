"""Messages written with orjson (server/wire.py): the bytes a client reads are the message
pygls would have sent, with Content-Length counting the UTF-8 body's bytes."""

import json
from typing import Any, BinaryIO, cast

import pytest
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from punie_lsp.server.protocol import PunieProtocol
from punie_lsp.server.raw_json import RawJson, raw_converter
from punie_lsp.server.wire import decode


class Captured:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def read_one(data: bytes) -> tuple[int, bytes, bytes]:
    """(Content-Length, body, what follows the body)."""
    head, _, rest = data.partition(b"\r\n\r\n")
    (length,) = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if b"Length" in line]
    return length, rest[:length], rest[length:]


def sent(send: Any) -> Any:
    """What a client reads of one message sent by a fresh server's protocol."""
    server = LanguageServer("t", "0", protocol_cls=PunieProtocol, converter_factory=raw_converter)
    writer = Captured()
    server.protocol.set_writer(writer)
    send(server.protocol)
    length, body, after = read_one(writer.data)
    assert length == len(body) and after == b""
    return json.loads(body.decode("utf-8"))


def test_typed_and_raw_messages_arrive_whole_with_their_byte_length() -> None:
    text = "naïve → 🐍 unused"
    raw = RawJson(uri="file:///a.py", diagnostics=[{"message": text, "severity": 2}])
    message = sent(lambda p: p.notify_raw(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, raw))
    assert message == {
        "jsonrpc": "2.0",
        "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        "params": {"uri": "file:///a.py", "diagnostics": [{"message": text, "severity": 2}]},
    }
    shown = types.ShowMessageParams(type=types.MessageType.Warning, message=text)
    message = sent(lambda p: p.notify(types.WINDOW_SHOW_MESSAGE, shown))
    assert message["params"] == {"type": 2, "message": text}  # attrs and enum, as pygls writes


def test_what_orjson_refuses_is_written_the_standard_way() -> None:
    big = RawJson(value=2**70)  # past orjson's 64-bit integers
    assert sent(lambda p: p.notify_raw("$/big", big))["params"] == {"value": 2**70}


def test_a_message_is_read_as_pygls_reads_it() -> None:
    """decode() against pygls' own json.loads with structure_message on every object."""
    server = LanguageServer("t", "0", protocol_cls=PunieProtocol, converter_factory=raw_converter)
    protocol = server.protocol
    change = {
        "jsonrpc": "2.0",
        "method": types.TEXT_DOCUMENT_DID_CHANGE,
        "params": {
            "textDocument": {"uri": "file:///a.py", "version": 3},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": 1, "character": 0},
                        "end": {"line": 1, "character": 2},
                    },
                    "text": "naïve 🐍",
                }
            ],
        },
    }
    answer = {
        "jsonrpc": "2.0",
        "id": 9,
        "result": {"items": [{"data": {"nested": [1, {"a": None}]}}]},
    }
    for message in (change, answer):
        body = json.dumps(message).encode()
        ours = decode(body, protocol)
        assert ours == json.loads(body, object_hook=protocol.structure_message)
    assert isinstance(
        decode(json.dumps(change).encode(), protocol), types.DidChangeTextDocumentNotification
    )


def test_a_body_that_is_not_json_fails_as_the_json_module_says() -> None:
    server = LanguageServer("t", "0", protocol_cls=PunieProtocol, converter_factory=raw_converter)
    with pytest.raises(json.JSONDecodeError):
        decode(b'{"jsonrpc": "2.0", "id": 1,', server.protocol)


class Collected:
    """A protocol that keeps the messages the reading loop hands it."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def structure_message(self, data: Any) -> Any:
        return data

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


async def test_the_editor_s_messages_are_read_whole_as_pygls_reads_them() -> None:
    """transport.WholeMessages under read_async against pygls' own reader and loop, on input
    with a Content-Type header, a malformed header, a message split across writes' worth of
    bytes, and input that ends inside a body."""
    import io
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from pygls.io_ import StdinAsyncReader, run_async

    from punie_lsp.server.transport import ResyncingInput, WholeMessages
    from punie_lsp.server.wire import read_async

    def framed(message: Any, extra: bytes = b"") -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n" % len(body) + extra + b"\r\n" + body

    first = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"a": "naïve 🐍"}}
    second = {"jsonrpc": "2.0", "method": "initialized", "params": {}}
    third = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}
    data = (
        framed(first, b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n")
        + b"Content-Length: oops\r\n\r\n{}"  # a header no reader can frame
        + framed(second)
        + framed(third)
        + b'Content-Length: 50\r\n\r\n{"jsonrpc"'  # the input ends inside this body
    )
    pool = ThreadPoolExecutor(1)
    ours, theirs = Collected(), Collected()
    await read_async(
        threading.Event(), WholeMessages(ResyncingInput(io.BytesIO(data)), pool), cast(Any, ours),
        lambda *_: None,
    )  # fmt: skip
    reader = StdinAsyncReader(cast(BinaryIO, ResyncingInput(io.BytesIO(data))), pool)
    await run_async(threading.Event(), reader, cast(Any, theirs), error_handler=lambda *_: None)
    assert ours.messages == theirs.messages
    assert [m.get("id") for m in ours.messages] == [1, None, 2]
