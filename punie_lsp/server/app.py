"""The language server: capabilities, lifecycle and settings; each feature lives beside it."""

import asyncio
import logging
import threading
from enum import Enum
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from punie_lsp import __version__, logs
from punie_lsp.agent import sandbox
from punie_lsp.model.generation import Backend
from punie_lsp.model.host import ModelSpec, make_host
from punie_lsp.server import actions, ask_actions, commands, findings
from punie_lsp.server.child_server import ChildServer, ChildServerError
from punie_lsp.server.diagnostics import DiagnosticsEngine, Snapshot
from punie_lsp.server.protocol import PunieProtocol
from punie_lsp.server.settings import SECTION, Settings, resolve
from punie_lsp.tools import ToolError
from punie_lsp.tools.process import find_executable

log = logging.getLogger(__name__)

# The tools whose own language servers run as our children (engine attributes of the same name).
_CHILDREN = ("ruff", "ty")

# How long to wait for the client's answer to workspace/configuration before going on.
_CONFIG_TIMEOUT = 5.0

# The model's state, for clients that show it (a status bar) and say so in their
# capabilities as `experimental.punieStatus` (the way rust-analyzer offers serverStatus).
STATUS = "punie/status"


class PunieServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("punie-lsp", __version__, protocol_cls=PunieProtocol)
        self.engine = DiagnosticsEngine(self.publish, self.report_problem)
        self.init_options: Any = None
        self.settings_loaded = asyncio.Event()
        # `initialized` and an early didChangeConfiguration (eglot sends one at once) must not
        # both see no ruff and start one each.
        self._settings_lock = asyncio.Lock()
        self._reported: set[str] = set()
        self.host: Backend | None = None  # once the settings say which model
        self._host_spec: ModelSpec | None = None
        self._load_task: asyncio.Task[None] | None = None
        self.log_file: Path | None = None

    # What the client can do, read from its capabilities.
    @property
    def pull(self) -> bool:
        text = self.client_capabilities.text_document
        return text is not None and text.diagnostic is not None

    @property
    def llm_tags(self) -> bool:
        """Whether the client understands CodeActionTag.LlmGenerated."""
        text = self.client_capabilities.text_document
        support = text.code_action.tag_support if text and text.code_action else None
        return support is not None and types.CodeActionTag.LlmGenerated in support.value_set

    @property
    def versioned_edits(self) -> bool:
        return self._can("workspace", "workspace_edit", "document_changes")

    @property
    def shows_progress(self) -> bool:
        return self._can("window", "work_done_progress")

    @property
    def wants_status(self) -> bool:
        experimental = self.client_capabilities.experimental
        return isinstance(experimental, dict) and experimental.get("punieStatus") is True

    @property
    def root(self) -> Path:
        """The workspace folder, resolved (tools and the sandbox see resolved paths)."""
        return Path(self.workspace.root_path or ".").resolve()

    def _ask_pull_clients_to_refresh(self) -> None:
        if self._can("workspace", "diagnostics", "refresh_support"):
            self.workspace_diagnostic_refresh(None)

    def _can(self, *path: str) -> bool:
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)

    def publish(self, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )

    def report_problem(self, message: str) -> None:
        """Tell the user once per distinct problem (not once per keystroke), and log it."""
        log.warning("%s", message)
        if message not in self._reported:
            self._reported.add(message)
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"punie-lsp: {message}"
                )
            )

    def snapshot(self, uri: str) -> Snapshot | None:
        """The open buffer at uri; None when the client never opened it."""
        doc = self.workspace.text_documents.get(uri)
        return Snapshot.of(doc, self.workspace.root_path) if doc is not None else None

    async def load_settings(self, pushed: Any = None) -> None:
        """Resolve settings from initializationOptions and the client's configuration."""
        async with self._settings_lock:
            await self._load_settings(pushed)

    async def _load_settings(self, pushed: Any) -> None:
        config = pushed
        if config is None and self._can("workspace", "configuration"):
            try:
                answer = await asyncio.wait_for(
                    self.workspace_configuration_async(
                        types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                    ),
                    _CONFIG_TIMEOUT,
                )
                config = answer[0] if answer else None
            except Exception as exc:  # a client that cannot answer keeps the defaults
                log.warning("workspace/configuration failed: %s", exc)
        settings, problems = resolve(self.init_options, config)
        old = self.engine.settings
        self.engine.settings = settings
        self._reported.clear()
        for problem in problems:
            self.report_problem(problem)
        await asyncio.gather(*(self._apply_child(name, settings, old) for name in _CHILDREN))
        self._start_model(settings)
        self.settings_loaded.set()
        self.refresh()

    def _start_model(self, settings: Settings) -> None:
        """Load the model in the background (once per distinct model setting)."""
        wanted = settings.model
        spec = ModelSpec(model=wanted.path, adapter=wanted.adapter) if wanted.enabled else None
        if spec == self._host_spec:
            return
        if self.host is not None:
            old = self.host
            threading.Thread(target=old.stop, daemon=True).start()  # never block the loop
        self._host_spec, self.host = spec, None
        if spec is None:
            self.send_status("off", f"the model is off ({SECTION}.model.enabled)")
            return
        progress = commands.Progress.for_client(self, self.shows_progress)
        loop = asyncio.get_running_loop()

        def on_status(message: str) -> None:  # on the model's thread
            progress.report(message)
            loop.call_soon_threadsafe(self.send_status, "loading", message, spec)

        self.send_status("loading", "starting", spec)
        self.host = make_host(spec, on_status=on_status)
        sandbox.prestart(self.root)  # the first answer's worker, ready while the model loads
        self._load_task = asyncio.create_task(self._announce_load(self.host, progress))

    def send_status(self, state: str, message: str, spec: ModelSpec | None = None) -> None:
        """Tell a client that asked for it what the model is doing; a model replaced by a
        settings change no longer speaks."""
        if not self.wants_status or (spec is not None and spec != self._host_spec):
            return
        log_file = str(self.log_file) if self.log_file else None
        self.protocol.notify(STATUS, {"model": state, "message": message, "logFile": log_file})

    async def _announce_load(self, host: Backend, progress: commands.Progress) -> None:
        await progress.create()
        progress.begin("punie: loading the model", "starting")
        await asyncio.to_thread(host.loaded.wait)
        current = host is self.host  # not replaced by a settings change while loading
        if host.load_error:
            progress.end(host.load_error)
            if current:
                self.send_status("error", host.load_error)
                self.report_problem(host.load_error)
        else:
            ready = f"ready: {host.description} ({host.load_seconds:.1f} s)"
            progress.end(ready)
            if current:
                self.send_status("ready", ready)
            log.info("model loaded in %.1f s: %s", host.load_seconds, host.description)

    def set_findings(self, found: dict[str, list[types.Diagnostic]]) -> None:
        """Model-run findings replace the previous run's (none: clear them)."""
        touched = set(self.engine.extra) | set(found)
        self.engine.set_extra(found, push=not self.pull)
        if self.pull:
            # A pull client asks only about the files it has open; findings elsewhere (the
            # failing test in a file nobody opened) are pushed, until the file opens.
            for uri in sorted(touched):
                if uri not in self.workspace.text_documents:
                    self.publish(uri, None, found.get(uri, []))
            self._ask_pull_clients_to_refresh()

    def hand_findings_to_pull(self, uri: str, opened: bool) -> None:
        """In pull mode, a file's findings move between push (closed) and pull (open)."""
        if self.pull and uri in self.engine.extra:
            self.publish(uri, None, [] if opened else self.engine.extra[uri])

    def refresh(self) -> None:
        """Diagnose every open buffer again (settings or other files changed)."""
        if self.pull:
            self._ask_pull_clients_to_refresh()
            return
        for doc in list(self.workspace.text_documents.values()):
            self.engine.schedule(Snapshot.of(doc, self.workspace.root_path))

    async def _apply_child(self, name: str, settings: Settings, old: Settings) -> None:
        """(Re)start or stop the ruff or ty server as the settings say; a server that failed
        earlier is tried again on every settings change."""
        wanted = getattr(settings.sources, name)
        path = getattr(settings, f"{name}_path")
        if wanted != getattr(old.sources, name) or path != getattr(old, f"{name}_path"):
            await self._stop_child(name)
        if wanted and getattr(self.engine, name) is None:
            setattr(self.engine, name, await self._start_child(name, path, settings))

    async def _start_child(
        self, name: str, path: str | None, settings: Settings
    ) -> ChildServer | None:
        try:
            child = ChildServer(
                name,
                find_executable(name, path),
                self.workspace.root_uri,
                _encoding(self.workspace.position_encoding),
                settings.tool_timeout,
            )
            await child.start()
            return child
        except (ToolError, ChildServerError) as exc:
            self.report_problem(f"{exc}; {name} diagnostics are off (set {SECTION}.{name}Path)")
            return None

    async def _stop_child(self, name: str) -> None:
        child = getattr(self.engine, name)
        setattr(self.engine, name, None)
        if child is not None:
            await child.stop()


def _encoding(kind: types.PositionEncodingKind | str | None) -> str:
    if kind is None:
        return types.PositionEncodingKind.Utf16.value
    return kind.value if isinstance(kind, types.PositionEncodingKind) else kind


server = PunieServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PunieServer, params: types.InitializeParams) -> None:
    ls.init_options = params.initialization_options
    ls.engine.codec = ls.workspace.position_codec


@server.feature(types.INITIALIZED)
async def initialized(ls: PunieServer, params: types.InitializedParams) -> None:
    await ls.load_settings()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: PunieServer, params: types.DidChangeConfigurationParams
) -> None:
    pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
    await ls.load_settings(pushed)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(
    ls: PunieServer, params: types.DidOpenTextDocumentParams | types.DidChangeTextDocumentParams
) -> None:
    await ls.settings_loaded.wait()
    if isinstance(params, types.DidOpenTextDocumentParams):
        ls.hand_findings_to_pull(params.text_document.uri, opened=True)
    if not ls.pull and (snap := ls.snapshot(params.text_document.uri)) is not None:
        ls.engine.schedule(snap)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PunieServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.refresh()  # a saved file can change ty's findings in every other buffer


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PunieServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.engine.forget(params.text_document.uri, push=not ls.pull)
    ls.hand_findings_to_pull(params.text_document.uri, opened=False)


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier="punie", inter_file_dependencies=True, workspace_diagnostics=False
    ),
)
async def diagnostic(
    ls: PunieServer, params: types.DocumentDiagnosticParams
) -> types.RelatedFullDocumentDiagnosticReport:
    await ls.settings_loaded.wait()
    snap = ls.snapshot(params.text_document.uri) or _unopened(params.text_document.uri)
    found = await ls.engine.compute(snap)
    extra = ls.engine.extra.get(params.text_document.uri, [])
    return types.RelatedFullDocumentDiagnosticReport(items=found + extra)


def _unopened(uri: str) -> Snapshot:
    """A file the client asks about without opening it: read it from disk, strictly."""
    path = to_fs_path(uri)
    if path is None:
        raise JsonRpcInvalidParams(f"not a file URI and not open: {uri}")
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise JsonRpcInvalidParams(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise JsonRpcInvalidParams(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    return Snapshot.of(TextDocument(uri, text, version=0), None)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=actions.KINDS + ask_actions.KINDS, resolve_provider=True
    ),
)
async def code_action(
    ls: PunieServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    snap = ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    only = [k.value if isinstance(k, Enum) else k for k in params.context.only or []] or None
    found: list[types.CodeAction] = []
    if ls.engine.settings.sources.ruff:
        if actions.wanted(types.CodeActionKind.QuickFix.value, only):
            found += actions.quick_fixes(
                snap, params.context.diagnostics, ls.engine.codec, ls.versioned_edits
            )
        sources = actions.source_actions(snap, only)
        if not _can_resolve_edits(ls):
            sources = [await _resolve(ls, a, snap) for a in sources]
            sources = [a for a in sources if a.edit is not None]
        found += sources
    if ls.host is not None:
        found += ask_actions.model_actions(
            snap.uri, snap.path.resolve(), ls.root, params.range,
            params.context.diagnostics, only, ls.llm_tags,
        )  # fmt: skip
    return found


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: PunieServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    snap = ls.snapshot(str(data.get("uri", "")))
    return action if snap is None else await _resolve(ls, action, snap)


async def _resolve(ls: PunieServer, action: types.CodeAction, snap: Snapshot) -> types.CodeAction:
    return await asyncio.to_thread(
        actions.resolve, action, snap, ls.engine.codec, ls.engine.settings, ls.versioned_edits
    )


def _can_resolve_edits(ls: PunieServer) -> bool:
    text = ls.client_capabilities.text_document
    support = text.code_action.resolve_support if text and text.code_action else None
    return support is not None and "edit" in support.properties


@server.command(commands.ASK)
async def ask_command(ls: PunieServer, *args: Any) -> dict[str, Any]:
    params = commands.parse_params(args)
    await ls.settings_loaded.wait()
    if ls.host is None:
        raise JsonRpcInvalidParams("the model is off: set punie.model.enabled to true")
    progress = commands.Progress.for_client(ls, ls.shows_progress, params.work_done_token)
    answer = await commands.answer(ls, ls.host, ls.engine.settings.model, params, ls.root, progress)
    if answer.results:
        ls.set_findings(findings.diagnostics(answer.results, ls.root, ls.engine.codec))
    return answer.model_dump(mode="json")


@server.command(commands.CLEAR)
def clear_findings(ls: PunieServer, *args: Any) -> None:
    ls.set_findings({})


@server.feature(types.SHUTDOWN)
async def shutdown(ls: PunieServer, params: None) -> None:
    await asyncio.gather(*(ls._stop_child(name) for name in _CHILDREN))
    if ls.host is not None:
        await asyncio.to_thread(ls.host.stop)  # joins the model thread: not on the loop


def serve(log_file: Path | None = None, log_level: str = "INFO") -> None:
    path = logs.setup(log_file, log_level)
    server.log_file = path
    log.info("punie-lsp %s starting; log file %s", __version__, path)
    server.start_io()
