"""Settings from initializationOptions and workspace/configuration, and where the log goes."""

from pathlib import Path

from lsprotocol import types

from tests.lsp_helpers import PROBLEMS, open_doc, published, session, wait_for


def sources(found: list[types.Diagnostic]) -> set[str]:
    return {str(d.source) for d in found}


async def test_sources_can_be_switched_off(tmp_path: Path) -> None:
    async with session(tmp_path, init_options={"sources": {"ty": False}}) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        assert sources(await published(lsp, uri, 1)) == {"ruff"}
    async with session(tmp_path, init_options={"sources": {"ruff": False}}) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        assert sources(await published(lsp, uri, 1)) == {"ty"}


async def test_workspace_configuration_wins_over_init_options(tmp_path: Path) -> None:
    async with session(
        tmp_path,
        init_options={"sources": {"ruff": False}},
        configuration={"sources": {"ruff": True, "ty": False}},
    ) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        assert sources(await published(lsp, uri, 1)) == {"ruff"}


async def test_invalid_settings_are_reported_and_defaults_kept(tmp_path: Path) -> None:
    options = {"debounceMs": "soon", "sources": {"ty": "maybe"}, "toolTimeout": -3}
    async with session(tmp_path, init_options=options) as lsp:
        await wait_for(lambda: len(lsp.messages) >= 3)
        text = "\n".join(m.message for m in lsp.messages)
        for name in ("debounceMs", "sources.ty", "toolTimeout"):
            assert f"setting {name}" in text
        assert all(m.type == types.MessageType.Error for m in lsp.messages)
        uri = open_doc(lsp, PROBLEMS)
        assert sources(await published(lsp, uri, 1)) == {"ruff", "ty"}


async def test_did_change_configuration_applies_without_restart(tmp_path: Path) -> None:
    async with session(tmp_path) as lsp:
        uri = open_doc(lsp, PROBLEMS)
        assert sources(await published(lsp, uri, 1)) == {"ruff", "ty"}
        count = len(lsp.published)
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"punie": {"sources": {"ty": False}}})
        )
        await wait_for(lambda: len(lsp.published) > count)
        assert sources(list(lsp.published[-1].diagnostics)) == {"ruff"}
        # A client that pushes no settings makes the server ask workspace/configuration.
        lsp.set_configuration({"sources": {"ty": True, "ruff": False}}, section="punie")
        count = len(lsp.published)
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_for(lambda: len(lsp.published) > count)
        assert sources(list(lsp.published[-1].diagnostics)) == {"ty"}


async def test_log_file_is_where_the_docs_say(tmp_path: Path) -> None:
    async with session(tmp_path, init_options={"tyPath": "no-such-ty"}) as lsp:
        await wait_for(lambda: bool(lsp.messages))
    log = tmp_path / "state" / "punie-lsp" / "punie-lsp.log"
    text = log.read_text(encoding="utf-8")
    assert "starting" in text
    assert "ty not found" in text


async def test_an_early_configuration_change_starts_ruff_and_ty_once(tmp_path: Path) -> None:
    """Eglot sends didChangeConfiguration right after `initialized`: both reload the settings,
    and each used to start its own ruff and ty servers, leaving one pair orphaned."""
    async with session(tmp_path) as lsp:
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
        uri = open_doc(lsp, PROBLEMS)
        assert await published(lsp, uri, 1)
    log = (tmp_path / "state" / "punie-lsp" / "punie-lsp.log").read_text()
    assert log.count("ruff server started") == 1, log
    assert log.count("ty server started") == 1, log
