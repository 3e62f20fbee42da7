"""Code actions: ruff's quick fixes, `# noqa`, fix-all and organize imports.

Quick fixes are rebuilt from the fix that travels in `Diagnostic.data`. Fix-all and
organize-imports need a ruff run each, so they are offered without an edit and computed in
`codeAction/resolve` when the client can resolve edits. The server never writes a file: every
action is a WorkspaceEdit for the editor to apply.
"""

import re
from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.server.diagnostics import Snapshot
from punie_lsp.server.positions import range_from_json, whole_document
from punie_lsp.server.settings import Settings
from punie_lsp.tools import ToolError, ruff_fix_text

FIX_ALL = "source.fixAll.ruff"
ORGANIZE_IMPORTS = "source.organizeImports.ruff"
KINDS = [types.CodeActionKind.QuickFix, FIX_ALL, ORGANIZE_IMPORTS]

_SOURCE_ACTIONS = {
    FIX_ALL: ("Ruff: Fix all auto-fixable problems", None),
    ORGANIZE_IMPORTS: ("Ruff: Organize imports", ["I001"]),
}


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for `source.fixAll` includes `source.fixAll.ruff`."""
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


def quick_fixes(
    snap: Snapshot,
    diagnostics: Sequence[types.Diagnostic],
    codec: PositionCodec,
    versioned: bool,
) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    for d in diagnostics:
        data = d.data
        # Only our own ruff diagnostics, and only for the text they were computed on.
        if d.source != "ruff" or not isinstance(data, dict) or data.get("version") != snap.version:
            continue
        code = data.get("code", d.code)
        fix = data.get("fix")
        if isinstance(fix, dict) and fix.get("applicability") == "safe":
            edits = [
                types.TextEdit(range=range_from_json(e["range"]), new_text=e["newText"])
                for e in fix["edits"]
            ]
            actions.append(
                types.CodeAction(
                    title=f"Ruff ({code}): {fix['title']}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    edit=_edit(snap, edits, versioned),
                    is_preferred=True,
                )
            )
        if isinstance(data.get("noqaRow"), int) and code != "invalid-syntax":
            edit = _noqa_edit(snap, codec, data["noqaRow"] - 1, str(code))
            if edit is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Ruff ({code}): Disable for this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[d],
                        edit=_edit(snap, [edit], versioned),
                    )
                )
    return actions


def source_actions(snap: Snapshot, only: Sequence[str] | None) -> list[types.CodeAction]:
    """Fix-all and organize imports, still without their edit (see resolve)."""
    return [
        types.CodeAction(
            title=title,
            kind=kind,
            data={"uri": snap.uri, "version": snap.version, "kind": kind},
        )
        for kind, (title, _) in _SOURCE_ACTIONS.items()
        if wanted(kind, only)
    ]


def resolve(
    action: types.CodeAction,
    snap: Snapshot,
    codec: PositionCodec,
    settings: Settings,
    versioned: bool,
) -> types.CodeAction:
    """Fill in a source action's edit by running ruff's fixer on the buffer's text.

    An action for an older version, or one whose fix changes nothing, resolves to no edit.
    """
    data: Any = action.data
    if not isinstance(data, dict) or data.get("kind") not in _SOURCE_ACTIONS:
        return action
    if data.get("version") != snap.version:
        return action
    _, select = _SOURCE_ACTIONS[data["kind"]]
    try:
        fixed = ruff_fix_text(
            snap.text,
            snap.path,
            select=select,
            executable=settings.ruff_path,
            timeout=settings.tool_timeout,
        )
    except ToolError:
        return action  # the diagnostics path already told the user what is wrong with ruff
    if fixed == snap.text:
        return action
    edit = types.TextEdit(range=whole_document(codec, snap.lines), new_text=fixed)
    action.edit = _edit(snap, [edit], versioned)
    return action


def _edit(snap: Snapshot, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    """A versioned edit where the client takes one (it refuses it if the buffer moved on)."""
    if not versioned:
        return types.WorkspaceEdit(changes={snap.uri: list(edits)})
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=snap.uri, version=snap.version
                ),
                edits=list(edits),
            )
        ]
    )


_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


def _noqa_edit(snap: Snapshot, codec: PositionCodec, line: int, code: str) -> types.TextEdit | None:
    if not 0 <= line < len(snap.lines):
        return None
    text = snap.lines[line].rstrip("\r\n")
    match = _NOQA.search(text)
    if match is None:
        new = f"{text}  # noqa: {code}"
    elif match.group("codes"):
        new = text[: match.end()] + f", {code}" + text[match.end() :]
    else:
        return None  # a bare noqa comment already silences every rule on the line
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=line, character=0),
            end=types.Position(line=line, character=codec.client_num_units(text)),
        ),
        new_text=new,
    )
