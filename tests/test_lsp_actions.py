"""Code actions end to end: ruff's quick fixes, noqa, fix-all and organize imports."""

import subprocess
from pathlib import Path

from lsprotocol import types

from tests.lsp_helpers import BIN, FIXTURE, PROBLEMS, apply_edit, open_doc, published, session


def ruff_fixed(text: str, *extra: str) -> str:
    """What `ruff check --fix` itself makes of text."""
    stdin_args = ["--stdin-filename", str(PROBLEMS), "-"]
    done = subprocess.run(
        [BIN / "ruff", "check", "--fix-only", "--exit-zero", *extra, *stdin_args],
        input=text,
        capture_output=True,
        text=True,
        cwd=FIXTURE,
        check=True,
    )
    return done.stdout


def context(diagnostics: list[types.Diagnostic], only: list[str] | None = None):
    return types.CodeActionContext(diagnostics=diagnostics, only=only)


def request(uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None):
    line = (
        diagnostics[0].range
        if diagnostics
        else types.Range(types.Position(0, 0), types.Position(0, 0))
    )
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=line,
        context=context(diagnostics, only),
    )


async def test_quick_fix_applies_ruffs_own_fix(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        found = await published(lsp, uri, 1)
        unused = next(d for d in found if d.code == "F401")
        actions = await lsp.text_document_code_action_async(request(uri, [unused]))
        assert actions is not None
        fixes = [a for a in actions if isinstance(a, types.CodeAction) and a.is_preferred]
        assert [a.title for a in fixes] == ["Ruff (F401): Remove unused import: `sys`"]
        assert fixes[0].kind == types.CodeActionKind.QuickFix
        assert fixes[0].edit is not None
        assert apply_edit(text, uri, fixes[0].edit) == text.replace("import sys\n", "", 1)


async def test_unfixable_diagnostic_gets_only_noqa(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        found = await published(lsp, uri, 1)
        undefined = next(d for d in found if d.code == "F821")
        actions = await lsp.text_document_code_action_async(
            request(uri, [undefined], only=[types.CodeActionKind.QuickFix])
        )
        assert actions is not None
        assert [a.title for a in actions] == ["Ruff (F821): Disable for this line"]
        action = actions[0]
        assert isinstance(action, types.CodeAction) and action.edit is not None
        after = apply_edit(text, uri, action.edit).splitlines()
        assert after[16] == text.splitlines()[16] + "  # noqa: F821"


async def test_fix_all_and_organize_imports_through_resolve(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        actions = await lsp.text_document_code_action_async(
            request(uri, [], only=[types.CodeActionKind.Source])
        )
        assert actions is not None
        by_kind = {a.kind: a for a in actions if isinstance(a, types.CodeAction)}
        assert set(by_kind) == {"source.fixAll.ruff", "source.organizeImports.ruff"}
        # VS Code resolves edits lazily, so the list comes back without them.
        assert all(a.edit is None for a in by_kind.values())

        fix_all = await lsp.code_action_resolve_async(by_kind["source.fixAll.ruff"])
        assert fix_all.edit is not None
        assert apply_edit(text, uri, fix_all.edit) == ruff_fixed(text)

        organize = await lsp.code_action_resolve_async(by_kind["source.organizeImports.ruff"])
        assert organize.edit is not None
        organized = apply_edit(text, uri, organize.edit)
        assert organized == ruff_fixed(text, "--select", "I001")
        assert organized.startswith("import os\nimport sys\n")


async def test_source_actions_come_with_edits_for_clients_without_resolve(tmp_path: Path) -> None:
    async with session(tmp_path, client="emacs") as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        actions = await lsp.text_document_code_action_async(
            request(uri, [], only=["source.fixAll"])
        )
        assert actions is not None and len(actions) == 1
        fix_all = actions[0]
        assert isinstance(fix_all, types.CodeAction) and fix_all.edit is not None
        assert apply_edit(text, uri, fix_all.edit) == ruff_fixed(text)


async def test_clean_file_offers_no_source_edit(tmp_path: Path) -> None:
    async with session(tmp_path, client="emacs") as lsp:
        clean = FIXTURE / "pkg" / "helpers.py"
        uri = open_doc(lsp, clean)
        await published(lsp, uri, 1)
        actions = await lsp.text_document_code_action_async(request(uri, []))
        assert actions is not None and list(actions) == []


async def test_stale_diagnostic_gives_no_fix(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        found = await published(lsp, uri, 1)
        unused = next(d for d in found if d.code == "F401")
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(version=2, uri=uri),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="\n" + text)],
            )
        )
        # The fix in the old diagnostic's data points at lines that have moved.
        actions = await lsp.text_document_code_action_async(
            request(uri, [unused], only=[types.CodeActionKind.QuickFix])
        )
        assert actions is not None and list(actions) == []
