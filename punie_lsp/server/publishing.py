"""Where diagnostics go: pushed or pulled as the client declared, model-run findings
included, and every open buffer diagnosed again when the settings or other files change."""

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from punie_lsp.server.diagnostics import DiagnosticsEngine, Snapshot
from punie_lsp.server.protocol import PunieProtocol
from punie_lsp.server.raw_json import RawDiagnostic, RawJson, lsp_raw
from punie_lsp.server.session import Session


class Publishing:
    def __init__(self, ls: LanguageServer, session: Session, engine: DiagnosticsEngine) -> None:
        self.ls, self.session, self.engine = ls, session, engine

    @property
    def pull(self) -> bool:
        return self.session.capabilities.pull_diagnostics

    def publish(self, uri: str, version: int | None, found: list[RawDiagnostic]) -> None:
        params = RawJson(uri=uri, diagnostics=found)
        if version is not None:
            params["version"] = version
        protocol = self.ls.protocol
        assert isinstance(protocol, PunieProtocol)
        protocol.notify_raw(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params)

    def set_findings(self, found: dict[str, list[types.Diagnostic]]) -> None:
        """Model-run findings replace the previous run's (none: clear them)."""
        touched = set(self.engine.extra) | set(found)
        self.engine.set_extra(found, push=not self.pull)
        if self.pull:
            # A pull client asks only about the files it has open; findings elsewhere (the
            # failing test in a file nobody opened) are pushed, until the file opens.
            for uri in sorted(touched):
                if uri not in self.ls.workspace.text_documents:
                    self.publish(uri, None, lsp_raw(found.get(uri, [])))
            self._ask_pull_clients_to_refresh()

    def hand_findings_to_pull(self, uri: str, opened: bool) -> None:
        """In pull mode, a file's findings move between push (closed) and pull (open)."""
        if self.pull and uri in self.engine.extra:
            self.publish(uri, None, [] if opened else lsp_raw(self.engine.extra[uri]))

    def refresh(self) -> None:
        """Diagnose every open buffer again (settings or other files changed)."""
        if self.pull:
            self._ask_pull_clients_to_refresh()
            return
        root = self.ls.workspace.root_path
        for doc in list(self.ls.workspace.text_documents.values()):
            self.engine.schedule(Snapshot.of(doc, root))

    def _ask_pull_clients_to_refresh(self) -> None:
        if self.session.capabilities.diagnostic_refresh:
            self.ls.workspace_diagnostic_refresh(None)
