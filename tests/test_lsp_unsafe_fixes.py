"""ruff's unsafe fixes, offered only once verified (server/unsafe_fixes.py, agent/verify.py):
with the real ruff, ty and pytest, inside the sandbox's wall."""

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types

from punie_lsp.agent import wall
from tests.lsp_helpers import change_doc, open_doc, published, session

pytestmark = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall to show the edited text to the tools",
)

MODULE = """\
CALLS = []


def compute():
    CALLS.append(1)
    return 2


def f():
    x = compute()
    return 1


def append(item, bucket=[]):
    bucket.append(item)
    return bucket
"""
TESTS = """\
from pkg.mod import CALLS, append, f


def test_f_calls_compute():
    f()
    assert CALLS


def test_append_keeps_one_bucket():
    assert append(1) == [1]
    assert append(2) == [1, 2]
"""


def project(tmp: Path) -> Path:
    root = tmp / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n'
        '[tool.pytest.ini_options]\npythonpath = ["."]\n'
        '[tool.ruff.lint]\nselect = ["F", "B"]\n'
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(MODULE)
    (root / "tests" / "test_mod.py").write_text(TESTS)
    return root


async def actions(lsp, uri: str, line: int, character: int) -> list[types.CodeAction]:
    """The actions for the cursor there (0-based)."""
    found = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=character),
                end=types.Position(line=line, character=character),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


async def test_an_unsafe_fix_is_offered_only_when_nothing_gets_worse(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    async with session(tmp_path, root=root, init_options={"debounceMs": 0}) as lsp:
        uri = open_doc(lsp, root / "pkg" / "mod.py")
        await published(lsp, uri, 1)

        async def punie_titles(line: int, character: int) -> list[str]:
            found = await actions(lsp, uri, line, character)
            return [a.title for a in found if "Punie" in a.title]

        # F841 (line 10): removing `x = ` keeps the call; offered once verified.
        offered: list[str] = []
        for _ in range(300):
            if offered := await punie_titles(9, 4):  # on `x`
                break
            await asyncio.sleep(0.1)
        (title,) = offered
        assert "F841" in title and "verified: fixes it, no new problems" in title
        assert "2/2 tests unchanged" in title
        # B006 (line 14): None as the default breaks test_append_keeps_one_bucket: never
        # offered, though ruff has a fix for it.
        assert await punie_titles(13, 24) == []  # on `[]`
        # Once the test expects a fresh default, the same fix is offered there.
        tests = root / "tests" / "test_mod.py"
        tests.write_text(TESTS.replace("assert append(2) == [1, 2]", "assert append(2) == [2]"))
        before[tests] = tests.read_bytes()
        change_doc(lsp, uri, 2, MODULE + "# edited\n")
        await published(lsp, uri, 2)
        for _ in range(300):
            if offered := await punie_titles(13, 24):
                break
            await asyncio.sleep(0.1)
        # The one that relied on the old default failed and passes now: better, not worse.
        (title,) = offered
        assert "B006" in title and "1/2 tests unchanged, 1 now passing" in title
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p in before}
    assert after == before  # verification never wrote the user's files
