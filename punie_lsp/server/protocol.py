"""pygls' protocol, with four mends.

- pygls logs a request whose params do not match the LSP schema and drops it, so the client
  waits forever. JSON-RPC asks for an "invalid params" error answer, which this gives.
- pygls hands a command only its arguments, so a `workDoneToken` the client chose for
  `workspace/executeCommand` would be lost; it is passed on inside an object argument.
- Input it could not read at all (a malformed header, dropped by server/transport.py) is
  answered with JSON-RPC's parse error, id null, before the next message is handled.
- pygls applies a ranged change to its copy of a buffer with lines split by
  `str.splitlines`, which breaks at form feeds too: in a file with one, an edit after it
  landed a line off in our copy (so a fix-all computed on it rewrote the wrong text), and
  it walks every line of the buffer in Python on each keystroke (docs/performance.md).
  Changes are applied by `edits.apply_change`, lines as LSP counts them.

And one addition: `notify_raw` sends a notification whose params are JSON already
(server/raw_json.py), where `notify` would unstructure them as the method's lsprotocol type.
"""

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcParseError
from pygls.protocol import JsonRPCNotification, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from punie_lsp.server.edits import apply_change
from punie_lsp.server.raw_json import RawJson
from punie_lsp.server.transport import ResyncingInput
from punie_lsp.server.wire import OrjsonWriter

log = logging.getLogger(__name__)


@dataclass
class Malformed:
    """A message that could not be read into its LSP type."""

    id: int | str | None
    method: str
    problem: str
    jsonrpc: str = "2.0"


class PunieProtocol(OrjsonWriter, LanguageServerProtocol):
    input: ResyncingInput | None = None  # set when serving over stdio

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except Exception as exc:
            # Only requests and notifications from the client get here malformed; a reply to
            # our own request that cannot be read is passed on as the base class would.
            if "jsonrpc" not in data or "method" not in data:
                raise
            cause = exc.__cause__ or exc
            problem = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
            return Malformed(data.get("id"), str(data.get("method")), problem)

    def handle_message(self, message: Any) -> None:
        dropped = self.input.take_dropped() if self.input is not None else 0
        if dropped:
            error = types.ResponseError(
                code=JsonRpcParseError.CODE,
                message=f"malformed message header: {dropped} bytes of input dropped",
            )
            self._send_response(None, error=error)  # ty: ignore[invalid-argument-type]
        if not isinstance(message, Malformed):
            super().handle_message(message)
            return
        log.warning("malformed %s: %s", message.method, message.problem)
        if message.id is None:  # a notification: nobody is waiting for an answer
            return
        error = types.ResponseError(
            code=JsonRpcInvalidParams.CODE,
            message=f"invalid params for {message.method}: {message.problem}",
        )
        self._send_response(message.id, error=error)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, Any]:
        uri = params.text_document.uri
        workspace = self.workspace
        if unquote(uri) not in workspace.text_documents:  # pygls' own error for it
            return (yield from super().lsp_text_document__did_change(params))
        doc = workspace.get_text_document(uri)
        text = doc.source
        for change in params.content_changes:
            text = apply_change(text, change, doc.position_codec)
        language = doc.language_id or "python"
        version = params.text_document.version
        workspace.put_text_document(types.TextDocumentItem(uri, language, version, text))
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    def notify_raw(self, method: str, params: RawJson) -> None:
        self._send_data(JsonRPCNotification(method=method, params=params, jsonrpc="2.0"))

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        token = params.work_done_token
        first = params.arguments[0] if params.arguments else None
        if token is not None and isinstance(first, dict):
            first.setdefault("workDoneToken", token)
        return (yield from super().lsp_workspace__execute_command(params))
