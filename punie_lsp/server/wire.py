"""Messages written and read with orjson, where pygls uses the standard json module.

A big file's diagnostics are about a hundred kilobytes of JSON, read from the tool's server
and written to the editor: the json module takes milliseconds for each on this CPU (half the
server's busy time on a 5,000-line file, profiled), orjson a fraction of that
(docs/performance.md). The body goes out as UTF-8, and Content-Length counts its bytes, as
LSP's base protocol says.
"""

import asyncio
import inspect
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.client import LanguageClient
from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)


class OrjsonWriter(JsonRPCProtocol):
    """pygls' protocol with `_send_data` writing through orjson: attrs messages still go
    through pygls' converter (orjson's `default`), the rest as orjson writes it."""

    def _send_data(self, data: Any) -> None:
        writer = self.writer
        # Nothing to send, no writer, or a websocket's writer (no headers, an async write):
        # pygls' own path, which logs or schedules them.
        if (
            not data
            or writer is None
            or not self._include_headers
            or inspect.iscoroutinefunction(writer.write)
        ):
            super()._send_data(data)
            return
        try:
            body = orjson.dumps(data, default=self._serialize_message)
        except TypeError:  # what orjson refuses (an integer past 64 bits) is pygls' to write
            super()._send_data(data)
            return
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; "
        header += f"charset={self.CHARSET}\r\n\r\n"
        try:
            writer.write(header.encode("ascii") + body)
        except BrokenPipeError:
            log.exception("Error sending data. BrokenPipeError")
            raise
        except Exception as error:
            log.exception("Error sending data")
            self._server._report_server_error(error, JsonRpcInternalError)


CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


def decode(body: bytes, protocol: JsonRPCProtocol) -> Any:
    """The message in body, as pygls' reader makes it. pygls hands every JSON object to
    structure_message, which leaves all but the message itself (the one with "jsonrpc") as
    they are; so it is called on the message alone."""
    try:
        return protocol.structure_message(orjson.loads(body))
    except orjson.JSONDecodeError:  # let the json module say what is wrong, as pygls would
        return json.loads(body, object_hook=protocol.structure_message)


class AsyncReader(Protocol):
    """What the reading loop reads from: a child's stdout, or our editor's messages."""

    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


async def read_async(
    stop: threading.Event,
    reader: AsyncReader,
    protocol: JsonRPCProtocol,
    on_error: Callable[[Exception, type[JsonRpcException]], Any],
) -> None:
    """pygls' run_async (its reading loop), with decode() for the body."""
    length = 0
    while not stop.is_set():
        header = await reader.readline()
        if not header:
            break
        if not length and (match := CONTENT_LENGTH.fullmatch(header)):
            length = int(match.group(1))
        if length and not header.strip():
            body = await reader.readexactly(length)
            length = 0
            try:
                protocol.handle_message(decode(body, protocol))
            except Exception as exc:
                log.exception("Unable to handle message")
                on_error(exc, JsonRpcException)


class OrjsonClient(LanguageClient):
    """pygls' client whose server's messages are read by read_async; the rest of start_io
    is pygls' own."""

    async def start_io(self, cmd: str, *args: str, **kwargs: Any) -> None:
        server = await asyncio.create_subprocess_exec(
            cmd, *args, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, **kwargs,
        )  # fmt: skip
        if server.stdout is None or server.stdin is None:
            raise RuntimeError("the server process has no stdin or stdout")
        self.protocol.set_writer(server.stdin)
        stop, protocol = self._stop_event, self.protocol
        reading = read_async(stop, server.stdout, protocol, self.report_server_error)
        self._server = server
        exiting = self._server_exit()
        self._async_tasks += [asyncio.create_task(reading), asyncio.create_task(exiting)]
