"""The OpenAI-compatible backend against a local fake server speaking server-sent events."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from punie_lsp import prompt
from punie_lsp.agent.loop import ask
from punie_lsp.model.generation import Cancelled, GenerateRequest, ModelError
from punie_lsp.model.host import ModelSpec, make_host
from punie_lsp.model.remote import RemoteModel

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
REPLY = prompt.tool_call('print(typecheck("src").error_count)')


class FakeServer(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    pieces: ClassVar[list[str]] = []
    owner: ClassVar[str | None] = None  # the `owned_by` its /models list gives
    refuses_grammars: ClassVar[bool] = False  # as llama-server built without llguidance

    def do_GET(self) -> None:
        models = {"object": "list", "data": [{"id": "m", "object": "model"}]}
        if self.owner is not None:
            models["data"][0]["owned_by"] = self.owner
        self._send(200, models)

    def _send(self, code: int, answer: dict[str, Any]) -> None:
        body = json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        FakeServer.requests.append(request)
        if self.refuses_grammars and "grammar" in request:
            self._send(400, {"error": {"code": 400, "message": "Failed to parse grammar"}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in self.pieces:
            event = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        usage = {"choices": [], "usage": {"prompt_tokens": 42, "completion_tokens": 7}}
        self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    FakeServer.requests, FakeServer.owner, FakeServer.refuses_grammars = [], None, False
    FakeServer.pieces = [REPLY[i : i + 7] for i in range(0, len(REPLY), 7)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_same_prompts_same_parser(endpoint: str) -> None:
    host = make_host(ModelSpec(model=f"{endpoint}#smollm"))
    assert isinstance(host, RemoteModel)
    streamed: list[str] = []
    question = "How many type errors are in src/?"
    answer = ask(question, SAMPLE, host.generate, on_text=streamed.append)
    assert answer.kind == "tool" and answer.output == "3\n"
    assert "".join(streamed) == REPLY
    (request,) = FakeServer.requests
    assert request["model"] == "smollm" and request["temperature"] == 0.0
    assert request["messages"] == prompt.messages(question)
    assert (answer.timings.prompt_tokens, answer.timings.generation_tokens) == (42, 7)


@pytest.mark.parametrize(
    ("owner", "field"),
    [("vllm", "structured_outputs"), ("llamacpp", "grammar"), ("me", None), (None, None)],
)
def test_the_grammar_travels_to_the_engines_that_enforce_it(
    endpoint: str, owner: str | None, field: str | None
) -> None:
    """vLLM and llama-server take llguidance's Lark; llama-cpp-python's server ("me") reads
    `grammar` as GBNF and dies on ours, mlx_lm.server and Ollama ignore it: they get none."""
    FakeServer.owner = owner
    question = "How many type errors are in src/?"
    answer = ask(question, SAMPLE, RemoteModel(endpoint).generate)
    assert answer.output == "3\n"
    (request,) = FakeServer.requests
    sent: dict[str, Any] = {
        k: request[k] for k in ("grammar", "structured_outputs") if k in request
    }
    assert list(sent) == ([field] if field else [])
    if field is not None:
        grammar = sent[field] if field == "grammar" else sent[field]["grammar"]
        assert grammar.startswith("%llguidance") and "typecheck" in grammar


def test_an_engine_that_refuses_the_grammar_is_asked_without_it(endpoint: str) -> None:
    FakeServer.owner, FakeServer.refuses_grammars = "llamacpp", True
    remote = RemoteModel(endpoint)
    for _ in range(2):
        answer = ask("How many type errors are in src/?", SAMPLE, remote.generate)
        assert answer.output == "3\n"
    assert ["grammar" in r for r in FakeServer.requests] == [True, False, False]  # asked once
    assert (
        remote.grammar_refused is not None and "Failed to parse grammar" in remote.grammar_refused
    )


def test_cancel_and_unreachable_server(endpoint: str) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        RemoteModel(endpoint).generate(GenerateRequest(prompt.messages("hi"), cancel=cancel))
    with pytest.raises(ModelError, match="failed"):
        RemoteModel("http://127.0.0.1:9/v1", timeout=2).generate(
            GenerateRequest(prompt.messages("hi"))
        )


async def test_a_dead_engine_fails_the_answer_not_the_server(tmp_path: Path) -> None:
    from lsprotocol import types
    from pygls.exceptions import JsonRpcException

    from tests.lsp_helpers import open_doc, published, session

    dead = {"model": {"enabled": True, "path": "http://127.0.0.1:9/v1"}}  # nothing listens
    async with session(tmp_path, root=SAMPLE, init_options=dead) as lsp:
        with pytest.raises(JsonRpcException, match=r"model server at .* failed"):
            await lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(command="punie.ask", arguments=[{"question": "hi"}])
            )
        # Diagnostics keep flowing.
        uri = open_doc(lsp, SAMPLE / "src" / "ledger" / "accounts.py")
        found = await published(lsp, uri, 1)
        assert any(d.source in ("ruff", "ty") for d in found)
