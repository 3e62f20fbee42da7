"""Code actions answered by the model: each runs `punie.ask` with a question."""

from lsprotocol import types

from punie_lsp.server.code_actions import ActionContext
from punie_lsp.server.commands import Command

EXPLAIN = "quickfix.punie.explain"
CHECK_TYPES = "source.punie.checkTypes"
RUN_TESTS = "source.punie.runTests"
KINDS = [EXPLAIN, CHECK_TYPES, RUN_TESTS]


def actions(context: ActionContext) -> list[types.CodeAction]:
    if not context.model_on:
        return []
    uri, root = context.snap.uri, context.root
    path = context.snap.path.resolve()
    tagged = context.session.capabilities.llm_tags
    selection = context.range
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    found: list[types.CodeAction] = []
    if context.wants(EXPLAIN):
        for d in context.diagnostics[:3]:  # the ones under the cursor; more would crowd the menu
            code = f" [{d.code}]" if d.code else ""
            question = f"Explain this problem{code}: {d.message}"
            # A ruff or ty rule is explained from its documentation, with no model.
            rule = str(d.code) if d.code and d.source in ("ruff", "ty") else None
            found.append(_action(f"Punie: explain {d.code or 'this problem'}", EXPLAIN,
                                 question, uri, d.range, tagged, [d], rule))  # fmt: skip
    if context.wants(CHECK_TYPES):
        found.append(_action("Punie: check types in this file", CHECK_TYPES,
                             f"Check types in {shown}.", uri, selection, tagged))  # fmt: skip
    if context.wants(RUN_TESTS):
        test_file = path.name.startswith("test_") or path.name.endswith("_test.py")
        question = f"Run the tests in {shown}." if test_file else f"Run the tests for {shown}."
        found.append(_action("Punie: run the tests for this file", RUN_TESTS,
                             question, uri, selection, tagged))  # fmt: skip
    return found


def _action(
    title: str,
    kind: str,
    question: str,
    uri: str,
    where: types.Range,
    tagged: bool,
    diagnostics: list[types.Diagnostic] | None = None,
    rule: str | None = None,
) -> types.CodeAction:
    argument: dict[str, object] = {
        "question": question,
        "uri": uri,
        "range": {
            "start": {"line": where.start.line, "character": where.start.character},
            "end": {"line": where.end.line, "character": where.end.character},
        },
    }
    if rule is not None:
        argument["rule"] = rule
    return types.CodeAction(
        title=title,
        kind=kind,
        diagnostics=diagnostics,
        command=types.Command(title=title, command=Command.ASK.value, arguments=[argument]),
        tags=[types.CodeActionTag.LlmGenerated] if tagged else None,
    )
