"""Messages written with orjson, where pygls writes them with the standard json module.

A publish of a big file's diagnostics is about a hundred kilobytes of JSON; json.dumps takes
milliseconds for it on this CPU, more than the tool took to lint the file, and orjson a tenth
of that (docs/performance.md). The body goes out as UTF-8, and Content-Length counts its
bytes, as LSP's base protocol says.
"""

import inspect
import logging
from typing import Any

import orjson
from pygls.exceptions import JsonRpcInternalError
from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)


class OrjsonWriter(JsonRPCProtocol):
    """pygls' protocol with `_send_data` writing through orjson: attrs messages still go
    through pygls' converter (orjson's `default`), the rest as orjson writes it."""

    def _send_data(self, data: Any) -> None:
        writer = self.writer
        if not data or writer is None or not self._include_headers:
            super()._send_data(data)  # its own log line for these
            return
        if inspect.iscoroutinefunction(writer.write):  # a websocket's: pygls schedules it
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
