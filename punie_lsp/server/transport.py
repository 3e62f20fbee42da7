"""The byte stream the server reads its messages from, kept in step after a malformed header.

pygls reads a header line, and a line it cannot read is skipped; after a malformed
`Content-Length`, the body of that message and the next header then run together on one
line, and every message after it is lost (the server goes deaf). This stream cuts such a
line down to the header at its end, so reading resumes with the next well-formed message,
and counts what it dropped; the protocol answers with a JSON-RPC parse error
(server/protocol.py). A length past MAX_MESSAGE is dropped too: reading it would wait for
gigabytes that never come.
"""

import asyncio
import logging
import re
import threading
from collections import deque
from concurrent.futures import Executor
from typing import BinaryIO

from punie_lsp.server.wire import CONTENT_LENGTH

log = logging.getLogger(__name__)

MAX_MESSAGE = 256 * 1024 * 1024
_LENGTH = re.compile(rb"Content-Length: *(\d+)\r\n\Z")
_HEADER = re.compile(rb"[A-Za-z0-9-]+: [^\r\n]*\r\n\Z")


class ResyncingInput:
    """A binary stream for pygls' reader: what it reads, less what would desynchronise it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._dropped = 0
        self._lock = threading.Lock()  # pygls reads in a thread pool

    def readline(self) -> bytes:
        line = self._stream.readline()
        if not line or line == b"\r\n":
            return line
        found = _LENGTH.search(line)
        if found is not None and int(found.group(1)) <= MAX_MESSAGE:
            if found.start() > 0:  # the end of a body it could not frame, then a header
                self._drop(line[: found.start()])
            return line[found.start() :]
        if found is None and _HEADER.match(line):  # Content-Type, say: pygls ignores it
            return line
        self._drop(line)
        return b"X-Dropped: malformed\r\n"  # a header line pygls reads and ignores

    def read(self, size: int) -> bytes:
        return self._stream.read(size)

    def take_dropped(self) -> int:
        """How many bytes were dropped since the last call."""
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        return dropped

    def _drop(self, data: bytes) -> None:
        log.error("dropped %d bytes of malformed input: %r", len(data), data[:80])
        with self._lock:
            self._dropped += len(data)


class WholeMessages:
    """The editor's messages for the reading loop (wire.read_async), each read whole (its
    header lines and body) in one call to a thread: pygls reads every line and the body in a
    call of its own, and each is a hop to a thread and back (docs/performance.md)."""

    def __init__(self, stream: ResyncingInput | BinaryIO, pool: Executor) -> None:
        self._stream = stream
        self._pool = pool
        self._read: deque[bytes] = deque()  # what the thread read and the loop has not taken

    async def readline(self) -> bytes:
        if not self._read:
            loop = asyncio.get_running_loop()
            self._read.extend(await loop.run_in_executor(self._pool, self._message))
        return self._read.popleft()

    async def readexactly(self, n: int) -> bytes:
        # The reading loop asks for the body right after the blank line ending the headers
        # with a Content-Length, which is where _message read it.
        return self._read.popleft() if self._read else b""

    def _message(self) -> list[bytes]:
        """One message's header lines and body, as the reading loop will take them: a body
        is read after the first Content-Length and the blank line after it; at the end of
        input, the empty line that ends the loop."""
        parts: list[bytes] = []
        length = 0
        while True:
            line = self._stream.readline()
            parts.append(line)
            if not line:
                return parts
            if not length and (found := CONTENT_LENGTH.fullmatch(line)):
                length = int(found.group(1))
            if length and not line.strip():
                parts.append(self._stream.read(length))
                return parts
