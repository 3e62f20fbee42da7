"""Lines counted as Python, the tools and LSP count them (tools/lines.py), and the editor's
changes applied to our copy of a buffer with them (server/edits.apply_change): a form feed,
which str.splitlines and pygls take for a line break, puts nothing a line off."""

import random
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.server.edits import apply_change
from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.ruff import apply_fix, ruff_check_text
from tests.lsp_helpers import (
    FIXTURE,
    PROBLEMS,
    apply_edit,
    editor_edit,
    open_doc,
    published,
    session,
)

PIECES = ["x", "ab", " ", "\n", "\r\n", "\r", "\x0c", "\u2028", "é", "😀", "\x85", "\t"]


def test_lines_break_where_python_and_lsp_break_them() -> None:
    text = "import os\n\x0c\ndef f():\r\n    s = 'a\u2028b'\r    return s"
    assert split_lines(text) == [
        "import os\n", "\x0c\n", "def f():\r\n", "    s = 'a\u2028b'\r", "    return s",
    ]  # fmt: skip
    assert split_lines(text, keepends=False)[1] == "\x0c"
    assert split_lines("") == [] and split_lines("a\n") == ["a\n"]


def test_lines_are_splitlines_where_it_agrees() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = "".join(
            rng.choice([*PIECES[:6], "é", "😀", "\t"]) for _ in range(rng.randint(0, 12))
        )
        for keepends in (True, False):
            assert split_lines(text, keepends) == text.splitlines(keepends)


def test_every_change_lands_where_an_editor_puts_it() -> None:
    """apply_change against the tests' own editor (lsp_helpers.editor_edit) on random texts
    with every kind of line break and wide characters, positions inside, at and past the ends
    of lines and of the text, in each encoding."""
    rng = random.Random(11)
    for encoding in ("utf-16", "utf-8", "utf-32"):
        codec = PositionCodec(encoding)
        for _ in range(700):
            text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14)))
            lines = split_lines(text)
            start, end = (_position(rng, lines, encoding) for _ in range(2))
            if (start.line, start.character) > (end.line, end.character):
                start, end = end, start
            where = types.Range(start=start, end=end)
            new = rng.choice(["", "y", "\n", "😀z", "\x0c\n"])
            change = types.TextDocumentContentChangePartial(range=where, text=new)
            assert apply_change(text, change, codec) == editor_edit(text, where, new, encoding), (
                text,
                where,
            )


def _position(rng: random.Random, lines: list[str], encoding: str) -> types.Position:
    line = rng.randint(0, len(lines) + 1)
    if line >= len(lines):
        return types.Position(line=line, character=rng.randint(0, 3))
    body = lines[line].rstrip("\r\n")
    size = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    cut = rng.randint(0, len(body))  # a character boundary, never inside a surrogate pair
    units = len(body[:cut].encode(codec)) // size
    return types.Position(line=line, character=units + rng.choice([0, 0, 0, 5]))


def test_the_whole_text_replaces_it() -> None:
    change = types.TextDocumentContentChangeWholeDocument(text="new\x0c\n")
    assert apply_change("old\n", change, PositionCodec()) == "new\x0c\n"


def test_ruffs_fix_lands_on_its_row_after_a_form_feed() -> None:
    """An unsafe fix applied by us (tools/ruff.apply_fix, what the unsafe fixes' check
    verifies) against ruff's own --unsafe-fixes on the same text."""
    text = "import os\n\x0c\n\ndef f() -> int:\n    unused = os.sep\n    return 1\n"
    checked = ruff_check_text(text, PROBLEMS)
    fix = next(v.fix for v in checked.violations if v.code == "F841" and v.fix)
    assert fix.applicability == "unsafe"
    argv = [str(Path(sys.executable).parent / "ruff"), "check", "--fix-only", "--exit-zero"]
    argv += ["--unsafe-fixes", "--select", "F841", "--stdin-filename", str(PROBLEMS), "-"]
    theirs = subprocess.run(
        argv, input=text, capture_output=True, text=True, cwd=FIXTURE, check=True
    ).stdout
    assert "unused" not in theirs
    assert apply_fix(text, fix) == theirs


async def test_fix_all_after_an_edit_below_a_form_feed(tmp_path: Path) -> None:
    """The editor types below a form feed, then asks for ruff's fix-all: its edit is computed
    on our copy of the buffer, which must be the editor's text."""
    async with session(tmp_path) as lsp:
        text = "import os\nimport sys\n\x0c\n\ndef f() -> str:\n    return 'a'\n"
        uri = open_doc(lsp, PROBLEMS, text)
        await published(lsp, uri, 1)
        where = types.Range(types.Position(5, 11), types.Position(5, 14))  # 'a'
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(version=2, uri=uri),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=where, text="sys.argv[0]")
                ],
            )
        )
        typed = editor_edit(text, where, "sys.argv[0]")
        assert typed.endswith("    return sys.argv[0]\n")
        await published(lsp, uri, 2)
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
            )
        )
        assert actions is not None
        fix_all = next(a for a in actions if isinstance(a, types.CodeAction))
        if fix_all.edit is None:
            fix_all = await lsp.code_action_resolve_async(fix_all)
        assert fix_all.edit is not None
        assert apply_edit(typed, uri, fix_all.edit) == typed.replace("import os\n", "", 1)
