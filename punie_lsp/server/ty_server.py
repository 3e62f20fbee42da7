"""A client for ty's own language server, which type-checks unsaved buffers incrementally.

`ty check` has no stdin mode; ty's server does, and answers a pull for a changed buffer in a
millisecond or two where a `ty check` process takes tens (docs/performance.md).
"""

import asyncio
import contextlib
import functools
import logging
import os
import signal
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import PositionCodec

log = logging.getLogger(__name__)


class _TolerantProtocol(LanguageServerProtocol):
    """Keeps ty's initialize result as plain JSON.

    lsprotocol cannot structure every capability ty advertises (its notebook filters), and we
    only need the negotiated position encoding from it.
    """

    @functools.lru_cache  # noqa: B019 - as in the base class; one instance per ty process
    def get_result_type(self, method: str) -> Any:
        return None if method == types.INITIALIZE else super().get_result_type(method)


class TyError(Exception):
    """ty's server could not start or answer in time."""


class TyServer:
    def __init__(self, executable: str, root_uri: str | None, encoding: str, timeout: float):
        self.executable = executable
        self.root_uri = root_uri
        self.encoding = encoding  # what our client speaks; ranges are converted to it
        self.timeout = timeout
        self._client = LanguageClient("punie-lsp", "0.1", protocol_cls=_TolerantProtocol)
        self._client.feature(types.WORKSPACE_CONFIGURATION)(self._configuration)
        self._client.feature(types.WINDOW_LOG_MESSAGE)(self._log_message)
        self._ty_codec = PositionCodec(types.PositionEncodingKind.Utf16)
        self._versions: dict[str, int] = {}
        self._stderr: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            # Its own process group, so stopping also ends whatever it spawned (a wrapper
            # script's children would otherwise hold the pipes open).
            await self._client.start_io(self.executable, "server", start_new_session=True)
            self._stderr = asyncio.create_task(self._drain_stderr())
            result = await asyncio.wait_for(
                self._client.protocol.send_request_async(types.INITIALIZE, self._init_params()),
                self.timeout,
            )
        except (OSError, TimeoutError) as exc:
            await self.stop()
            raise TyError(f"ty server did not start: {exc or 'timed out'}") from exc
        encoding = getattr(getattr(result, "capabilities", None), "positionEncoding", "utf-16")
        self._ty_codec = PositionCodec(encoding or types.PositionEncodingKind.Utf16)
        self._client.initialized(types.InitializedParams())
        log.info("ty server started (%s, %s)", self.executable, encoding)

    async def stop(self) -> None:
        server = self._client._server
        try:
            if server is not None and server.returncode is None:
                await asyncio.wait_for(self._client.shutdown_async(None), 2)
                self._client.exit(None)
                await asyncio.wait_for(server.wait(), 2)
        except Exception:  # it may hang or already be gone; stopping must not fail
            log.debug("ty server did not shut down cleanly", exc_info=True)
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(self._client.stop(), 5)
        except TimeoutError:
            log.warning("ty server's pipes did not close; abandoning it")
        if self._stderr is not None:
            self._stderr.cancel()

    async def _drain_stderr(self) -> None:
        """Read ty's stderr into our log; an unread pipe would fill up and stall ty."""
        server = self._client._server
        if server is None or server.stderr is None:
            return
        while line := await server.stderr.readline():
            log.debug("ty stderr: %s", line.decode("utf-8", "replace").rstrip())

    def sync(self, uri: str, version: int, text: str) -> None:
        """Make ty see this version of the buffer (one whole-text change per version)."""
        known = self._versions.get(uri)
        if known == version:
            return
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
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
        self._versions[uri] = version

    def close(self, uri: str) -> None:
        if self._versions.pop(uri, None) is not None:
            self._client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )

    async def diagnostics(self, uri: str, lines: list[str]) -> list[types.Diagnostic]:
        """ty's rule diagnostics for the synced buffer, in our client's position encoding."""
        try:
            report = await asyncio.wait_for(
                self._client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
                ),
                self.timeout,
            )
        except TimeoutError:
            raise TyError(f"ty server did not answer within {self.timeout:g} s") from None
        except RuntimeError as exc:  # pygls reports a dead server this way
            raise TyError(f"ty server failed: {exc}") from exc
        items = getattr(report, "items", None) or []
        log.debug("ty: %d diagnostics for %s", len(items), uri)
        # ty's server also sends hints without a rule code ("`x` is unused"); `ty check`
        # does not report those, and they are not type errors.
        return [self._convert(d, lines) for d in items if d.code is not None]

    def _convert(self, diagnostic: types.Diagnostic, lines: list[str]) -> types.Diagnostic:
        if self._ty_codec.encoding != self.encoding:
            ours = PositionCodec(self.encoding)
            server_range = self._ty_codec.range_from_client_units(lines, diagnostic.range)
            diagnostic.range = ours.range_to_client_units(lines, server_range)
        diagnostic.source = "ty"
        return diagnostic

    def _init_params(self) -> types.InitializeParams:
        folders = [types.WorkspaceFolder(uri=self.root_uri, name="root")] if self.root_uri else None
        return types.InitializeParams(
            process_id=None,
            root_uri=self.root_uri,
            workspace_folders=folders,
            capabilities=types.ClientCapabilities(
                general=types.GeneralClientCapabilities(position_encodings=[self.encoding]),
                text_document=types.TextDocumentClientCapabilities(
                    diagnostic=types.DiagnosticClientCapabilities(),
                    synchronization=types.TextDocumentSyncClientCapabilities(did_save=False),
                ),
                workspace=types.WorkspaceClientCapabilities(configuration=True),
            ),
        )

    @staticmethod
    def _configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]  # ty's defaults and the project's own config

    @staticmethod
    def _log_message(params: types.LogMessageParams) -> None:
        log.debug("ty: %s", params.message)
