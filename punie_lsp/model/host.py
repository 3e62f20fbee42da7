"""The model host: one thread owns the mlx-lm model, from loading to every generation.

mlx state is not shared between threads here: the LSP loop and the CLI only submit jobs and
wait on futures. Loading starts at once in the background; a job submitted meanwhile waits
for it. The system prompt's key-value cache is computed once after loading and reused for
every question (trimmed back to the system prefix after each answer). Decoding is greedy,
with prompt-lookup drafts verified several tokens per pass (model/lookup.py).
"""

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from punie_lsp import prompt
from punie_lsp.cache import cache_dir, keep, keyed
from punie_lsp.model.generation import Backend, Cancelled, GenerateRequest, Generation, ModelError
from punie_lsp.model.recall import Recall

if TYPE_CHECKING:  # lookup imports mlx, which the language server must not wait for at start
    from punie_lsp.model.lookup import ReplyIndex

log = logging.getLogger(__name__)

# The `model.path` prefix of a scripted model (model/scripted.py), for protocol tests.
SCRIPTED = "scripted:"


@dataclass(frozen=True)
class ModelSpec:
    """What to load: None means the embedded default (with the shipped adapter)."""

    model: str | None = None  # a model folder or a Hugging Face id
    adapter: str | None = None  # a LoRA adapter folder; "none" to go without
    dtype: str | None = None  # for the embedded model's conversion


@dataclass
class _Job:
    request: GenerateRequest
    future: Future[Generation] = field(default_factory=Future)


def default_adapter() -> Path | None:
    """The project's own LoRA adapter for the embedded model, when one ships."""
    path = Path(__file__).parent / "adapters" / "smollm2-135m-codemode"
    return path if (path / "adapters.safetensors").is_file() else None


class ModelHost(Backend):
    def __init__(
        self,
        spec: ModelSpec | None = None,
        on_status: Callable[[str], None] | None = None,
        draft_tokens: int | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec or ModelSpec()
        self.draft_tokens = draft_tokens  # 0: one token per forward pass; None: lookup's own
        self.replies: ReplyIndex = {}
        self.recall: Recall | None = None
        self.on_status = on_status or (lambda message: None)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="punie-model", daemon=True)
        self._model: Any = None
        self._tokenizer: Any = None
        self._cache: Any = None
        self._prefix: list[int] = []
        self._grammar_tokenizer: Any = None  # llguidance's index of the vocabulary

    def start(self) -> "ModelHost":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """End the model thread (after its current job). Joined, because mlx aborts the
        process when its thread is still running as the interpreter exits."""
        self._stopping.set()  # the answer in progress ends at its next token
        self._jobs.put(None)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def submit(self, request: GenerateRequest) -> Future[Generation]:
        """Queue a generation; the future holds a Generation, or ModelError / Cancelled."""
        job = _Job(request)
        self._jobs.put(job)
        return job.future

    def generate(self, request: GenerateRequest) -> Generation:
        return self.submit(request).result()

    # --- everything below runs on the model thread ---

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            self._load()
        except Exception as exc:  # reported to every job, never raised into the server
            log.debug("model load failed", exc_info=True)
            self.load_error = f"the model could not be loaded: {exc}"
        self.load_seconds = time.perf_counter() - start
        self.loaded.set()
        while (job := self._jobs.get()) is not None:
            if job.future.set_running_or_notify_cancel():
                self._serve(job)

    def _serve(self, job: _Job) -> None:
        if self.load_error:
            job.future.set_exception(ModelError(self.load_error))
            return
        try:
            job.future.set_result(self._generate(job))
        except Exception as exc:
            log.exception("generation failed")
            job.future.set_exception(exc if isinstance(exc, Cancelled) else ModelError(str(exc)))

    def _load(self) -> None:
        from punie_lsp.model import blas

        blas.load()  # before mlx: its matrix products then run on OpenBLAS
        blas.fit_threads()  # the load's own products, beside the server's lint children
        from punie_lsp.model.embedded import embedded_model_dir
        from punie_lsp.model.loading import load  # mlx is the model thread's business only

        spec = self.spec
        adapter = spec.adapter
        if spec.model is None or Path(spec.model).is_dir():
            # A local model never needs the hub; make sure nothing tries to reach it.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if spec.model is None:
            self.on_status("preparing the embedded model")
            path = str(embedded_model_dir(spec.dtype))
            if adapter is None and (shipped := default_adapter()) is not None:
                adapter = str(shipped)
            name = "SmolLM2-135M-Instruct (embedded)"
        elif spec.model.startswith(("/", ".", "~")) and not Path(spec.model).expanduser().is_dir():
            raise ModelError(f"no model folder at {spec.model}")
        else:
            path, name = str(Path(spec.model).expanduser()), spec.model
        if adapter is not None and adapter.lower() == "none":
            adapter = None
        self.on_status("loading the model")
        model, tokenizer = load(path, adapter)
        self._model, self._tokenizer = model, tokenizer
        self.description = name + (f" + adapter {Path(adapter).name}" if adapter else "")
        # A fused model (punie-lsp train --fuse) carries its replies.json in its own folder.
        self._load_known_replies(Path(adapter or path) / "replies.json")
        self.on_status("caching the system prompt")
        self._cache_system_prompt(_weight_files(path, adapter))
        self._index_vocabulary()
        log.info("model ready: %s", self.description)

    def _load_known_replies(self, path: Path) -> None:
        """The training replies beside the adapter or model (model/replies.py): indexed by
        n-gram for drafting and, where the file has the training questions too, learnt from
        to guess a question's whole reply."""
        from punie_lsp.model import replies
        from punie_lsp.model.lookup import DRAFT_TOKENS, INDEX_NGRAM, cached_index, index_replies
        from punie_lsp.model.recall import build

        if not path.is_file():
            return
        try:
            raw = path.read_bytes()
            known = replies.read(path)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("ignoring %s: %s", path, exc)  # drafts are an optimization only
            self.replies, self.recall = {}, None
            return
        calls, head = known.calls(), self._reply_head()

        def index() -> dict:
            encoded = [self._tokenizer.encode(r, add_special_tokens=False) for r in calls]
            return index_replies(encoded, head=head)

        # What the index depends on: the file, and how this tokenizer reads replies.
        probe = self._tokenizer.encode("\n".join(calls[:3]), add_special_tokens=False)
        key = raw + repr((head, list(probe), INDEX_NGRAM, DRAFT_TOKENS)).encode()
        self.replies = cached_index(key, index)
        self.recall = build(known.pairs()) if known.questions else None

    def _reply_guess(self, turns: Sequence[dict[str, str]]) -> list[int]:
        """A guess at the whole first reply to a question (model/recall.py), as tokens."""
        from punie_lsp.model.recall import guess_reply

        if self.recall is None or [t["role"] for t in turns[-2:]] != ["system", "user"]:
            return []
        text = guess_reply(self.recall, turns[-1]["content"])
        return list(self._tokenizer.encode(text, add_special_tokens=False)) if text else []

    def _reply_head(self) -> list[int]:
        """The tokens that open the assistant's turn in this model's chat template (what two
        prompts with different questions end with), so the index can guess a reply's first
        tokens from the prompt's own pass."""
        a, b = (self._encode(prompt.render(self._tokenizer, prompt.messages(q))) for q in "ab")
        size = 0
        while size < min(len(a), len(b)) and a[-1 - size] == b[-1 - size]:
            size += 1
        return a[len(a) - size :]

    def _encode(self, text: str) -> list[int]:
        bos = self._tokenizer.bos_token
        special = not (bos and text.startswith(bos))  # the template may have added it already
        return list(self._tokenizer.encode(text, add_special_tokens=special))

    def _cache_system_prompt(self, weights: list[tuple[str, int, int]]) -> None:
        """The system prompt's keys and values, computed once and kept in the cache under
        the files the weights came from (none: not kept)."""
        import mlx.core as mx
        from mlx_lm.models.cache import (
            can_trim_prompt_cache,
            make_prompt_cache,
            save_prompt_cache,
        )

        cache = make_prompt_cache(self._model)
        if not can_trim_prompt_cache(cache):
            return  # a model whose cache cannot be rewound gets no shared prefix
        self._prefix = self._encode(prompt.system_prefix(self._tokenizer))
        saved = _saved_prefix(weights, self._prefix) if weights else None
        if saved is not None and (loaded := _read_prefix(saved, len(self._prefix))) is not None:
            self._cache = loaded
            return
        self._model(mx.array(self._prefix)[None], cache=cache)
        mx.eval([c.state for c in cache])
        self._cache = cache
        if saved is not None:
            keep(saved, lambda partial: save_prompt_cache(str(partial), cache))

    def _index_vocabulary(self) -> None:
        from punie_lsp.model.constraint import tokenizer_for

        try:
            self._grammar_tokenizer = tokenizer_for(self._tokenizer, self._tokenizer.eos_token_ids)
        except Exception as exc:  # a model without a fast tokenizer answers unconstrained
            log.warning("constrained decoding is off for this model: %s", exc)

    def _constraint(self, request: GenerateRequest) -> Any:
        from punie_lsp.model.constraint import Constraint

        if request.grammar is None or self._grammar_tokenizer is None:
            return None
        return Constraint(self._grammar_tokenizer, request.grammar)

    def _generate(self, job: _Job) -> Generation:
        from mlx_lm.models.cache import make_prompt_cache, trim_prompt_cache

        from punie_lsp.model import blas
        from punie_lsp.model.lookup import DRAFT_TOKENS, LookupStats, generate

        request = job.request
        tokens = self._encode(prompt.render(self._tokenizer, request.turns))
        cache, feed = make_prompt_cache(self._model), tokens
        shared = bool(self._cache) and tokens[: len(self._prefix)] == self._prefix
        if shared:
            cache, feed = self._cache, tokens[len(self._prefix) :]
        result = Generation(text="", prompt_tokens=len(tokens), blas_threads=blas.fit_threads())
        stats = LookupStats()
        constraint = self._constraint(request)
        detokenizer = self._tokenizer.detokenizer
        detokenizer.reset()
        eos = set(self._tokenizer.eos_token_ids)

        def emit() -> None:
            # Kept here: a naive detokenizer decodes everything again on every `.text`.
            piece = detokenizer.last_segment
            result.text += piece
            request.emit(piece)

        start = time.perf_counter()
        first: float | None = None
        try:
            for token in generate(
                self._model, cache, tokens, feed, max_tokens=request.max_tokens, eos=eos,
                draft_tokens=DRAFT_TOKENS if self.draft_tokens is None else self.draft_tokens,
                index=self.replies,
                reply_guess=self._reply_guess(request.turns), stats=stats,
                constraint=constraint,
            ):  # fmt: skip
                if first is None:
                    first = time.perf_counter()
                if request.cancelled() or self._stopping.is_set():
                    raise Cancelled("the answer was cancelled")
                result.generation_tokens += 1
                if token in eos:
                    break
                detokenizer.add_token(token)
                emit()
                if any(stop in result.text for stop in request.stop):
                    break
            detokenizer.finalize()
            emit()
        finally:
            if shared:  # rewind the shared cache to the system prompt for the next question
                trim_prompt_cache(cache, cache[0].offset - len(self._prefix))
        end = time.perf_counter()
        result.cached_tokens = len(self._prefix) if shared else 0
        result.prompt_seconds = (first or end) - start
        result.generation_seconds = end - (first or end)
        result.drafted_tokens, result.accepted_tokens = stats.drafted, stats.accepted
        result.passes = stats.passes
        if constraint is not None:
            result.constrained, result.corrected_tokens = True, constraint.corrected
            result.constraint_seconds = constraint.seconds
            result.constraint_build_seconds = constraint.build_seconds
        return result


def _weight_files(model: str, adapter: str | None) -> list[tuple[str, int, int]]:
    """The files the weights came from, each as (path, size, modification time)."""
    files = sorted(Path(model).glob("*.safetensors"))
    if adapter is not None:
        files += sorted(Path(adapter).glob("*.safetensors"))
    return [(str(f), (st := f.stat()).st_size, st.st_mtime_ns) for f in files]


def _saved_prefix(weights: list[tuple[str, int, int]], prefix: list[int]) -> Path:
    """Where the system prompt's keys and values for these weights are kept: computing them
    is a forward pass over the whole system prompt at every load."""
    from importlib.metadata import version

    key = repr((weights, prefix, version("mlx"), version("mlx-lm"))).encode()
    return keyed(cache_dir("prefixes"), key, suffix=".safetensors")


def _read_prefix(saved: Path, length: int) -> list[Any] | None:
    """The saved cache, if it is whole and of this prefix's length; the file is only ever a
    shortcut, so anything else means computing it again."""
    from mlx_lm.models.cache import load_prompt_cache

    if not saved.is_file():
        return None
    try:
        cache = load_prompt_cache(str(saved))
    except Exception:  # a partial or foreign file
        log.debug("ignoring %s", saved, exc_info=True)
        return None
    return cache if cache and all(c.offset == length for c in cache) else None


def make_host(spec: ModelSpec, on_status: Callable[[str], None] | None = None) -> Backend:
    """The backend for spec, not yet started: in-process mlx-lm, an OpenAI-compatible
    endpoint (a model that is an http(s) URL, optionally `URL#model-name`), or a scripted
    model. Its `start()` begins loading; the server calls it once the first diagnostics are
    out."""
    if spec.model is not None and spec.model.startswith(("http://", "https://")):
        from punie_lsp.model.remote import RemoteModel

        url, _, name = spec.model.partition("#")
        return RemoteModel(url, name or None, os.environ.get("PUNIE_API_KEY"))
    if spec.model is not None and spec.model.startswith(SCRIPTED):
        from punie_lsp.model.scripted import ScriptedModel

        return ScriptedModel(spec.model.removeprefix(SCRIPTED), on_status)
    return ModelHost(spec, on_status)


def exit_without_teardown(code: int) -> NoReturn:
    """Leave the process once all output is flushed, skipping interpreter teardown: mlx aborts
    ("terminate called without an active exception") when the interpreter tears down after a
    thread of its own ran (ml-explore/mlx#3126)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(ValueError, OSError):  # pygls may have closed stdout
            stream.flush()
    logging.shutdown()
    os._exit(code)
