"""End to end on the real embedded model (SmolLM2-135M + the shipped Code Mode adapter).

Slow by nature (seconds per answer on a CPU); limits are generous and nothing here times
anything. The model is converted once into a cache shared by these tests.
"""

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from punie_lsp import prompt
from punie_lsp.agent.grammar import edit_call_head, reply_grammar
from punie_lsp.agent.parse import parse
from punie_lsp.model.generation import Cancelled, GenerateRequest
from punie_lsp.model.host import ModelHost, default_adapter
from punie_lsp.training.evaluate import snippet_problems
from tests.lsp_helpers import server_env, session, wait_for

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
MDQUILL = SAMPLE.parent / "mdquill"
QUESTION = "Which tests fail in tests/?"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "model-cache"  # shared by every test here


@pytest.fixture(scope="module")
def host(cache: Path) -> ModelHost:
    os.environ["XDG_CACHE_HOME"] = str(cache)
    model = ModelHost().start()
    model.wait_loaded(600)
    return model


@pytest.fixture(scope="module")
def mlx_lms(host: ModelHost) -> Any:
    """mlx-lm's own tokenizer for the embedded model, for its `generate` to compare with:
    the host's is model/loading.py's."""
    from mlx_lm.utils import load_tokenizer

    from punie_lsp.model.embedded import embedded_model_dir

    return load_tokenizer(embedded_model_dir(None))


def test_the_adapter_ships() -> None:
    assert default_adapter() is not None


def test_ask_json_on_the_sample_project(cache: Path, tmp_path: Path) -> None:
    env = dict(server_env(tmp_path), XDG_CACHE_HOME=str(cache))
    done = subprocess.run(
        [sys.executable, "-m", "punie_lsp", "ask", QUESTION, "--root", str(SAMPLE), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    answer = json.loads(done.stdout)
    assert {"kind", "code", "output", "answer", "error", "results", "timings"} <= set(answer)
    assert answer["kind"] == "tool", answer["reply"]
    assert answer["error"] is None and done.returncode == 0
    # The facts it printed are the facts: one failing test, found by pytest_run.
    (run,) = [r for r in answer["results"] if r["tool"] == "pytest_run"]
    assert run["result"]["failed"] == 1
    assert "test_fee_rounds_up" in answer["output"]
    timings = answer["timings"]
    assert timings["load"] > 0 and timings["generation_tokens"] > 0
    assert timings["cached_tokens"] > 0  # the system prompt came from the cache
    # On Linux it ran on OpenBLAS, with the threads model/blas.py fitted to the idle cores.
    cores = len(os.sched_getaffinity(0)) if sys.platform == "linux" else 0
    assert (timings["blas_threads"] >= 1) if cores else timings["blas_threads"] == 0
    assert timings["blas_threads"] <= cores


def test_direct_question_gets_a_direct_answer(host: ModelHost, tmp_path: Path) -> None:
    from punie_lsp.agent.loop import ask

    answer = ask("What does the walrus operator do?", SAMPLE, host.generate)
    assert answer.kind == "direct" and ":=" in answer.answer
    # Grounded: the text is what python_docs found (the reviewed answer), not memory.
    assert [run.tool for run in answer.results] == ["python_docs"]


def test_a_general_question_is_answered_from_python_s_documentation(host: ModelHost) -> None:
    from punie_lsp.agent.loop import ask

    answer = ask("What does the nonlocal statement do?", SAMPLE, host.generate)
    assert answer.kind == "direct", answer.reply
    (run,) = answer.results
    passages = run.result["passages"]
    assert run.tool == "python_docs" and passages
    assert passages[0]["text"] in answer.answer and "language reference" in answer.answer


def test_cached_prefix_changes_nothing(host: ModelHost, mlx_lms: Any) -> None:
    from mlx_lm import generate

    turns = prompt.messages(QUESTION)
    cached = host.generate(GenerateRequest(turns, 40, prompt.STOP))
    again = host.generate(GenerateRequest(turns, 40, prompt.STOP))
    assert cached.cached_tokens > 0 and cached.text == again.text
    # Against mlx-lm with no cache at all, on the host's own model (same thread rules:
    # the host is idle while this runs).
    plain = generate(host._model, mlx_lms, prompt.render(mlx_lms, turns), max_tokens=40)
    assert cached.text == plain[: len(cached.text)]


def test_the_system_prompts_cache_is_read_back_from_disk(
    host: ModelHost, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from punie_lsp.model import host as hosting

    saved = list((cache / "punie-lsp" / "prefixes").glob("*.safetensors"))
    assert len(saved) == 1  # written by the first load (the fixture's)
    read: list[bool] = []
    real_read = hosting._read_prefix

    def recorded(path: Path, length: int) -> object:
        found = real_read(path, length)
        read.append(found is not None)
        return found

    monkeypatch.setattr(hosting, "_read_prefix", recorded)
    again = ModelHost().start()
    again.wait_loaded(600)
    try:
        assert read == [True] and again._prefix == host._prefix
        turns = prompt.messages(QUESTION)
        from_disk = again.generate(GenerateRequest(turns, 40, prompt.STOP))
        computed = host.generate(GenerateRequest(turns, 40, prompt.STOP))
        assert from_disk.cached_tokens == computed.cached_tokens > 0
        assert from_disk.text == computed.text
    finally:
        again.stop()


def test_a_damaged_system_prompt_cache_is_computed_again(tmp_path: Path) -> None:
    from punie_lsp.model.host import _read_prefix

    damaged = tmp_path / "prefix.safetensors"
    damaged.write_bytes(b"not a safetensors file")
    assert _read_prefix(damaged, 70) is None
    assert _read_prefix(tmp_path / "absent.safetensors", 70) is None


@pytest.mark.parametrize(
    "question",
    [
        QUESTION,
        "How many type errors are in src/?",
        "List every ruff violation in src/ledger/transfers.py with its line.",
        "What is a dataclass?",
    ],
)
def test_every_optimization_keeps_the_greedy_output(
    host: ModelHost, mlx_lms: Any, question: str
) -> None:
    """Shared prompt cache + prompt-lookup drafts (model/lookup.py) + stopping at the tool
    call's end: the text is plain mlx-lm's greedy text, token for token."""
    from mlx_lm import generate

    turns = prompt.messages(question)
    fast = host.generate(GenerateRequest(turns, 120, prompt.STOP))
    plain = generate(host._model, mlx_lms, prompt.render(mlx_lms, turns), max_tokens=120)
    assert len(fast.text) > 40 and fast.text == plain[: len(fast.text)]
    if question != "What is a dataclass?":  # Code Mode replies: the drafts did the work
        assert fast.accepted_tokens > fast.generation_tokens // 2, fast


@pytest.mark.parametrize(
    "question",
    ["Which tests fail in tests/?", "Lint src/ledger/accounts.py", "What is a dataclass?"],
)
def test_the_grammar_keeps_a_valid_greedy_output(host: ModelHost, question: str) -> None:
    """Where the unconstrained reply is already valid, the constrained one is the same text
    (the grammar only ever turns down a token it must)."""
    turns = prompt.messages(question)
    free = host.generate(GenerateRequest(turns, 160, prompt.STOP))
    bound = host.generate(GenerateRequest(turns, 160, prompt.STOP, grammar=reply_grammar(SAMPLE)))
    assert snippet_problems(parse(free.text).code, SAMPLE) == []  # it was valid
    assert bound.constrained and bound.corrected_tokens == 0
    assert bound.text == free.text


def test_the_grammar_turns_a_guessed_path_into_one_that_exists(host: ModelHost) -> None:
    """Asked with the training projects' `tests/` where this project keeps `testing/` (a user
    misremembering the layout), the model unconstrained copies the missing path; under the
    workspace's grammar it cannot. (The first-stage adapter made this mistake even when the
    question named `testing/`; the second stage copies the question's path.)"""
    turns = prompt.messages("Run the tests in tests/test_tokenz.py.")
    free = host.generate(GenerateRequest(turns, 160, prompt.STOP))
    bound = host.generate(GenerateRequest(turns, 160, prompt.STOP, grammar=reply_grammar(MDQUILL)))
    assert snippet_problems(parse(free.text).code, MDQUILL)  # the mistake this is about
    code = parse(bound.text).code
    assert bound.corrected_tokens > 0 and code is not None
    assert snippet_problems(code, MDQUILL) == [], code


def test_the_guessed_reply_is_only_a_guess(host: ModelHost, mlx_lms: Any) -> None:
    """The reply guessed from the question (model/recall.py) drafts a Code Mode reply in a
    pass or two; a wrong guess (a ruff call for a pytest question: up to 64 wrong tokens in
    one pass, trimmed from the cache) costs passes, never a different token."""
    from mlx_lm import generate

    from punie_lsp.model.recall import build

    turns = prompt.messages(QUESTION)
    text = prompt.render(mlx_lms, turns)
    plain = generate(host._model, mlx_lms, text, max_tokens=120)
    right = host.generate(GenerateRequest(turns, 120, prompt.STOP))
    assert len(right.text) > 40 and right.text == plain[: len(right.text)]
    assert right.passes <= 3, right
    shipped = host.recall  # the model thread is idle between jobs
    wrong = 'result = ruff_check("src/")\nfor v in result.violations:\n    print(v.code, v.line)'
    host.recall = build([(QUESTION, prompt.tool_call(wrong))])
    try:
        fooled = host.generate(GenerateRequest(turns, 120, prompt.STOP))
    finally:
        host.recall = shipped
    assert fooled.text == right.text and fooled.passes > right.passes


def test_the_fused_adapter_is_the_same_model(host: ModelHost) -> None:
    """The host loads the model without mlx-lm's load and folds the LoRA adapter into the
    weights (model/loading.py); plain mlx-lm with the adapter kept as separate low-rank
    layers writes the same greedy text."""
    from mlx_lm import generate, load

    from punie_lsp.model.embedded import embedded_model_dir

    model, tokenizer, *_ = load(str(embedded_model_dir(None)), adapter_path=str(default_adapter()))
    assert any(hasattr(m, "lora_a") for _, m in model.named_modules())  # not fused
    assert not any(hasattr(m, "lora_a") for _, m in host._model.named_modules())  # fused
    for question in (QUESTION, "Are there lint problems in src/ledger/?"):
        text = prompt.render(tokenizer, prompt.messages(question))
        fused = generate(host._model, tokenizer, text, max_tokens=80)
        assert len(fused) > 40 and generate(model, tokenizer, text, max_tokens=80) == fused


def test_cancel_stops_generation(host: ModelHost) -> None:
    cancel = threading.Event()
    seen: list[str] = []

    def on_text(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        host.generate(GenerateRequest(prompt.messages(QUESTION), 200, prompt.STOP, on_text, cancel))
    assert len(seen) <= 4  # stopped at the next token
    assert host.generate(
        GenerateRequest(prompt.messages("hello"), 20, prompt.STOP)
    ).text  # still serving


async def test_punie_ask_over_lsp_with_the_real_model(cache: Path, tmp_path: Path) -> None:
    env = dict(server_env(tmp_path), XDG_CACHE_HOME=str(cache))
    options = {"model": {"enabled": True}}
    async with session(tmp_path, root=SAMPLE, init_options=options, env=env) as lsp:
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="punie.ask", arguments=[{"question": QUESTION}])
        )
        assert isinstance(result, dict) and result["kind"] == "tool"
        streamed = [
            r.message
            for reports in lsp.progress_reports.values()
            for r in reports
            if isinstance(r, types.WorkDoneProgressReport)
        ]
        assert any("pytest_run" in (m or "") for m in streamed)  # the code, as it was written
        failing = (SAMPLE / "tests" / "test_transfers.py").as_uri()
        await wait_for(lambda: any(d.source == "punie" for d in lsp.diagnostics.get(failing, [])))
        # Cancelling through the progress token ends the answer with an error, promptly.
        task = lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="punie.ask", arguments=[{"question": "Check types in src/."}]
            )
        )
        pending = asyncio.ensure_future(task)
        await wait_for(lambda: len(lsp.progress_reports) >= 3, timeout=120)
        token = list(lsp.progress_reports)[-1]
        lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(JsonRpcException, match="cancelled"):
            await asyncio.wait_for(pending, 60)


@pytest.mark.parametrize("source", ["ty or ruff", "pytest"])
def test_fix_this_with_the_real_model_offers_only_what_verifies(
    host: ModelHost, source: str
) -> None:
    """The real model under the edit grammar writes one propose_edit at a site the product
    chose: a diagnostic's own line, or for a failing test one line of the code it calls. What
    it proposes is offered only if the tools verify it (the diagnostic gone, the test passing,
    nothing worse), else the reason is said; the project's files are never written. (Whether
    this model's edits fix things is measured by `punie-lsp eval-fixes`.)"""
    from punie_lsp.agent.fixing import asked, fix
    from punie_lsp.training.fixes import cases

    (case, *_) = [
        c
        for c in cases([f"heldout-{n}" for n in range(4, 12)])
        if (c.request.source == "pytest") == (source == "pytest")
    ]
    found = asked(case.request, case.root, lambda path: (case.root / path).read_text())
    assert not isinstance(found, str), found
    before = {p: p.read_bytes() for p in case.root.rglob("*") if p.is_file()}
    outcome = fix(case.request, case.root, host.generate)
    reply = parse(outcome.reply)
    assert reply.kind == "tool" and reply.code is not None
    assert any(reply.code.startswith(edit_call_head(*site)) for site in found.sites), reply.code
    if outcome.offered:
        assert outcome.verification is not None and outcome.verification.target_gone
        assert not outcome.verification.worse
    else:
        assert outcome.after is None and outcome.reason
    assert {p: p.read_bytes() for p in case.root.rglob("*") if p.is_file()} == before
