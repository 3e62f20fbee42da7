"""The byte stream the server reads its messages from, kept in step after a malformed header.

pygls reads a header line, and a line it cannot read is skipped; after a malformed
`Content-Length`, the body of that message and the next header then run together on one
line, and every message after it is lost (the server goes deaf). This stream cuts such a
line down to the header at its end, so reading resumes with the next well-formed message,
and counts what it dropped; the protocol answers with a JSON-RPC parse error
(server/protocol.py). A length past MAX_MESSAGE is dropped too: reading it would wait for
gigabytes that never come.
"""

import logging
import re
import threading
from typing import BinaryIO

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
