"""A remote backend: any OpenAI-compatible chat endpoint (mlx_lm.server, vLLM, llama.cpp).

For teams that share one model server. The same prompts (punie_lsp.prompt.messages) and the
same parser apply; the server applies its own chat template. Streaming uses server-sent
events; cancellation closes the connection.

With no model name (`URL` rather than `URL#name`) the request names none, and each engine
serves the model it was started with: mlx_lm.server its `--model` with its `--adapter-path`
(the name it would otherwise need is `default_model`), llama.cpp's llama-server its one
model, vLLM its first served model. Ollama needs a name. Usage (the token counts) is asked
for with `stream_options.include_usage`.

The Code Mode grammar travels to the engines known to enforce llguidance's Lark, told apart
by the `owned_by` of their `/models` list: llama.cpp's llama-server ("llamacpp") reads it
from `grammar` (a grammar opening with `%llguidance` goes to llguidance where the server was
built with it), vLLM ("vllm") from `structured_outputs.grammar` (its guidance backend). No
other engine is sent one: llama-cpp-python's server reads `grammar` as GBNF and its process
dies on ours. An engine that refuses the grammar (llama-server built without llguidance) is
asked again without it, and not sent one again. Where no grammar travels, the reply parser
and the sandbox check what it would have guaranteed (docs/settings.md).
"""

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from punie_lsp.model.generation import Backend, Cancelled, GenerateRequest, Generation, ModelError

log = logging.getLogger(__name__)


# The request fields an engine reads a Lark grammar from, by the engine's `owned_by`.
GRAMMAR_FIELDS: dict[str, Callable[[str], dict[str, object]]] = {
    "llamacpp": lambda grammar: {"grammar": grammar},
    "vllm": lambda grammar: {"structured_outputs": {"grammar": grammar}},
}


class _GrammarRefused(Exception):
    """The engine failed on the grammar sent with a request."""


class RemoteModel(Backend):
    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.loaded.set()  # nothing to load here; the endpoint is checked on first use
        self.description = f"{model or 'the served model'} at {base_url}"
        self.on_status = on_status
        self.base_url = base_url.rstrip("/")
        self.engine: str | None = None  # the `owned_by` of its models, once asked
        self.grammar_refused: str | None = None  # why the engine could not take a grammar

    def generate(self, request: GenerateRequest) -> Generation:
        if request.grammar is None or self.grammar_refused is not None:
            return self._generate(request, None)
        if self.engine is None:
            self.engine = self._owner()
        if self.engine not in GRAMMAR_FIELDS:
            return self._generate(request, None)
        try:
            return self._generate(request, GRAMMAR_FIELDS[self.engine](request.grammar))
        except _GrammarRefused as exc:
            self.grammar_refused = str(exc)
            log.warning(
                "the model server at %s did not take the grammar (%s); asking without it",
                self.url, exc,
            )  # fmt: skip
            return self._generate(request, None)

    def _owner(self) -> str:
        """Who serves the model (the `owned_by` of its entry in `/models`); "" if unsaid."""
        try:
            call = urllib.request.Request(f"{self.base_url}/models", headers=self._auth())
            with urllib.request.urlopen(call, timeout=min(self.timeout, 10)) as response:
                models = json.load(response).get("data") or []
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return ""  # the chat request will say what is wrong
        named = [m for m in models if isinstance(m, dict) and m.get("id") == self.model]
        first = (named or [m for m in models if isinstance(m, dict)] or [{}])[0]
        return str(first.get("owned_by") or "")

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _generate(self, request: GenerateRequest, grammar: dict[str, object] | None) -> Generation:
        """One streamed request; grammar: the fields that carry the grammar to this engine."""
        body: dict[str, object] = {
            "messages": list(request.turns),
            "max_tokens": request.max_tokens,
            "temperature": 0.0,  # greedy, as in process
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.model:
            body["model"] = self.model
        if request.stop:
            body["stop"] = list(request.stop)
        body.update(grammar or {})
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        headers.update(self._auth())
        call = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        start = time.perf_counter()
        first: float | None = None
        text, pieces, usage = "", 0, {}
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as response:
                for raw in response:
                    if request.cancelled():
                        raise Cancelled("the answer was cancelled")
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line.removeprefix("data:").strip()
                    if data == "[DONE]":
                        break
                    event = json.loads(data)
                    usage = event.get("usage") or usage
                    for choice in event.get("choices", []):
                        piece = (choice.get("delta") or {}).get("content") or ""
                        if piece:
                            first = first or time.perf_counter()
                            text += piece
                            pieces += 1
                            request.emit(piece)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            if grammar is not None and re.search(r"grammar|llguidance|structured", detail, re.I):
                raise _GrammarRefused(f"{exc.code}: {detail}") from exc
            raise ModelError(f"the model server at {self.url} said {exc.code}: {detail}") from exc
        except http.client.HTTPException as exc:  # the stream broke off
            if grammar is not None and not text:
                raise _GrammarRefused(f"the stream broke off: {exc!r}") from exc
            raise ModelError(f"the model server at {self.url} broke off its answer") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if isinstance(exc, TimeoutError) or isinstance(
                getattr(exc, "reason", None), TimeoutError
            ):
                raise ModelError(
                    f"the model server at {self.url} sent nothing for {self.timeout:g} s"
                ) from exc
            raise ModelError(f"the model server at {self.url} failed: {exc}") from exc
        end = time.perf_counter()
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            generation_tokens=int(usage.get("completion_tokens", pieces)),
            prompt_seconds=(first or end) - start,
            generation_seconds=end - (first or end),
        )
