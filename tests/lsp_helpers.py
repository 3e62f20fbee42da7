"""Helpers for driving `punie-lsp serve` with pytest-lsp: sessions, waiting, applying edits."""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

FIXTURE = Path(__file__).parent / "fixtures" / "project"
PROBLEMS = FIXTURE / "pkg" / "problems.py"
BIN = Path(sys.executable).parent


def server_env(tmp: Path, path: str | None = None) -> dict[str, str]:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp / "state"))
    if path is not None:
        env["PATH"] = path
    return env


class Client(LanguageClient):
    """pytest-lsp's client, also keeping every publishDiagnostics with its version."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.versions: dict[str, int | None] = {}
        self.encoding = "utf-16"  # what the server negotiated
        self.statuses: list[dict[str, Any]] = []  # punie/status notifications
        self.applied: list[types.ApplyWorkspaceEditParams] = []  # workspace/applyEdit asks


def _on_publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    assert isinstance(client, Client)
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics
    client.versions[params.uri] = params.version


def _on_status(client: LanguageClient, params: Any) -> None:
    assert isinstance(client, Client)
    # pygls reads the params of a method it has no type for into a namedtuple.
    client.statuses.append(params if isinstance(params, dict) else params._asdict())


def _on_apply_edit(
    client: LanguageClient, params: types.ApplyWorkspaceEditParams
) -> types.ApplyWorkspaceEditResult:
    """An editor that applies what it is asked to (the test applies it to its own text)."""
    assert isinstance(client, Client)
    client.applied.append(params)
    return types.ApplyWorkspaceEditResult(applied=True)


def _command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
    """lsprotocol reads any action with a `command` as a Command, losing its kind; the
    spec's test is whether `command` is a string (a Command) or an object (a CodeAction)."""
    converter = default_converter()
    if isinstance(obj.get("command"), str):
        return converter.structure(obj, types.Command)
    return converter.structure(obj, types.CodeAction)


def _make_client() -> Client:
    client = Client()
    client.protocol._converter.register_structure_hook(
        types.Command | types.CodeAction, _command_or_action
    )
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _on_publish
    register_lsp_features(client, features)
    client.feature("punie/status")(_on_status)
    client.feature(types.WORKSPACE_APPLY_EDIT)(_on_apply_edit)
    return client


@contextlib.asynccontextmanager
async def session(
    tmp: Path,
    *,
    client: str = "visual-studio-code",
    init_options: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    root: Path = FIXTURE,
    capabilities: types.ClientCapabilities | None = None,
) -> AsyncGenerator[Client]:
    """A started and initialized client talking to a fresh `punie-lsp serve`."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "punie_lsp", "serve"],
        server_env=env or server_env(tmp),
        client_factory=_make_client,
    )
    lsp = await config.start()
    assert isinstance(lsp, Client)
    if configuration is not None:
        lsp.set_configuration(configuration, section="punie")
    result = await lsp.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities(client),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="fixture")],
            # The model stays off unless a test asks for it: loading it costs seconds of CPU.
            initialization_options={"model": {"enabled": False}, **(init_options or {})},
        )
    )
    encoding = result.capabilities.position_encoding or "utf-16"
    lsp.encoding = encoding.value if isinstance(encoding, types.PositionEncodingKind) else encoding
    try:
        yield lsp
    finally:
        await lsp.shutdown_session()
        await lsp.stop()


def open_doc(lsp: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def change_doc(lsp: LanguageClient, uri: str, version: int, text: str) -> None:
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until predicate holds; a test fails on the timeout, it never measures speed."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def published(
    lsp: Client, uri: str, version: int | None, timeout: float = 30.0
) -> list[types.Diagnostic]:
    """Diagnostics pushed for uri at exactly this version (None: the clearing on close)."""
    await wait_for(lambda: uri in lsp.versions and lsp.versions[uri] == version, timeout)
    return list(lsp.diagnostics[uri])


def key(d: types.Diagnostic) -> tuple[str, str, int, int, int, int]:
    r = d.range
    return (
        str(d.source),
        str(d.code),
        r.start.line,
        r.start.character,
        r.end.line,
        r.end.character,
    )


def units(line: str, codepoint_column: int, encoding: str = "utf-16") -> int:
    """A 0-based code-point column in the negotiated LSP position encoding."""
    prefix = line[:codepoint_column]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    if encoding == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def expected_from_executables(
    path: Path, text: str, encoding: str = "utf-16"
) -> set[tuple[str, str, int, int, int, int]]:
    """What the ruff and ty executables themselves report for text saved as path.

    ty has no stdin mode, so this reads the file on disk: call it with the saved text.
    """
    lines = text.splitlines()
    root = FIXTURE
    ruff = subprocess.run(
        [BIN / "ruff", "check", "--output-format", "json", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
    )
    found = set()
    for item in json.loads(ruff.stdout):
        (r1, c1), (r2, c2) = (
            (item["location"]["row"], item["location"]["column"]),
            (item["end_location"]["row"], item["end_location"]["column"]),
        )
        found.add(_key("ruff", item["code"], lines, encoding, r1, c1, r2, c2))
    ty = subprocess.run(
        [BIN / "ty", "check", "--output-format", "gitlab", str(path.relative_to(root))],
        capture_output=True,
        text=True,
        cwd=root,
    )
    for item in json.loads(ty.stdout):
        begin = item["location"]["positions"]["begin"]
        end = item["location"]["positions"]["end"]
        found.add(
            _key(
                "ty",
                item["check_name"],
                lines,
                encoding,
                begin["line"],
                begin["column"],
                end["line"],
                end["column"],
            )
        )
    return found


def _key(
    source: str, code: str, lines: list[str], encoding: str, r1: int, c1: int, r2: int, c2: int
) -> tuple[str, str, int, int, int, int]:
    def col(row: int, column: int) -> int:
        return units(lines[row - 1], column - 1, encoding) if row - 1 < len(lines) else column - 1

    return (source, code, r1 - 1, col(r1, c1), r2 - 1, col(r2, c2))


def apply_edit(text: str, uri: str, edit: types.WorkspaceEdit) -> str:
    """Apply a WorkspaceEdit to text the way an editor would (UTF-16 positions)."""
    edits: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    edits.extend((edit.changes or {}).get(uri, []))
    for e in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = editor_edit(text, e.range, e.new_text)
    return text


def editor_offset(text: str, position: types.Position, encoding: str = "utf-16") -> int:
    """Where an LSP position falls in text, as an editor reads it, written apart from the
    server's code: lines end at \n, \r\n or \r only; a column counts the encoding's units
    and stops at the line's end; a line past the last is the text's end."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
    body = text[start:end].rstrip("\r\n")
    codec, size = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}[
        encoding
    ]
    units = 0
    for i, char in enumerate(body):
        if units >= position.character:
            return start + i
        units += len(char.encode(codec)) // size
    return start + len(body)


def editor_edit(text: str, where: types.Range, new: str, encoding: str = "utf-16") -> str:
    """text with the range replaced, as an editor applies an edit (editor_offset)."""
    start = editor_offset(text, where.start, encoding)
    end = max(start, editor_offset(text, where.end, encoding))
    return text[:start] + new + text[end:]
