"""ruff's code actions: quick fixes, `# noqa`, fix-all and organize imports.

Quick fixes are rebuilt from the fix that travels in `Diagnostic.data`. Fix-all and
organize-imports need a ruff run each, so they are offered without an edit and computed in
`codeAction/resolve` when the client can resolve edits. The server never writes a file: every
action is a WorkspaceEdit for the editor to apply.
"""

import re

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.server.code_actions import ActionContext, edit
from punie_lsp.server.diagnostic_data import ResolveData, RuffDiagnosticData
from punie_lsp.server.diagnostics import Snapshot
from punie_lsp.server.positions import range_from_json, whole_document
from punie_lsp.tools import ToolError, ruff_fix_text

FIX_ALL = "source.fixAll.ruff"
ORGANIZE_IMPORTS = "source.organizeImports.ruff"
KINDS = [types.CodeActionKind.QuickFix.value, FIX_ALL, ORGANIZE_IMPORTS]

_SOURCE_ACTIONS = {
    FIX_ALL: ("Ruff: Fix all auto-fixable problems", None),
    ORGANIZE_IMPORTS: ("Ruff: Organize imports", ["I001"]),
}


def actions(context: ActionContext) -> list[types.CodeAction]:
    if not context.session.settings.sources.ruff:
        return []
    found = quick_fixes(context) if context.wants(types.CodeActionKind.QuickFix.value) else []
    return found + source_actions(context)


def quick_fixes(context: ActionContext) -> list[types.CodeAction]:
    snap, codec = context.snap, context.session.codec
    versioned = context.session.capabilities.versioned_edits
    found: list[types.CodeAction] = []
    for d in context.diagnostics:
        data = RuffDiagnosticData.read(d.data)
        # Only our own ruff diagnostics, and only for the text they were computed on.
        if d.source != "ruff" or data is None or data.version != snap.version:
            continue
        code = data.code if data.code is not None else d.code
        if data.fix is not None:
            edits = [
                types.TextEdit(range=range_from_json(e["range"]), new_text=e["newText"])
                for e in data.fix.edits
            ]
            found.append(
                types.CodeAction(
                    title=f"Ruff ({code}): {data.fix.title}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    edit=edit(snap, edits, versioned),
                    is_preferred=True,
                )
            )
        if data.noqa_row is not None and code != "invalid-syntax":
            noqa = _noqa_edit(snap, codec, data.noqa_row - 1, str(code))
            if noqa is not None:
                found.append(
                    types.CodeAction(
                        title=f"Ruff ({code}): Disable for this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[d],
                        edit=edit(snap, [noqa], versioned),
                    )
                )
    return found


def source_actions(context: ActionContext) -> list[types.CodeAction]:
    """Fix-all and organize imports, still without their edit (see resolve)."""
    snap = context.snap
    return [
        types.CodeAction(
            title=title,
            kind=kind,
            data=ResolveData(uri=snap.uri, version=snap.version, kind=kind).write(),
        )
        for kind, (title, _) in _SOURCE_ACTIONS.items()
        if context.wants(kind)
    ]


def resolve(action: types.CodeAction, context: ActionContext) -> types.CodeAction:
    """Fill in a source action's edit by running ruff's fixer on the buffer's text.

    An action for an older version, or one whose fix changes nothing, resolves to no edit.
    """
    snap, settings = context.snap, context.session.settings
    data = ResolveData.read(action.data)
    if data is None or data.kind not in _SOURCE_ACTIONS or data.version != snap.version:
        return action
    _, select = _SOURCE_ACTIONS[data.kind]
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
    whole = types.TextEdit(range=whole_document(context.session.codec, snap.lines), new_text=fixed)
    action.edit = edit(snap, [whole], context.session.capabilities.versioned_edits)
    return action


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
