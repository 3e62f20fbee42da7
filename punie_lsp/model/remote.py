"""A remote backend: any OpenAI-compatible chat endpoint (mlx_lm.server, vLLM, llama.cpp).

For teams that share one model server. The same prompts (punie_lsp.prompt.messages) and the
same parser apply; the server applies its own chat template. Streaming uses server-sent
events; cancellation closes the connection.

With no model name (`URL` rather than `URL#name`) the request names none, and each engine
serves the model it was started with: mlx_lm.server its `--model` with its `--adapter-path`
(the name it would otherwise need is `default_model`), llama.cpp's llama-server its one
model, vLLM its first served model. Ollama needs a name. Usage (the token counts) is asked
for with `stream_options.include_usage`.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from punie_lsp.model.generation import Backend, Cancelled, GenerateRequest, Generation, ModelError


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

    def generate(self, request: GenerateRequest) -> Generation:
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
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        start = time.perf_counter()
        first: float | None = None
        text, pieces, usage = "", 0, {}
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
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
            raise ModelError(f"the model server at {self.url} said {exc.code}: {detail}") from exc
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
