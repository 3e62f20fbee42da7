"""End to end: `punie-lsp serve` over stdio, driven by pytest-lsp, against the real ruff and ty."""

from pathlib import Path

from lsprotocol import types

from tests.lsp_helpers import (
    PROBLEMS,
    change_doc,
    expected_from_executables,
    key,
    open_doc,
    published,
    session,
)


async def test_push_diagnostics_match_the_executables(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        found = await published(lsp, uri, 1)
        assert {key(d) for d in found} == expected_from_executables(PROBLEMS, text)
        assert len(found) == len({key(d) for d in found})  # nothing reported twice
        by_code = {d.code: d for d in found}
        unused = by_code["F401"]
        assert unused.source == "ruff"
        assert unused.severity == types.DiagnosticSeverity.Warning
        assert unused.code_description is not None
        assert unused.code_description.href.endswith("/unused-import")
        assert types.DiagnosticTag.Unnecessary in (unused.tags or [])
        wrong_return = by_code["invalid-explicit-return"]
        assert wrong_return.source == "ty"
        assert wrong_return.severity == types.DiagnosticSeverity.Error
        assert wrong_return.code_description is not None


async def test_emoji_columns_are_utf16(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        found = await published(lsp, uri, 1)
        line = PROBLEMS.read_text(encoding="utf-8").splitlines()[16]
        column = line.index("undefined_name")  # code points
        on_line = {d.source: d for d in found if d.range.start.line == 16}
        assert set(on_line) == {"ruff", "ty"}
        for d in on_line.values():
            # "😀" is one code point but two UTF-16 units.
            assert d.range.start.character == column + 1
            assert d.range.end.character == column + 1 + len("undefined_name")


async def test_edit_gives_the_new_set_for_the_new_version(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        fixed = text.replace("import sys\n", "").replace("return name.upper()", "return 1")
        change_doc(lsp, uri, 2, fixed)
        found = await published(lsp, uri, 2)
        codes = {d.code for d in found}
        assert "F401" not in codes and "invalid-explicit-return" not in codes
        assert "invalid-argument-type" in codes  # still there, on a moved line
        moved = next(d for d in found if d.code == "invalid-argument-type")
        assert moved.range.start.line == 11


async def test_pull_diagnostics_for_a_pull_client(tmp_path: Path) -> None:
    async with session(tmp_path, client="neovim@v0.11.0") as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        report = await lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert lsp.encoding == "utf-8"  # Neovim offers it first; columns count bytes then
        expected = expected_from_executables(PROBLEMS, text, lsp.encoding)
        assert {key(d) for d in report.items} == expected
        assert uri not in lsp.diagnostics  # a pull client is not also pushed to


async def test_close_clears_diagnostics(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        assert await published(lsp, uri, 1)
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
        )
        assert await published(lsp, uri, None) == []
        assert not lsp.published[-1].diagnostics
