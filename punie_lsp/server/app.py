"""The language server: it wires the LSP handlers to the modules that do the work.

Each handler is a few lines; the state lives in a Session (settings, client capabilities,
position codec, root), the ruff and ty children in `Children`, the model in `ModelService`,
where diagnostics go in `Publishing`, and code actions in their providers.
"""

import asyncio
import logging
import sys
import threading
from collections.abc import Coroutine
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from punie_lsp import __version__, logs
from punie_lsp.agent.fixing import FixOutcome, FixRequest
from punie_lsp.agent.sandbox import Limits
from punie_lsp.server import (
    ask_actions,
    commands,
    findings,
    forwarding,
    heap,
    model_fixes,
    positions,
    ruff_actions,
    unsafe_fixes,
)
from punie_lsp.server.capabilities import ClientCapabilities
from punie_lsp.server.child_server import ChildServerError
from punie_lsp.server.children import Children
from punie_lsp.server.code_actions import ActionContext, Provider, document_edit
from punie_lsp.server.commands import Command
from punie_lsp.server.diagnostic_data import ResolveData
from punie_lsp.server.diagnostics import DiagnosticsEngine, Snapshot
from punie_lsp.server.edits import EditLog
from punie_lsp.server.model_service import ModelService
from punie_lsp.server.progress import Progress
from punie_lsp.server.protocol import PunieProtocol
from punie_lsp.server.publishing import Publishing
from punie_lsp.server.raw_json import RawDiagnostic, RawJson, lsp_raw, raw_converter
from punie_lsp.server.session import Session
from punie_lsp.server.settings import SECTION, resolve
from punie_lsp.server.transport import ResyncingInput, WholeMessages
from punie_lsp.server.wire import read_async
from punie_lsp.tools.lines import split_lines

log = logging.getLogger(__name__)

# How long to wait for the client's answer to workspace/configuration before going on.
_CONFIG_TIMEOUT = 5.0

# Every family of code actions; each module offers KINDS, actions() and maybe resolve().
PROVIDERS: tuple[Provider, ...] = (ruff_actions, unsafe_fixes, model_fixes, ask_actions)


class PunieServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "punie-lsp", __version__, protocol_cls=PunieProtocol, converter_factory=raw_converter
        )
        self.session = Session()
        self.children = Children(self.report_problem)
        self.edits = EditLog()
        self.engine = DiagnosticsEngine(
            self.session, self.children, self._publish, self.report_problem, self.edits
        )
        self.publishing = Publishing(self, self.session, self.engine)
        self.model = ModelService(self, self.session, self.report_problem)
        self.unsafe = unsafe_fixes.UnsafeFixes(
            lambda: Limits(timeout=self.session.settings.model.snippet_timeout)
        )
        self.init_options: Any = None
        self.settings_loaded = asyncio.Event()
        # `initialized` and an early didChangeConfiguration (eglot sends one at once) must not
        # both see no ruff and start one each.
        self._settings_lock = asyncio.Lock()
        self._reported: set[str] = set()
        self._background: set[asyncio.Future[None]] = set()

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work as a task, held until it ends (the loop holds its tasks only weakly)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _start_io_async(
        self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
    ) -> None:
        """pygls' own, but each of the editor's messages is read in one hop to a thread
        (transport.WholeMessages, where pygls makes a hop per line) and decoded by orjson
        (wire.read_async)."""
        log.info("Starting async IO server")
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = WholeMessages(stdin or sys.stdin.buffer, self.thread_pool)
        try:
            asyncio.run(
                read_async(self._stop_event, reader, self.protocol, self.report_server_error)
            )
        except BrokenPipeError:
            log.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def _publish(self, uri: str, version: int | None, found: list[RawDiagnostic]) -> None:
        self.publishing.publish(uri, version, found)
        self.model.may_load()  # the editor has what it waited for
        self.check_unsafe_fixes(uri)

    def check_unsafe_fixes(self, uri: str) -> None:
        """Have the buffer's unsafe fixes verified in the background (unsafe_fixes.py)."""
        settings = self.session.settings
        if not (settings.verify_unsafe_fixes and settings.sources.ruff):
            return
        snap = self.snapshot(uri)
        if snap is None:
            return
        root = self.session.root
        if snap.path.resolve().is_relative_to(root):
            self.unsafe.schedule(snap, str(root), lambda: self.unsaved(root))

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
            config = pushed if pushed is not None else await self._configuration()
            settings, problems = resolve(self.init_options, config)
            old, self.session.settings = self.session.settings, settings
            self._reported.clear()
            for problem in problems:
                self.report_problem(problem)
            encoding = _encoding(self.workspace.position_encoding)
            await self.children.apply(
                settings, old, self.workspace.root_uri, encoding, self.client_capabilities
            )
            self.model.apply()
            self.settings_loaded.set()
            self.publishing.refresh()

    def unsaved(self, root: Path) -> dict[str, str]:
        """The open buffers under root whose text is not what the disk holds: path -> text."""
        found = {}
        for doc in list(self.workspace.text_documents.values()):
            fs_path = to_fs_path(doc.uri)
            path = Path(fs_path).resolve() if fs_path else None
            if path is None or not path.is_relative_to(root):
                continue
            try:
                on_disk = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # a new file, or one the tools cannot read as text anyway
            if on_disk != doc.source:
                found[str(path)] = doc.source
        return found

    async def forward(self, entry: forwarding.Forwarded, params: Any) -> Any:
        """A request a child answers (forwarding.py), on the buffer's current text; None where
        that child is off, or the document is not open."""
        uri = forwarding.uri_of(params)
        snap = self.snapshot(uri) if uri else None
        child = self.children.get(entry.child)
        if snap is None or child is None:
            return None
        if not child.same_encoding:  # both tools take the client's; never seen otherwise
            log.warning(
                "%s speaks another position encoding: %s not forwarded", child.name, entry.method
            )
            return None
        try:
            child.sync(snap.uri, snap.version, snap.text, self.edits)
            return await child.request(entry.method, params)
        except ChildServerError as exc:
            log.warning("%s", exc)
            return None

    async def _configuration(self) -> Any:
        if not self.session.capabilities.configuration:
            return None
        try:
            answer = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                _CONFIG_TIMEOUT,
            )
            return answer[0] if answer else None
        except Exception as exc:  # a client that cannot answer keeps the defaults
            log.warning("workspace/configuration failed: %s", exc)
            return None


def _encoding(kind: types.PositionEncodingKind | str | None) -> str:
    if kind is None:
        return types.PositionEncodingKind.Utf16.value
    return kind.value if isinstance(kind, types.PositionEncodingKind) else kind


server = PunieServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PunieServer, params: types.InitializeParams) -> None:
    ls.init_options = params.initialization_options
    ls.session.capabilities = ClientCapabilities.resolve(params.capabilities)
    ls.session.codec = ls.workspace.position_codec
    ls.session.root = Path(ls.workspace.root_path or ".").resolve()


@server.feature(types.INITIALIZED)
async def initialized(ls: PunieServer, params: types.InitializedParams) -> None:
    await ls.load_settings()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: PunieServer, params: types.DidChangeConfigurationParams
) -> None:
    pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
    await ls.load_settings(pushed)


BufferEvent = types.DidOpenTextDocumentParams | types.DidChangeTextDocumentParams


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PunieServer, params: BufferEvent) -> None:
    # Not a coroutine: pygls would make it a task, a turn of the loop later, on every keystroke.
    if isinstance(params, types.DidOpenTextDocumentParams):
        ls.edits.opened(params.text_document.uri, params.text_document.version)
    else:
        ls.edits.changed(
            params.text_document.uri, params.text_document.version, params.content_changes
        )
    if ls.settings_loaded.is_set():
        _diagnose_changed(ls, params)
    else:  # the editor's first file, opened before the settings came
        ls.background(_diagnose_when_set_up(ls, params))


async def _diagnose_when_set_up(ls: PunieServer, params: BufferEvent) -> None:
    await ls.settings_loaded.wait()
    _diagnose_changed(ls, params)


def _diagnose_changed(ls: PunieServer, params: BufferEvent) -> None:
    ls.model.edited()
    if isinstance(params, types.DidOpenTextDocumentParams):
        ls.publishing.hand_findings_to_pull(params.text_document.uri, opened=True)
    else:  # a pull client asks again for a changed buffer; a push one gets the next publish
        ls.engine.edited(params.text_document.uri)
    if not ls.publishing.pull and (snap := ls.snapshot(params.text_document.uri)) is not None:
        ls.engine.schedule(snap)


def _forwarder(entry: forwarding.Forwarded) -> Any:
    async def handler(ls: PunieServer, params: Any) -> Any:
        return await ls.forward(entry, params)

    return handler


for _entry in forwarding.FORWARDED:
    server.feature(_entry.method, _entry.options)(_forwarder(_entry))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PunieServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.publishing.refresh()  # a saved file can change ty's findings in every other buffer


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PunieServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.edits.closed(params.text_document.uri)
    ls.engine.forget(params.text_document.uri, push=not ls.publishing.pull)
    ls.unsafe.forget(params.text_document.uri)
    ls.publishing.hand_findings_to_pull(params.text_document.uri, opened=False)


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier="punie", inter_file_dependencies=True, workspace_diagnostics=False
    ),
)
async def diagnostic(ls: PunieServer, params: types.DocumentDiagnosticParams) -> RawJson:
    """A full report (RelatedFullDocumentDiagnosticReport), as JSON (server/raw_json.py)."""
    await ls.settings_loaded.wait()
    snap = ls.snapshot(params.text_document.uri) or _unopened(params.text_document.uri)
    found = await ls.engine.compute(snap)
    extra = ls.engine.findings(params.text_document.uri, live=True)
    ls.model.may_load()
    ls.check_unsafe_fixes(params.text_document.uri)
    return RawJson(kind="full", items=found + lsp_raw(extra))


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
        code_action_kinds=[kind for provider in PROVIDERS for kind in provider.KINDS],
        resolve_provider=True,
    ),
)
async def code_action(
    ls: PunieServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    snap = ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    only = [k.value if isinstance(k, Enum) else k for k in params.context.only or []] or None
    context = ActionContext(
        snap, params.range, params.context.diagnostics, only, ls.session,
        ls.model.host is not None, ls.unsafe.offered(snap),
    )  # fmt: skip
    found = [action for provider in PROVIDERS for action in provider.actions(context)]
    if ls.session.capabilities.resolves_edits:
        return found
    # A client that cannot resolve edits gets them now, and no action that has none.
    found = [await _resolve(a, context) if _unresolved(a) else a for a in found]
    return [a for a in found if not _unresolved(a)]


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: PunieServer, action: types.CodeAction) -> types.CodeAction:
    data = ResolveData.read(action.data)
    snap = ls.snapshot(data.uri) if data is not None else None
    if snap is None:
        return action
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    context = ActionContext(
        snap, whole, action.diagnostics or [], None, ls.session, ls.model.host is not None
    )
    return await _resolve(action, context)


def _unresolved(action: types.CodeAction) -> bool:
    return action.edit is None and action.command is None


async def _resolve(action: types.CodeAction, context: ActionContext) -> types.CodeAction:
    """The action's edit, from the provider that offered it (ruff runs: off the loop)."""
    data = ResolveData.read(action.data)
    for provider in PROVIDERS:
        resolver = getattr(provider, "resolve", None)
        if data is not None and resolver is not None and data.kind in provider.KINDS:
            return await asyncio.to_thread(resolver, action, context)
    return action


@server.command(Command.ASK.value)
async def ask_command(ls: PunieServer, *args: Any) -> dict[str, Any]:
    params = commands.parse_params(args)
    await ls.settings_loaded.wait()
    ls.model.needed()
    host = ls.model.host
    progress = Progress.for_client(
        ls, ls.session.capabilities.work_done_progress, params.work_done_token
    )
    root = ls.session.root
    settings = ls.session.settings.model
    if params.rule is not None:  # no model needed: the rule is known
        where = _diagnostic_line(ls, params)
        answer = await commands.explanation(settings, params, root, where, progress)
    elif host is None:
        raise JsonRpcInvalidParams("the model is off: set punie.model.enabled to true")
    else:
        snap = ls.snapshot(params.uri) if params.uri else None
        buffer = snap.lines if snap is not None else None
        answer = await commands.answer(
            host, settings, params, root, progress, buffer, ls.unsaved(root)
        )
    if answer.results:
        ls.publishing.set_findings(findings.diagnostics(answer.results, root, ls.session.codec))
    return answer.model_dump(mode="json")


def _diagnostic_line(ls: PunieServer, params: commands.AskParams) -> str:
    """`file:line: message` and the line itself, from the open buffer, for an explanation."""
    snap = ls.snapshot(params.uri) if params.uri else None
    if snap is None or not params.range:
        return ""
    line = int(params.range.get("start", {}).get("line", 0))
    text = snap.lines[line].rstrip() if 0 <= line < len(snap.lines) else ""
    shown = (
        snap.path.relative_to(ls.session.root)
        if snap.path.is_relative_to(ls.session.root)
        else snap.path
    )
    message = params.question.split(": ", 1)[-1]
    return f"{shown}:{line + 1}: {message}\n    {text.strip()}"


@server.command(Command.FIX.value)
async def fix_command(ls: PunieServer, *args: Any) -> dict[str, Any]:
    """The model's fix for a diagnostic, applied by the editor only once verified."""
    params = commands.parse_fix_params(args)
    await ls.settings_loaded.wait()
    ls.model.needed()
    host, root = ls.model.host, ls.session.root
    if host is None:
        raise JsonRpcInvalidParams("the model is off: set punie.model.enabled to true")
    snap = ls.snapshot(params.uri)
    if snap is None or not snap.path.resolve().is_relative_to(root):
        raise JsonRpcInvalidParams(f"{Command.FIX.value}: open a file of the workspace to fix it")
    if snap.version != params.version:
        raise JsonRpcInvalidParams(f"{Command.FIX.value}: the file changed; ask for the fix again")
    request = FixRequest(
        path=snap.path.resolve().relative_to(root).as_posix(), line=params.line + 1,
        source=params.source, code=params.code, message=params.message,
    )  # fmt: skip
    progress = Progress.for_client(
        ls, ls.session.capabilities.work_done_progress, params.work_done_token
    )
    # verify() binds the text it checks over this buffer's own entry among the unsaved ones.
    outcome = await commands.fixed(
        host, ls.session.settings.model, request, root, snap.text, ls.unsaved(root), progress
    )
    applied = await _apply_fix(ls, snap, outcome) if outcome.offered else False
    if applied:
        said = f"punie: applied {outcome.title()}"
    elif outcome.offered:
        said = f"punie: the editor did not apply the verified fix ({outcome.title()})"
    else:
        said = f"punie: no fix for {params.code}: {outcome.reason}"
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=said))
    found = outcome.model_dump(mode="json", exclude={"after"})
    return {**found, "offered": outcome.offered, "applied": applied}


async def _apply_fix(ls: PunieServer, snap: Snapshot, outcome: FixOutcome) -> bool:
    """Ask the editor to make the verified edit: one line replaced (or deleted), in the
    diagnostic's file or, for a failing test, in the code it calls."""
    proposal = outcome.proposal
    assert proposal is not None  # an offered fix has one
    edited = _edited(ls, snap, ls.session.root / proposal.path)
    if edited is None:
        return False
    uri, version, lines = edited
    codec, line, end = ls.session.codec, proposal.line, len(proposal.old) + 1
    if proposal.new:
        where = positions.to_range(codec, lines, line, 1, line, end)
    else:  # the line goes, its newline with it
        where = positions.to_range(codec, lines, line, 1, line + 1, 1)
    change = types.TextEdit(range=where, new_text=proposal.new)
    versioned = ls.session.capabilities.versioned_edits
    try:
        reply = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=document_edit(uri, version, [change], versioned), label=outcome.title()
            )
        )
    except Exception as exc:  # a client without applyEdit answers with an error
        log.info("the editor could not apply the fix: %s", exc)
        return False
    if not reply.applied:
        log.info("the editor did not apply the fix: %s", reply.failure_reason)
    return bool(reply.applied)


def _edited(
    ls: PunieServer, snap: Snapshot, path: Path
) -> tuple[str, int | None, list[str]] | None:
    """(uri, version, lines) of the file an edit goes to: its open buffer, or, where the editor
    has not opened it, its text on disk with no version to hold the editor to."""
    if path.resolve() == snap.path.resolve():
        return snap.uri, snap.version, snap.lines
    uri = path.resolve().as_uri()
    if (buffer := ls.snapshot(uri)) is not None:
        return buffer.uri, buffer.version, buffer.lines
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return uri, None, split_lines(text)


@server.command(Command.CLEAR_FINDINGS.value)
def clear_findings(ls: PunieServer, *args: Any) -> None:
    ls.publishing.set_findings({})


@server.feature(types.SHUTDOWN)
async def shutdown(ls: PunieServer, params: None) -> None:
    ls.unsafe.stop()
    await ls.children.stop_all()
    await ls.model.stop()


def serve(log_file: Path | None = None, log_level: str = "INFO") -> None:
    path = logs.setup(log_file, log_level)
    server.model.log_file = path
    log.info("punie-lsp %s starting; log file %s", __version__, path)
    stdin = ResyncingInput(sys.stdin.buffer)
    assert isinstance(server.protocol, PunieProtocol)
    server.protocol.input = stdin
    heap.tune()
    server.start_io(stdin=cast(BinaryIO, stdin))
