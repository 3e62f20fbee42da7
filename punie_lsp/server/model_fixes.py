"""The "Punie: fix this" action: the model proposes an edit for a ty error or a ruff
violation that ruff cannot fix safely; the `punie.fix` command verifies it (agent/fixing.py)
and asks the editor to apply it only when it fixes the diagnostic and makes nothing worse.

The action carries no edit: the edit is not known until the model has written it and the
tools have checked it, which takes seconds, too long for a code action list. It is offered
on ty's and ruff's own diagnostics only, where the code names a rule the tools check again.
"""

from lsprotocol import types

from punie_lsp.server.code_actions import ActionContext
from punie_lsp.server.commands import Command
from punie_lsp.server.diagnostic_data import RuffDiagnosticData

FIX = "quickfix.punie.fix"
KINDS = [FIX]
MOST = 3  # diagnostics under the cursor given an action; more would crowd the menu


def fixable(diagnostic: types.Diagnostic) -> bool:
    """A ty error, or a ruff violation with no safe fix of its own."""
    if not diagnostic.code:
        return False
    if diagnostic.source == "ty":
        return True
    data = RuffDiagnosticData.read(diagnostic.data)
    return diagnostic.source == "ruff" and data is not None and data.fix is None


def actions(context: ActionContext) -> list[types.CodeAction]:
    if not context.model_on or not context.wants(FIX):
        return []
    snap = context.snap
    if not snap.path.resolve().is_relative_to(context.root):
        return []
    tagged = context.session.capabilities.llm_tags
    found = []
    for d in [d for d in context.diagnostics if fixable(d)][:MOST]:
        argument = {
            "uri": snap.uri,
            "version": snap.version,
            "line": d.range.start.line,
            "source": d.source,
            "code": str(d.code),
            "message": d.message,
        }
        title = f"Punie: fix {d.code} (verified before it is applied)"
        found.append(
            types.CodeAction(
                title=title,
                kind=FIX,
                diagnostics=[d],
                command=types.Command(title=title, command=Command.FIX.value, arguments=[argument]),
                tags=[types.CodeActionTag.LlmGenerated] if tagged else None,
            )
        )
    return found
