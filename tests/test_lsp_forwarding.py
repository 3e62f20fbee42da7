"""ty's and ruff's own language features through punie-lsp (server/forwarding.py): what a user
of their servers keeps, on the buffer's current text, answered by the real executables."""

from pathlib import Path

from lsprotocol import types

from tests.lsp_helpers import FIXTURE, PROBLEMS, change_doc, open_doc, published, session

HELPERS = FIXTURE / "pkg" / "helpers.py"


def at(uri: str, line: int, character: int) -> types.TextDocumentPositionParams:
    return types.TextDocumentPositionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
    )


async def test_hover_definition_references_and_rename(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        await published(lsp, uri, 1)
        use = at(uri, 12, 26)  # `double` in `sum(items) + double("2")`
        hover = await lsp.text_document_hover_async(types.HoverParams(**_fields(use)))
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "def double(n: int) -> int" in hover.contents.value
        found = await lsp.text_document_definition_async(types.DefinitionParams(**_fields(use)))
        targets = found if isinstance(found, list) else [found]
        uris = {getattr(t, "target_uri", None) or getattr(t, "uri", None) for t in targets}
        assert uris == {HELPERS.as_uri()}
        refs = await lsp.text_document_references_async(
            types.ReferenceParams(
                **_fields(use), context=types.ReferenceContext(include_declaration=True)
            )
        )
        assert refs is not None
        assert {(r.uri, r.range.start.line) for r in refs} >= {(uri, 4), (uri, 12)}
        rename = await lsp.text_document_rename_async(
            types.RenameParams(**_fields(use), new_name="twice")
        )
        assert rename is not None  # an edit for the editor to apply; no file is written
        assert PROBLEMS.read_text(encoding="utf-8").count("double") == 2


async def test_completion_follows_the_unsaved_buffer(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        # Typed, not saved: the child sees this version before it is asked.
        edited = text.replace("    return name.upper()", "    return name.upp")
        change_doc(lsp, uri, 2, edited)
        line = edited.splitlines().index("    return name.upp")
        items = await lsp.text_document_completion_async(
            types.CompletionParams(**_fields(at(uri, line, len("    return name.upp"))))
        )
        assert items is not None
        listed = items.items if isinstance(items, types.CompletionList) else items
        labels = {i.label for i in listed}
        assert "upper" in labels


async def test_formatting_from_ruff(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        await published(lsp, uri, 1)
        edits = await lsp.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                options=types.FormattingOptions(tab_size=4, insert_spaces=True),
            )
        )
        assert edits, "ruff format splits the `a; b` line of the fixture"
        assert any("unused = os.sep" in e.new_text for e in edits)


def _fields(position: types.TextDocumentPositionParams) -> dict:
    return {"text_document": position.text_document, "position": position.position}
