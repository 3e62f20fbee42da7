"""The editor's ranged changes forwarded to ruff's and ty's servers (server/edits.py): the
children end up with the buffer the editor has, whether they get the ranges or, having
fallen too far behind, the whole text."""

from pathlib import Path

import pytest
from lsprotocol import types

from punie_lsp.server.edits import KEEP, EditLog
from tests.lsp_helpers import PROBLEMS, Client, key, open_doc, published, session, units


def _insert(line: int, character: int, text: str) -> types.TextDocumentContentChangePartial:
    at = types.Position(line, character)
    return types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)


def test_the_changes_since_a_version_chain_in_order() -> None:
    log = EditLog()
    log.opened("u", 1)
    for version in range(2, 6):
        log.changed("u", version, [_insert(0, version, str(version))])
    texts = [c.text for c in log.since("u", 1, 5) or []]
    assert texts == ["2", "3", "4", "5"]
    assert [c.text for c in log.since("u", 3, 4) or []] == ["4"]
    assert log.since("u", 5, 5) is None  # nothing to send
    assert log.since("u", 2, 9) is None  # a version not seen yet
    assert log.since("u", 0, 5) is None  # a version from before the buffer was opened


def test_a_reopened_or_long_behind_buffer_gets_no_ranges() -> None:
    log = EditLog()
    log.opened("u", 1)
    for version in range(2, KEEP + 10):
        log.changed("u", version, [_insert(0, 0, "x")])
    last = KEEP + 9
    assert log.since("u", 1, last) is None  # its first changes were dropped
    assert log.since("u", last - KEEP, last) is not None  # the oldest kept chain
    assert log.since("u", last - KEEP - 1, last) is None
    log.opened("u", 100)
    assert log.since("u", last, 101) is None
    log.closed("u")
    assert log.since("u", 100, 101) is None
    log.changed("never-opened", 2, [_insert(0, 0, "x")])
    assert log.since("never-opened", 1, 2) is None


def _type(text: str, line: int, column: int, typed: str, encoding: str):
    """One change per keystroke typing `typed` at a code-point column of a line: the
    changes, and the text after them."""
    lines = text.split("\n")
    changes = []
    for i, char in enumerate(typed):
        changes.append(_insert(line, units(lines[line], column + i, encoding), char))
        lines[line] = lines[line][: column + i] + char + lines[line][column + i :]
    return changes, "\n".join(lines)


def _delete_line(text: str, line: int) -> tuple[types.TextDocumentContentChangePartial, str]:
    lines = text.splitlines(keepends=True)
    gone = types.Range(types.Position(line, 0), types.Position(line + 1, 0))
    return types.TextDocumentContentChangePartial(range=gone, text=""), "".join(
        lines[:line] + lines[line + 1 :]
    )


@pytest.mark.parametrize(
    ("client", "keystrokes"),
    [("visual-studio-code", "late = undefined_name + 1"), ("neovim@v0.11.0", "x" * (KEEP + 5))],
    ids=["utf-16, ranges", "utf-8, too far behind: whole text"],
)
async def test_the_children_see_what_the_editor_has(
    tmp_path: Path, client: str, keystrokes: str
) -> None:
    # A long debounce: the children are synced once after all the keystrokes.
    async with session(tmp_path, client=client, init_options={"debounceMs": 500}) as lsp:
        text = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, text)
        await _diagnostics(lsp, uri, 1)  # the children now know version 1
        emoji_line = next(i for i, line in enumerate(text.splitlines()) if "😀" in line)
        column = text.splitlines()[emoji_line].index("😀") + 1
        changes, text = _type(text, emoji_line, column, " # " + keystrokes[:3], lsp.encoding)
        deletion, text = _delete_line(text, 0)
        changes.append(deletion)
        assert text.endswith("\n")
        typed, text = _type(text, text.count("\n"), 0, keystrokes, lsp.encoding)
        changes += typed
        for version, change in enumerate(changes, start=2):
            lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
                )
            )
        last = len(changes) + 1
        ranged = await _diagnostics(lsp, uri, last)
        # The same text opened afresh is sent whole: the children must say the same.
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        )
        open_doc(lsp, PROBLEMS, text, version=last + 1)
        whole = await _diagnostics(lsp, uri, last + 1)
        assert {key(d) for d in ranged} == {key(d) for d in whole}
        assert {d.source for d in ranged} == {"ruff", "ty"}
        # The typed line names something undefined: found where it was typed.
        assert any(d.range.start.line == text.count("\n") for d in ranged)


async def _diagnostics(lsp: Client, uri: str, version: int) -> list[types.Diagnostic]:
    """The published set for this version, or for a pull client its answer."""
    if lsp.encoding == "utf-8":  # Neovim: a pull client
        report = await lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    return await published(lsp, uri, version)


async def test_a_child_is_sent_the_ranges_and_agrees() -> None:
    """Straight to a real `ruff server`: after the open, a version reached by two keystrokes
    goes as those two ranged changes, and ruff's findings are then those of the whole text."""
    import sys

    from lsprotocol import types as t

    from punie_lsp.server.child_server import ChildServer

    ruff = ChildServer(
        "ruff", str(Path(sys.executable).parent / "ruff"), PROBLEMS.parent.parent.as_uri(),
        "utf-16", timeout=30,
    )  # fmt: skip
    await ruff.start()
    sent: list[t.DidChangeTextDocumentParams] = []
    client = ruff._client
    forward = client.text_document_did_change
    client.text_document_did_change = lambda params: (sent.append(params), forward(params))[1]
    try:
        uri, log = "file:///tmp/punie-ranged/x.py", EditLog()
        text = "import os\n\n\ndef f():\n    return 1\n"
        log.opened(uri, 1)
        ruff.sync(uri, 1, text, log)
        changes, typed = _type(text, 4, len("    return 1"), " + y", "utf-16")
        log.changed(uri, 2, changes[:2])
        log.changed(uri, 3, changes[2:])
        ruff.sync(uri, 3, typed, log)
        assert [type(c) for c in sent[-1].content_changes] == [
            t.TextDocumentContentChangePartial
        ] * 4
        ranged = await ruff.diagnostics(uri, typed.splitlines)
        ruff.close(uri)
        ruff.sync(uri, 4, typed, log)  # reopened: the whole text
        whole = await ruff.diagnostics(uri, typed.splitlines)
        assert {(d["code"], str(d["range"])) for d in ranged} == {
            (d["code"], str(d["range"])) for d in whole
        }
        assert {d["code"] for d in ranged} >= {"F401", "F821"}  # os unused, y undefined
    finally:
        await ruff.stop()
