"""The "Punie: fix this" action: the model proposes an edit for a ty error, a ruff violation
that ruff cannot fix safely, or a failing test the model's run found; the `punie.fix` command
verifies it (agent/fixing.py) and asks the editor to apply it only when it fixes the
diagnostic (for a failing test: the test passes) and makes nothing worse.

The action carries no edit: the edit is not known until the model has written it and the
tools have checked it, which takes seconds, too long for a code action list. It is offered
where the tools can check the fix again: ty's and ruff's own diagnostics, by rule, and the
model's findings of failing tests, by the test's name.
"""

from lsprotocol import types

from punie_lsp.server import findings
from punie_lsp.server.code_actions import ActionContext
from punie_lsp.server.commands import Command
from punie_lsp.server.diagnostic_data import FindingData, RuffDiagnosticData

FIX = "quickfix.punie.fix"
KINDS = [FIX]
MOST = 3  # diagnostics under the cursor given an action; more would crowd the menu


def fixable(diagnostic: types.Diagnostic) -> tuple[str, str] | None:
    """(source, code) for the fix of a ty error, a ruff violation with no safe fix of its own
    or a failing test; None for anything else."""
    if not diagnostic.code:
        return None
    if diagnostic.source == "ty":
        return "ty", str(diagnostic.code)
    if diagnostic.source == "ruff":
        data = RuffDiagnosticData.read(diagnostic.data)
        return ("ruff", str(diagnostic.code)) if data is not None and data.fix is None else None
    if diagnostic.source == findings.SOURCE:
        found = FindingData.read(diagnostic.data)
        if found is not None and found.source == "pytest" and found.code:
            return "pytest", found.code
    return None


def actions(context: ActionContext) -> list[types.CodeAction]:
    if not context.model_on or not context.wants(FIX):
        return []
    snap = context.snap
    if not snap.path.resolve().is_relative_to(context.root):
        return []
    tagged = context.session.capabilities.llm_tags
    found = []
    for d, (source, code) in [(d, f) for d in context.diagnostics if (f := fixable(d))][:MOST]:
        argument = {
            "uri": snap.uri,
            "version": snap.version,
            "line": d.range.start.line,
            "source": source,
            "code": code,
            "message": d.message,
        }
        title = f"Punie: fix {code} (verified before it is applied)"
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
