"""A client for a tool's own language server (`ty server`, `ruff server`) run as a child.

Both tools keep the project analysed between keystrokes and answer a pull for a changed
buffer in a millisecond or two, where a fresh `ty check` or `ruff check` process takes tens
(docs/performance.md); `ty check` also has no stdin mode at all. We forward the editor's own
ranged changes since the version the tool last saw (the whole text where those are not all
at hand, server/edits.py) and pull that tool's diagnostics for it, kept as the JSON it sent
(server/raw_json.py).
"""

import asyncio
import functools
import itertools
import logging
from collections.abc import Callable
from typing import Any

import attrs  # lsprotocol's types are attrs classes
from lsprotocol import types
from pygls.protocol import JsonRPCRequestMessage, LanguageServerProtocol
from pygls.workspace import PositionCodec

from punie_lsp.server.edits import EditLog
from punie_lsp.server.raw_json import LSP, RawDiagnostic, RawResponse, raw_converter
from punie_lsp.server.wire import OrjsonClient, OrjsonWriter
from punie_lsp.tools.process import signal_group

log = logging.getLogger(__name__)


class _TolerantProtocol(OrjsonWriter, LanguageServerProtocol):
    """Keeps the child's initialize result untyped and its diagnostics as plain JSON.

    lsprotocol cannot structure every capability ty advertises (its notebook filters), and we
    only need the negotiated position encoding from it; diagnostics are passed on as JSON.
    """

    _ids = itertools.count(1)  # our requests' ids (pygls makes a uuid for each)

    def send_request_async(
        self, method: str, params: Any | None = None, msg_id: Any = None
    ) -> "asyncio.Future[Any]":
        """pygls' own, with the answer's future made on the loop: pygls makes a thread-safe
        future and wraps it, and each answer then costs a wake-up through the loop's pipe
        and two more turns of the loop (docs/performance.md). pygls resolves it on the
        answer, and fails it when the process exits, as it would its own."""
        msg_id = next(self._ids) if msg_id is None else msg_id
        request_type = self.get_message_type(method) or JsonRPCRequestMessage
        future = asyncio.get_running_loop().create_future()
        self._request_futures[msg_id] = future  # ty: ignore[invalid-assignment]
        self._result_types[msg_id] = self.get_result_type(method)
        self._send_data(request_type(id=msg_id, method=method, params=params, jsonrpc="2.0"))
        return future

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        # A request given up on (timed out, or its keystroke superseded) is answered late.
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            del self._request_futures[msg_id]
            self._result_types.pop(msg_id, None)
            return
        super()._handle_response(msg_id, result, error)

    @functools.lru_cache  # noqa: B019 - as in the base class; one instance per ty process
    def get_result_type(self, method: str) -> Any:
        if method == types.INITIALIZE:
            return None
        if method == types.TEXT_DOCUMENT_DIAGNOSTIC:
            return RawResponse
        return super().get_result_type(method)


def _time_out(answer: "asyncio.Future[Any]") -> None:
    if not answer.done():
        answer.set_exception(TimeoutError())


class ChildServerError(Exception):
    """The tool's server could not start, died, or did not answer in time."""


class ChildServer:
    def __init__(
        self,
        name: str,
        executable: str,
        root_uri: str | None,
        encoding: str,
        timeout: float,
        editor: types.ClientCapabilities | None = None,
    ):
        self.name = name  # "ty" or "ruff": the diagnostics' source
        self.executable = executable
        self.root_uri = root_uri
        self.encoding = encoding  # what our client speaks; ranges are converted to it
        self._ours = PositionCodec(encoding)
        self.timeout = timeout
        self.editor = editor  # our editor's capabilities: forwarded answers come as it reads them
        self._client = OrjsonClient(
            "punie-lsp", "0.1", protocol_cls=_TolerantProtocol, converter_factory=raw_converter
        )
        self._client.feature(types.WORKSPACE_CONFIGURATION)(self._configuration)
        self._client.feature(types.WINDOW_LOG_MESSAGE)(self._log_message)
        self._codec = PositionCodec(types.PositionEncodingKind.Utf16)
        self._versions: dict[str, int] = {}
        self._stderr: asyncio.Task[None] | None = None
        self._last_stderr = ""

    async def start(self) -> None:
        try:
            # Its own process group, so stopping also ends whatever it spawned (a wrapper
            # script's children would otherwise hold the pipes open).
            await self._client.start_io(self.executable, "server", start_new_session=True)
            self._stderr = asyncio.create_task(self._drain_stderr())
            result = await self._answer_or_exit(
                self._client.protocol.send_request_async(types.INITIALIZE, self._init_params())
            )
        except (OSError, TimeoutError, ChildServerError) as exc:
            await self.stop()
            why = str(exc) or f"no answer within {self.timeout:g} s"
            raise ChildServerError(f"{self.name} server did not start: {why}") from exc
        # pygls hands the untyped result over as attribute-access objects.
        capabilities = getattr(result, "capabilities", None)
        encoding = getattr(capabilities, "positionEncoding", None) or "utf-16"
        self._codec = PositionCodec(encoding)
        self._client.initialized(types.InitializedParams())
        log.info("%s server started (%s, %s)", self.name, self.executable, encoding)

    async def _answer_or_exit(self, answer: "asyncio.Future[Any]") -> Any:
        """The request's answer, or an error as soon as the process exits or time runs out."""
        server = self._client._server
        if server is None or server.returncode is not None:
            raise ChildServerError(await self._exit_message())
        timer = asyncio.get_running_loop().call_later(self.timeout, _time_out, answer)
        try:
            return await answer
        except RuntimeError:  # pygls fails the pending requests so when the process exits
            if server.returncode is None:
                raise
            raise ChildServerError(await self._exit_message()) from None
        finally:
            timer.cancel()

    async def _exit_message(self) -> str:
        server = self._client._server
        if server is None:
            return "it is not running"
        await asyncio.sleep(0.1)  # let the last stderr line arrive
        detail = f": {self._last_stderr}" if self._last_stderr else ""
        return f"it exited with code {server.returncode}{detail}"

    async def stop(self) -> None:
        server = self._client._server
        try:
            if server is not None and server.returncode is None:
                await asyncio.wait_for(self._client.shutdown_async(None), 2)
                self._client.exit(None)
                await asyncio.wait_for(server.wait(), 2)
        except Exception:  # it may hang or already be gone; stopping must not fail
            log.debug("%s server did not shut down cleanly", self.name, exc_info=True)
        if server is not None:
            signal_group(server.pid)
        try:
            await asyncio.wait_for(self._client.stop(), 5)
        except TimeoutError:
            log.warning("%s server's pipes did not close; abandoning it", self.name)
        if self._stderr is not None:
            self._stderr.cancel()

    async def _drain_stderr(self) -> None:
        """Read the server's stderr into our log; an unread pipe would fill up and stall it."""
        server = self._client._server
        if server is None or server.stderr is None:
            return
        while line := await server.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()
            self._last_stderr = text or self._last_stderr
            log.debug("%s stderr: %s", self.name, text)

    def sync(self, uri: str, version: int, text: str, edits: EditLog | None = None) -> None:
        """Make the server see this version of the buffer: the editor's changes since the
        version it has, where edits holds them all and their ranges are in its encoding,
        else the whole text."""
        known = self._versions.get(uri)
        if known == version:
            return
        ranged = None
        if edits is not None and known is not None and self.same_encoding:
            ranged = edits.since(uri, known, version)
        if known is None:
            self._client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(
                        uri=uri, language_id="python", version=version, text=text
                    )
                )
            )
        else:
            self._client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    content_changes=ranged
                    or [types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
        self._versions[uri] = version

    def close(self, uri: str) -> None:
        if self._versions.pop(uri, None) is not None:
            self._client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )

    @property
    def same_encoding(self) -> bool:
        """Whether the server's positions are already in our client's encoding."""
        return self._codec.encoding == self.encoding

    async def request(self, method: str, params: Any) -> Any:
        """The server's answer to a request of our client's, forwarded as it came."""
        try:
            return await self._answer_or_exit(
                self._client.protocol.send_request_async(method, params)
            )
        except TimeoutError:
            raise ChildServerError(
                f"{self.name} server did not answer {method} within {self.timeout:g} s"
            ) from None
        except (RuntimeError, ChildServerError) as exc:
            raise ChildServerError(f"{self.name} server failed: {exc}") from exc

    async def diagnostics(self, uri: str, lines: Callable[[], list[str]]) -> list[RawDiagnostic]:
        """The server's diagnostics for the synced buffer, in our client's position encoding,
        as the JSON it sent (lines: the buffer's, asked for only to convert an encoding)."""
        params = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
        try:
            report = await self._answer_or_exit(
                self._client.protocol.send_request_async(types.TEXT_DOCUMENT_DIAGNOSTIC, params)
            )
        except TimeoutError:
            raise ChildServerError(
                f"{self.name} server did not answer within {self.timeout:g} s"
            ) from None
        except (RuntimeError, ChildServerError) as exc:  # pygls reports a dead server so
            raise ChildServerError(f"{self.name} server failed: {exc}") from exc
        items = report.get("items") if isinstance(report, dict) else None
        items = [d for d in items or [] if isinstance(d, dict) and "range" in d]
        log.debug("%s: %d diagnostics for %s", self.name, len(items), uri)
        for diagnostic in items:
            diagnostic["source"] = self.name
        if not self.same_encoding:
            buffer = lines()
            for diagnostic in items:
                diagnostic["range"] = self._in_our_encoding(diagnostic["range"], buffer)
        return items

    def _in_our_encoding(self, theirs: Any, lines: list[str]) -> Any:
        typed = LSP.structure(theirs, types.Range)
        server_range = self._codec.range_from_client_units(lines, typed)
        return LSP.unstructure(self._ours.range_to_client_units(lines, server_range))

    def _init_params(self) -> types.InitializeParams:
        folders = [types.WorkspaceFolder(uri=self.root_uri, name="root")] if self.root_uri else None
        text_caps = self.editor.text_document if self.editor else None
        # The editor's own text capabilities (markdown hovers, snippets, link support), with
        # diagnostics pulled by us and no saves sent.
        text = attrs.evolve(
            text_caps or types.TextDocumentClientCapabilities(),
            diagnostic=types.DiagnosticClientCapabilities(),
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=False),
            publish_diagnostics=None,
        )
        workspace = self.editor.workspace if self.editor else None
        edits = workspace.workspace_edit if workspace else None
        return types.InitializeParams(
            process_id=None,
            root_uri=self.root_uri,
            workspace_folders=folders,
            capabilities=types.ClientCapabilities(
                general=types.GeneralClientCapabilities(position_encodings=[self.encoding]),
                text_document=text,
                workspace=types.WorkspaceClientCapabilities(
                    configuration=True, workspace_edit=edits
                ),
            ),
        )

    @staticmethod
    def _configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]  # ty's defaults and the project's own config

    @staticmethod
    def _log_message(params: types.LogMessageParams) -> None:
        log.debug("ty: %s", params.message)
