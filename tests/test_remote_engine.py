"""The remote backend against a real engine: mlx_lm.server, started by `punie-lsp serve-model`
with the embedded model and the shipped adapter (fused once into the cache)."""

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from punie_lsp import prompt
from punie_lsp.agent.loop import ask
from punie_lsp.model.generation import Cancelled, GenerateRequest, ModelError
from punie_lsp.model.host import ModelHost, ModelSpec, make_host
from punie_lsp.model.remote import RemoteModel

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    log = tmp_path_factory.mktemp("engine") / "engine.log"  # a file: a pipe could fill up
    proc = subprocess.Popen(
        [BIN / "punie-lsp", "serve-model", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180  # a fresh cache converts and fuses the model first
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"mlx_lm.server did not start: {log.read_text()[-2000:]}")
    yield url, proc
    proc.kill()
    proc.wait()


def first_reply(generate, question: str, max_tokens: int = 120) -> str:
    """The reply up to its stop text: an OpenAI-compatible engine leaves the stop out."""
    text = generate(GenerateRequest(prompt.messages(question), max_tokens, prompt.STOP)).text
    for stop in prompt.STOP:
        text = text.split(stop)[0]
    return text


QUESTIONS = ["Which tests fail in tests/?", "How many type errors are in src/?"]


def test_a_plain_url_reaches_the_served_model_with_its_adapter(engine) -> None:
    url, _ = engine
    remote = make_host(ModelSpec(model=url))
    assert isinstance(remote, RemoteModel) and remote.model is None
    answer = ask(QUESTIONS[0], SAMPLE, remote.generate, constrain=False)
    # The adapter's Code Mode, not the base model's prose; usage read back.
    assert answer.kind == "tool" and "test_fee_rounds_up" in (answer.output or "")
    assert answer.timings.prompt_tokens > 50 and answer.timings.generation_tokens > 20
    # Its /models names no owner: it is sent no grammar (its logits processors do not
    # travel), and the same answer comes back with the grammar asked for.
    constrained = ask(QUESTIONS[0], SAMPLE, remote.generate)
    assert remote.engine == "" and remote.grammar_refused is None
    assert constrained.reply == answer.reply


def test_the_engine_and_the_host_give_the_same_greedy_replies(engine) -> None:
    url, _ = engine
    host = ModelHost(ModelSpec()).start()
    host.wait_loaded()
    try:
        local = [first_reply(host.generate, q) for q in QUESTIONS]
    finally:
        host.stop()
    remote = [first_reply(RemoteModel(url).generate, q) for q in QUESTIONS]
    assert remote == local


def test_clients_asking_at_once_each_get_their_own_answer(engine) -> None:
    url, _ = engine
    paths = [
        "src/ledger/accounts.py", "src/ledger/transfers.py", "tests/test_transfers.py",
        "tests/test_accounts.py",
    ]  # fmt: skip
    questions = [f"Run ruff on {p}" for p in paths] + [f"Type check {p}" for p in paths]
    replies: dict[str, str] = {}

    def one(question: str) -> None:
        replies[question] = first_reply(RemoteModel(url).generate, question, max_tokens=60)

    threads = [threading.Thread(target=one, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(replies) == sorted(questions)  # none lost
    for question, reply in replies.items():
        own = question.split()[-1]
        assert own in reply, (question, reply)  # none mixed: each names its own path
        assert not any(p in reply for p in paths if p != own), (question, reply)


def test_a_cancelled_answer_closes_its_stream_and_the_engine_serves_on(engine) -> None:
    url, _ = engine
    heard: list[str] = []
    cancel = threading.Event()

    def on_text(piece: str) -> None:
        heard.append(piece)
        cancel.set()  # the user cancels as the first piece arrives

    long = prompt.messages("Explain, in detail and at length, what every function here does.")
    with pytest.raises(Cancelled):
        RemoteModel(url).generate(GenerateRequest(long, 400, (), on_text, cancel))
    assert len(heard) == 1  # nothing read after the cancel: the stream was closed
    assert "pytest_run" in first_reply(RemoteModel(url).generate, QUESTIONS[0])


def test_an_engine_slower_than_the_timeout_is_a_clear_error(engine) -> None:
    url, _ = engine
    with pytest.raises(ModelError, match=r"sent nothing for 0\.01 s"):
        first_reply(RemoteModel(url, timeout=0.01).generate, QUESTIONS[0])
    assert "pytest_run" in first_reply(RemoteModel(url).generate, QUESTIONS[0])


def test_a_killed_engine_is_a_clear_error(engine) -> None:
    url, proc = engine
    proc.kill()
    proc.wait()
    with pytest.raises(ModelError, match=r"model server at .* failed"):
        first_reply(RemoteModel(url, timeout=5).generate, QUESTIONS[0])
