"""A scripted model: replies read from a JSON file, streamed word by word.

For editor-client development and fast protocol tests, where the real model's answers are
beside the point: `{"model": {"path": "scripted:/path/to/script.json"}}` with

    {"load_seconds": 0.5, "delay": 0.02, "replies": ["<tool_call>...", "A direct answer."]}

Replies are used in turn (the last one repeats). Same interface as ModelHost.
"""

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from punie_lsp.model.generation import Backend, Cancelled, GenerateRequest, Generation


class ScriptedModel(Backend):
    def __init__(self, script: str | Path, on_status: Callable[[str], None] | None = None):
        super().__init__()
        self.script = Path(script)
        self.on_status = on_status or (lambda message: None)
        self.description = f"scripted ({self.script.name})"
        self.replies: list[str] = []
        self.delay = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def start(self) -> "ScriptedModel":
        threading.Thread(target=self._load, name="punie-scripted", daemon=True).start()
        return self

    def _load(self) -> None:
        start = time.perf_counter()
        try:
            data = json.loads(self.script.read_text(encoding="utf-8"))
            self.on_status("loading the scripted model")
            time.sleep(float(data.get("load_seconds", 0)))
            self.replies = [str(r) for r in data["replies"]] or [""]
            self.delay = float(data.get("delay", 0))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.load_error = f"the scripted model could not be loaded: {exc}"
        self.load_seconds = time.perf_counter() - start
        self.loaded.set()

    def generate(self, request: GenerateRequest) -> Generation:
        self.wait_loaded()
        with self._lock:
            reply = self.replies[min(self.calls, len(self.replies) - 1)]
            self.calls += 1
        start = time.perf_counter()
        pieces = re.findall(r"\S+\s*|\s+", reply)[: request.max_tokens]
        for piece in pieces:
            if request.cancelled():
                raise Cancelled("the answer was cancelled")
            time.sleep(self.delay)
            request.emit(piece)
        text = "".join(pieces)
        return Generation(
            text=text,
            prompt_tokens=sum(len(t["content"].split()) for t in request.turns),
            generation_tokens=len(pieces),
            generation_seconds=time.perf_counter() - start,
        )
