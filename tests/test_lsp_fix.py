"""The "Punie: fix this" action over LSP (server/model_fixes.py, `punie.fix`): offered on a
ty error, the model's edit verified with the real ty, ruff and pytest, and applied through
workspace/applyEdit only when it verified. The model is scripted here; the real model's
end-to-end test is in tests/test_real_model.py."""

import os
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from punie_lsp import prompt
from punie_lsp.agent import wall
from tests import shapes_project
from tests.lsp_helpers import (
    Client,
    apply_edit,
    change_doc,
    open_doc,
    published,
    session,
    wait_for,
)
from tests.test_fixing import TOTALS, TOTALS_TESTS
from tests.test_lsp_ask import ask, script

pytestmark = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall",
)

MODULE = shapes_project.BROKEN


def project(tmp: Path) -> Path:
    return shapes_project.write(tmp / "project", MODULE)


def edit(new: str) -> str:
    return prompt.tool_call(f'propose_edit("pkg/shapes.py", 2, "{new}")')


async def fix_action(lsp: Client, uri: str, version: int) -> types.CodeAction:
    found = await published(lsp, uri, version)
    (error,) = [d for d in found if d.source == "ty"]
    actions = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=error.range,
            context=types.CodeActionContext(diagnostics=[error]),
        )
    )
    fixes = [a for a in actions or [] if isinstance(a, types.CodeAction)]
    (action,) = [a for a in fixes if str(a.kind) == "quickfix.punie.fix"]
    assert action.edit is None and action.command is not None
    return action


async def run(lsp: Client, action: types.CodeAction) -> dict:
    assert action.command is not None
    done = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments
        )
    )
    assert isinstance(done, dict)
    return done


async def test_a_verified_fix_is_applied_by_the_editor(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    model = script(tmp_path, edit("    return width * height"))
    async with session(tmp_path, root=root, init_options=model) as lsp:
        uri = open_doc(lsp, root / "pkg" / "shapes.py")
        action = await fix_action(lsp, uri, 1)
        assert action.title == "Punie: fix invalid-explicit-return (verified before it is applied)"
        done = await run(lsp, action)
        assert done["offered"] and done["applied"], done["reason"]
        (asked,) = lsp.applied
        assert asked.label is not None
        assert asked.label.startswith("Punie: fix invalid-explicit-return (verified: fixes it")
        assert "1 now passing" in asked.label
        fixed = apply_edit(MODULE, uri, asked.edit)
        assert fixed == MODULE.replace("str(width * height)", "width * height")
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p in before} == before


async def test_an_edit_that_makes_things_worse_is_not_applied(tmp_path: Path) -> None:
    root = project(tmp_path)
    model = script(tmp_path, edit("    return width * heigth"))
    async with session(tmp_path, root=root, init_options=model) as lsp:
        uri = open_doc(lsp, root / "pkg" / "shapes.py")
        done = await run(lsp, await fix_action(lsp, uri, 1))
        assert not done["offered"] and not done["applied"]
        assert done["reason"].startswith("the proposed edit was not offered: fixes it, 2 new")
        assert lsp.applied == []
        # The buffer moved on since the action was listed: asked again, not guessed at.
        action = await fix_action(lsp, uri, 1)
        change_doc(lsp, uri, 2, MODULE + "\n")
        with pytest.raises(JsonRpcException, match="the file changed"):
            await run(lsp, action)
        with pytest.raises(JsonRpcException, match="takes one argument"):
            await lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(command="punie.fix", arguments=[])
            )


async def test_a_failing_tests_fix_goes_to_the_code_it_calls(tmp_path: Path) -> None:
    """The model's run finds a failing test; "Punie: fix test_total" on that finding asks for
    an edit of the code the test calls, and the editor gets it for that file (not open, so
    unversioned), once the test passes with it."""
    root = project(tmp_path)
    (root / "pkg" / "totals.py").write_text(TOTALS)
    (root / "tests" / "test_totals.py").write_text(TOTALS_TESTS)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    run_tests = prompt.tool_call('print(pytest_run("tests/test_totals.py").failed)')
    fix_reply = prompt.tool_call('propose_edit("pkg/totals.py", 4, "        result += value")')
    model = script(tmp_path, run_tests, fix_reply)
    async with session(tmp_path, root=root, init_options=model) as lsp:
        uri = open_doc(lsp, root / "tests" / "test_totals.py")
        await published(lsp, uri, 1)
        await ask(lsp, "Which tests fail in tests/test_totals.py?")
        await wait_for(lambda: any(d.source == "punie" for d in lsp.diagnostics[uri]), 30)
        (failing,) = [d for d in lsp.diagnostics[uri] if d.source == "punie"]
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=failing.range,
                context=types.CodeActionContext(diagnostics=[failing]),
            )
        )
        (action,) = [
            a for a in actions or []
            if isinstance(a, types.CodeAction) and str(a.kind) == "quickfix.punie.fix"
        ]  # fmt: skip
        assert action.title == "Punie: fix test_total (verified before it is applied)"
        done = await run(lsp, action)
        assert done["offered"] and done["applied"], done["reason"]
        (asked,) = lsp.applied
        assert asked.label is not None and asked.label.startswith("Punie: fix test_total (verified")
        totals = (root / "pkg" / "totals.py").resolve().as_uri()
        assert apply_edit(TOTALS, totals, asked.edit) == TOTALS.replace("value * 2", "value")
        for change in asked.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.version is None  # the editor has not opened it
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p in before} == before
