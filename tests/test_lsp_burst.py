"""A burst of typing never publishes results for an old version."""

import asyncio
import re
from pathlib import Path

from lsprotocol import types

from tests.lsp_helpers import PROBLEMS, change_doc, open_doc, published, session

BURST = 200


def typed(base: str, i: int) -> str:
    """The buffer after keystroke i: its last line names undefined_<i>."""
    return f"{base}late = undefined_{i}\n"


def indices(found: list[types.Diagnostic]) -> set[int]:
    """Which undefined_<i> the diagnostics complain about."""
    return {int(m) for d in found for m in re.findall(r"undefined_(\d+)", d.message)}


async def burst(tmp_path: Path, debounce_ms: int) -> list[types.PublishDiagnosticsParams]:
    """Type BURST changes; return what was published after the first version's diagnostics."""
    options = {"debounceMs": debounce_ms}
    async with session(tmp_path, init_options=options) as lsp:
        base = PROBLEMS.read_text(encoding="utf-8")
        uri = open_doc(lsp, PROBLEMS, typed(base, 0))
        assert indices(await published(lsp, uri, 1)) == {0}
        seen = len(lsp.published)
        for i in range(1, BURST + 1):
            change_doc(lsp, uri, i + 1, typed(base, i))
        final = await published(lsp, uri, BURST + 1)
        assert indices(final) == {BURST}
        assert {d.source for d in final if indices([d])} == {"ruff", "ty"}
        # Still serving: a request after the burst is answered.
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=final),
            )
        )
        assert actions
        await asyncio.sleep(0.5)  # room for a stale publish to arrive late, if one would
        return lsp.published[seen:]


async def test_debounced_burst_publishes_only_the_final_version(tmp_path: Path) -> None:
    after = await burst(tmp_path, debounce_ms=1000)
    assert [p.version for p in after] == [BURST + 1]


async def test_undebounced_burst_never_publishes_stale_results(tmp_path: Path) -> None:
    # With no debounce, work starts on every change and is cancelled when superseded: some
    # intermediate versions may be published, but each one's diagnostics are its own, in
    # order, and the final version comes last.
    after = await burst(tmp_path, debounce_ms=0)
    versions = [p.version or 0 for p in after]
    assert versions[-1] == BURST + 1
    assert versions == sorted(versions)
    for p in after:
        assert p.version is not None
        assert indices(list(p.diagnostics)) == {p.version - 1}
