"""punie.ask over LSP with a scripted model: progress, findings as diagnostics, cancellation.

The scripted model replays fixed replies (model/scripted.py); the real model's end-to-end
tests are in tests/test_real_model.py.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import client_capabilities

from punie_lsp.agent import wall
from tests.lsp_helpers import (
    Client,
    change_doc,
    open_doc,
    published,
    server_env,
    session,
    wait_for,
)
from tests.replies import CHECK_AND_TEST, code_mode

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
FAILING_TEST = SAMPLE / "tests" / "test_transfers.py"

RUN_TESTS = (
    "<tool_call><function=execute_code><parameter=code>\n"
    'result = pytest_run("tests")\n'
    'print(result.failed, "failed")\n'
    "</parameter></function></tool_call>"
)
LONG_DIRECT = " ".join(["word"] * 400)


def script(tmp: Path, *replies: str, delay: float = 0.0, load_seconds: float = 0.0) -> dict:
    path = tmp / "script.json"
    path.write_text(
        json.dumps({"replies": list(replies), "delay": delay, "load_seconds": load_seconds})
    )
    return {"model": {"enabled": True, "path": f"scripted:{path}"}}


async def ask(lsp: Client, question: str, **extra: Any) -> dict[str, Any]:
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="punie.ask", arguments=[{"question": question, **extra}])
    )
    assert isinstance(result, dict)
    return result


async def test_a_tool_answer_and_its_findings_as_diagnostics(tmp_path: Path) -> None:
    async with session(tmp_path, root=SAMPLE, init_options=script(tmp_path, RUN_TESTS)) as lsp:
        answer = await ask(lsp, "Which tests fail?")
        assert answer["kind"] == "tool"
        assert answer["output"] == "1 failed\n" and answer["error"] is None
        assert answer["answer"] == "1 failed"
        assert [r["tool"] for r in answer["results"]] == ["pytest_run"]
        assert set(answer["timings"]) >= {"load", "prompt", "generation", "tool", "total"}
        uri = FAILING_TEST.as_uri()
        await wait_for(lambda: any(d.source == "punie" for d in lsp.diagnostics.get(uri, [])))
        (finding,) = [d for d in lsp.diagnostics[uri] if d.source == "punie"]
        assert finding.range.start.line == 10  # `def test_fee_rounds_up():`, 0-based
        assert "test_fee_rounds_up failed: assert 1 == 2" in finding.message
        assert finding.severity == types.DiagnosticSeverity.Error
        # Opening the file shows ruff's and ty's findings beside punie's, not instead.
        doc = open_doc(lsp, FAILING_TEST)
        found = await published(lsp, doc, 1)
        assert "punie" in {d.source for d in found}
        # And they can be cleared.
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="punie.clearFindings", arguments=[])
        )
        await wait_for(lambda: all(d.source != "punie" for d in lsp.diagnostics.get(uri, [])))


async def test_one_problem_one_entry(tmp_path: Path) -> None:
    """A type error the live diagnostics show on an open buffer is not shown again as the
    model's finding; what they cannot show (a failing test) is; an edit drops the file's
    findings, found on an older text."""
    options = {**script(tmp_path, CHECK_AND_TEST), "debounceMs": 0}
    transfers, accounts = SAMPLE / "src/ledger/transfers.py", SAMPLE / "src/ledger/accounts.py"
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        open_uri = open_doc(lsp, transfers)
        await published(lsp, open_uri, 1)
        await ask(lsp, "How many type errors and failing tests?")
        closed, test = accounts.as_uri(), FAILING_TEST.as_uri()
        await wait_for(lambda: closed in lsp.diagnostics and test in lsp.diagnostics)
        shown = lsp.diagnostics[open_uri]
        union = [d for d in shown if d.code == "missing-union-attribute"]
        assert [d.source for d in union] == ["ty", "ty"]  # once each, from the live source
        # A file not open keeps the model's findings; so does the failing test.
        assert [d.code for d in lsp.diagnostics[closed]] == ["unsupported-operator"]
        assert {d.source for d in lsp.diagnostics[test]} == {"punie"}
        # Open with the test file, an edit to it drops its (now stale) finding.
        test_doc = open_doc(lsp, FAILING_TEST)
        found = await published(lsp, test_doc, 1)
        assert [d.source for d in found if d.source == "punie"] == ["punie"]
        text = FAILING_TEST.read_text(encoding="utf-8")
        change_doc(lsp, test_doc, 2, "\n" + text)
        found = await published(lsp, test_doc, 2)
        assert "punie" not in {d.source for d in found}


COUNT_TYPE_ERRORS = code_mode('print(typecheck("src").error_count)\n')


async def test_the_tools_see_the_unsaved_buffer(tmp_path: Path) -> None:
    """The disk has 3 type errors under src/, two of them in transfers.py; the editor's
    unsaved transfers.py has none: the snippet's typecheck() counts what the user sees."""
    transfers = SAMPLE / "src/ledger/transfers.py"
    before = transfers.read_bytes()
    fixed = "def transfer(a: int, b: int) -> int:\n    return a + b\n"
    options = script(tmp_path, COUNT_TYPE_ERRORS, COUNT_TYPE_ERRORS)
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        assert (await ask(lsp, "How many type errors are in src/?"))["output"] == "3\n"
        uri = open_doc(lsp, transfers)
        change_doc(lsp, uri, 2, fixed)
        answer = await ask(lsp, "How many type errors are in src/?")
        if wall.status().available:
            assert answer["output"] == "1\n" and answer["notes"] == []
        else:  # said, not hidden
            assert answer["notes"] == ["unsaved changes not seen (no sandbox wall): transfers.py"]
    assert transfers.read_bytes() == before  # the user's file is never written


async def test_findings_in_unopened_files_reach_a_pull_client(tmp_path: Path) -> None:
    """Neovim 0.11 and VS Code pull diagnostics for open files only: a failing test in a file
    nobody opened is pushed instead, and handed to the pull while the file is open."""
    options = script(tmp_path, RUN_TESTS)
    async with session(tmp_path, root=SAMPLE, init_options=options, client="neovim@v0.11.0") as lsp:
        await ask(lsp, "Which tests fail?")
        uri = FAILING_TEST.as_uri()
        await wait_for(lambda: any(d.source == "punie" for d in lsp.diagnostics.get(uri, [])))
        # Opened: the pushed copy is cleared and the pull report carries the finding.
        open_doc(lsp, FAILING_TEST)
        await wait_for(lambda: len(lsp.diagnostics[uri]) == 0)
        report = await lsp.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert [d.range.start.line for d in report.items if d.source == "punie"] == [10]
        # Closed: pushed again.
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
        )
        await wait_for(lambda: any(d.source == "punie" for d in lsp.diagnostics.get(uri, [])))


async def test_progress_streams_the_answer(tmp_path: Path) -> None:
    options = script(tmp_path, "The walrus operator assigns inside an expression.", delay=0.01)
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        answer = await ask(lsp, "What does the walrus operator do?")
        # The model's own words are streamed; the answer is the documentation's.
        assert answer["kind"] == "direct"
        assert [run["tool"] for run in answer["results"]] == ["python_docs"]
        assert ":=" in answer["answer"] and "assigns inside" not in answer["answer"]
        await wait_for(lambda: any(_ended(r) for r in lsp.progress_reports.values()))
        reports = next(r for r in lsp.progress_reports.values() if "answering" in _title(r))
        assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
        messages = [r.message for r in reports if isinstance(r, types.WorkDoneProgressReport)]
        assert messages[-1] == "The walrus operator assigns inside an expression."
        assert len(messages) >= 5  # one per streamed word


async def test_progress_on_the_clients_own_token(tmp_path: Path) -> None:
    """A client may choose the workDoneToken itself (VS Code's extension does): the answer
    streams on it, and the server asks the client to create no token of its own."""
    options = script(tmp_path, "Lists are mutable; tuples are not.", delay=0.01)
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        lsp.progress_reports["mine"] = []  # pytest-lsp records progress on known tokens
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="punie.ask",
                arguments=[{"question": "Lists or tuples?"}],
                work_done_token="mine",
            )
        )
        assert isinstance(result, dict)
        # Streamed: the model's words; answered: the documentation's (agent/grounding.py).
        assert "tuple" in result["answer"] and result["results"][0]["tool"] == "python_docs"
        await wait_for(lambda: _ended(lsp.progress_reports["mine"]))
        reports = lsp.progress_reports["mine"]
        assert "answering" in _title(reports)
        last = reports[-2]
        assert isinstance(last, types.WorkDoneProgressReport)
        assert last.message == "Lists are mutable; tuples are not."
        others = [r for t, r in lsp.progress_reports.items() if t != "mine"]
        assert not any("answering" in _title(r) for r in others)


def _with_status(capabilities: types.ClientCapabilities) -> types.ClientCapabilities:
    capabilities.experimental = {"punieStatus": True}
    return capabilities


async def test_model_status_notifications(tmp_path: Path) -> None:
    caps = _with_status(client_capabilities("visual-studio-code"))
    options = script(tmp_path, "Hi.", load_seconds=0.5)
    async with session(tmp_path, root=SAMPLE, init_options=options, capabilities=caps) as lsp:
        await wait_for(lambda: any(s["model"] == "ready" for s in lsp.statuses))
        states = [s["model"] for s in lsp.statuses]
        assert states[0] == "loading" and states[-1] == "ready"
        assert lsp.statuses[-1]["message"].startswith("ready: ")
        assert lsp.statuses[-1]["logFile"].endswith("punie-lsp.log")
        # Turning the model off says so.
        lsp.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"punie": {"model": {"enabled": False}}})
        )
        await wait_for(lambda: lsp.statuses[-1]["model"] == "off")
    missing = {"model": {"enabled": True, "path": f"scripted:{tmp_path / 'none.json'}"}}
    caps = _with_status(client_capabilities("visual-studio-code"))
    async with session(tmp_path, root=SAMPLE, init_options=missing, capabilities=caps) as lsp:
        await wait_for(lambda: any(s["model"] == "error" for s in lsp.statuses))
        assert "could not be loaded" in lsp.statuses[-1]["message"]
    # A client that did not ask hears nothing.
    async with session(tmp_path, root=SAMPLE, init_options=script(tmp_path, "Hi.")) as lsp:
        await ask(lsp, "hello")
        assert lsp.statuses == []


async def test_the_model_loads_after_the_first_diagnostics(tmp_path: Path) -> None:
    # Loading holds the interpreter in stretches; the editor that opened a file waits for
    # its diagnostics first, and the load waits for a pause in typing.
    caps = _with_status(client_capabilities("visual-studio-code"))  # pushed diagnostics
    options = {**script(tmp_path, "Hi."), "debounceMs": 0}
    async with session(tmp_path, root=SAMPLE, init_options=options, capabilities=caps) as lsp:
        uri = open_doc(lsp, SAMPLE / "src" / "ledger" / "transfers.py")
        await wait_for(lambda: uri in lsp.versions, timeout=30)
        before = [s["message"] for s in lsp.statuses]
        await wait_for(lambda: any(s["model"] == "ready" for s in lsp.statuses))
        assert before == ["waiting for the first diagnostics"]
        loading = [s["message"] for s in lsp.statuses if s["model"] == "loading"]
        assert "loading the scripted model" in loading


async def test_a_question_while_loading_waits(tmp_path: Path) -> None:
    options = script(tmp_path, "Hello!", load_seconds=1.5)
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        answer = await ask(lsp, "hello")
        assert answer["answer"] == "Hello!"
        assert answer["timings"]["load"] >= 1.5
        titles = [_title(r) for r in lsp.progress_reports.values()]
        assert any("loading the model" in t for t in titles)


async def test_cancel_through_the_progress_token(tmp_path: Path) -> None:
    options = script(tmp_path, LONG_DIRECT, "Fine.", delay=0.05)  # 20 s if never cancelled
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        task = asyncio.create_task(ask(lsp, "Talk for a long time."))
        await wait_for(lambda: any(_streaming(r) for r in lsp.progress_reports.values()))
        token = next(t for t, r in lsp.progress_reports.items() if _streaming(r))
        lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(JsonRpcException, match="cancelled"):
            await asyncio.wait_for(task, 5)
        assert isinstance(lsp.progress_reports[token][-1], types.WorkDoneProgressEnd)
        # The model is free again: the next question is answered.
        assert (await asyncio.wait_for(ask(lsp, "again"), 30))["kind"] == "direct"


async def test_cancel_request(tmp_path: Path) -> None:
    options = script(tmp_path, LONG_DIRECT, "Fine.", delay=0.05)
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        params = types.ExecuteCommandParams(
            command="punie.ask", arguments=[{"question": "Talk for a long time."}]
        )
        pending = asyncio.ensure_future(
            lsp.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="ask-1")
        )
        await wait_for(lambda: any(_streaming(r) for r in lsp.progress_reports.values()))
        lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="ask-1"))
        with pytest.raises(JsonRpcException, match="cancel"):
            await asyncio.wait_for(pending, 5)
        token = next(t for t, r in lsp.progress_reports.items() if _streaming(r))
        await wait_for(lambda: _ended(lsp.progress_reports[token]))
        # Generation stopped: the model answers the next question at once.
        assert (await asyncio.wait_for(ask(lsp, "again"), 30))["kind"] == "direct"


async def test_diagnostics_keep_flowing_while_the_model_talks(tmp_path: Path) -> None:
    options = script(tmp_path, LONG_DIRECT, delay=0.02)  # about 8 s of answer
    async with session(tmp_path, root=SAMPLE, init_options=options) as lsp:
        task = asyncio.create_task(ask(lsp, "Talk."))
        await wait_for(lambda: any(_streaming(r) for r in lsp.progress_reports.values()))
        uri = open_doc(lsp, FAILING_TEST)
        await published(lsp, uri, 1)
        change_doc(lsp, uri, 2, FAILING_TEST.read_text() + "import os\n")
        found = await published(lsp, uri, 2)
        assert "F401" in {d.code for d in found}
        assert not task.done()  # both at once
        assert (await asyncio.wait_for(task, 60))["kind"] == "direct"


async def test_bad_requests_get_clear_errors(tmp_path: Path) -> None:
    async with session(tmp_path, root=SAMPLE) as lsp:  # the model is off
        with pytest.raises(JsonRpcException, match="model is off"):
            await ask(lsp, "hello")
    async with session(tmp_path, root=SAMPLE, init_options=script(tmp_path, "x")) as lsp:
        for arguments in ([], [{"question": ""}], [{"nothing": 1}], [1, 2]):
            with pytest.raises(JsonRpcException, match=r"punie\.ask"):
                await lsp.workspace_execute_command_async(
                    types.ExecuteCommandParams(command="punie.ask", arguments=arguments)
                )
    missing = {"model": {"enabled": True, "path": f"scripted:{tmp_path / 'none.json'}"}}
    async with session(tmp_path, root=SAMPLE, init_options=missing) as lsp:
        with pytest.raises(JsonRpcException, match="could not be loaded"):
            await ask(lsp, "hello")
        await wait_for(lambda: any("could not be loaded" in m.message for m in lsp.messages))


async def test_model_code_actions(tmp_path: Path) -> None:
    async with session(tmp_path, root=SAMPLE, init_options=script(tmp_path, "x")) as lsp:
        uri = open_doc(lsp, FAILING_TEST, FAILING_TEST.read_text() + "import os\n")
        found = await published(lsp, uri, 1)
        unused = next(d for d in found if d.code == "F401")
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=unused.range,
                context=types.CodeActionContext(diagnostics=[unused]),
            )
        )
        assert actions is not None
        by_kind = {str(a.kind): a for a in actions if isinstance(a, types.CodeAction)}
        explain = by_kind["quickfix.punie.explain"]
        assert explain.command is not None and explain.command.command == "punie.ask"
        argument = next(iter(explain.command.arguments or [{}]))
        assert isinstance(argument, dict)
        assert argument["question"].startswith("Explain this problem [F401]")
        assert argument["uri"] == uri and argument["range"]["start"]["line"] == 12
        assert argument["rule"] == "F401"
        # Run as the editor runs it: answered from ruff's own documentation, with the
        # diagnostic's line first; the scripted model (which would say "x") is not asked.
        done = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="punie.ask", arguments=[argument])
        )
        assert isinstance(done, dict)
        assert done["kind"] == "direct" and done["error"] is None
        assert done["answer"].startswith("tests/test_transfers.py:13: ")
        assert "\n    import os\n" in done["answer"]
        assert "F401 unused-import (ruff)" in done["answer"]
        assert "Checks for unused imports." in done["answer"]
        assert done["results"][0]["tool"] == "explain_rule"
        tests = by_kind["source.punie.runTests"].command
        assert tests is not None
        assert list(tests.arguments or []) == [
            {
                "question": "Run the tests in tests/test_transfers.py.",
                "uri": uri,
                "range": argument["range"],
            }
        ]
        assert "source.punie.checkTypes" in by_kind


def _title(reports: list[Any]) -> str:
    first = reports[0] if reports else None
    return first.title if isinstance(first, types.WorkDoneProgressBegin) else ""


def _ended(reports: list[Any]) -> bool:
    return bool(reports) and isinstance(reports[-1], types.WorkDoneProgressEnd)


def _streaming(reports: list[Any]) -> bool:
    return "answering" in _title(reports) and any(
        isinstance(r, types.WorkDoneProgressReport) and "word" in (r.message or "") for r in reports
    )


async def test_llm_tag_for_clients_that_know_it(tmp_path: Path) -> None:
    capabilities = client_capabilities("visual-studio-code")
    assert capabilities.text_document and capabilities.text_document.code_action
    capabilities.text_document.code_action.tag_support = types.CodeActionTagOptions(
        value_set=[types.CodeActionTag.LlmGenerated]
    )
    options = script(tmp_path, "x")
    async with session(
        tmp_path, root=SAMPLE, init_options=options, capabilities=capabilities
    ) as lsp:
        uri = open_doc(lsp, FAILING_TEST)
        await published(lsp, uri, 1)
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        punie = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.command]
        assert len(punie) == 2  # check types, run tests (no diagnostic to explain)
        assert all(list(a.tags or []) == [types.CodeActionTag.LlmGenerated] for a in punie)
        ruff = [a for a in actions or [] if isinstance(a, types.CodeAction) and not a.command]
        assert all(not a.tags for a in ruff)  # ruff's own fixes are not model-made


async def test_a_server_without_the_sandbox_wall_says_so(tmp_path: Path) -> None:
    """Never silently: with the OS wall off (or impossible), starting the model warns the
    user, and answers still come from the inner walls."""
    env = server_env(tmp_path) | {"PUNIE_SANDBOX_WALL": "off"}
    options = script(tmp_path, RUN_TESTS)
    async with session(tmp_path, root=SAMPLE, init_options=options, env=env) as lsp:
        await wait_for(
            lambda: any("NO OPERATING-SYSTEM SANDBOX" in m.message for m in lsp.messages)
        )
        (warning,) = [m for m in lsp.messages if "NO OPERATING-SYSTEM SANDBOX" in m.message]
        assert "PUNIE_SANDBOX_WALL=off" in warning.message
        answer = await ask(lsp, "Which tests fail?")
        assert answer["output"] == "1 failed\n"
