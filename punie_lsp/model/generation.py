"""What every model backend is, is asked, returns, and how it fails."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class ModelError(Exception):
    """The model could not be loaded or could not answer."""


class Cancelled(Exception):
    """The caller cancelled the generation."""


@dataclass(frozen=True)
class GenerateRequest:
    """One generation, whichever backend does it: greedy, until max_tokens, an end of
    sequence, or one of the stop texts (included in the text). on_text hears each new piece
    as it comes; setting cancel ends the generation with Cancelled."""

    turns: Sequence[dict[str, str]]
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    on_text: Callable[[str], None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    # A Lark grammar (llguidance's dialect) the reply must follow; a backend that cannot
    # constrain its decoding ignores it.
    grammar: str | None = None

    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def emit(self, piece: str) -> None:
        if piece and self.on_text is not None:
            self.on_text(piece)


@dataclass
class Generation:
    text: str
    prompt_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, taken from the system prompt's cache
    generation_tokens: int = 0
    prompt_seconds: float = 0.0  # until the first generated token
    generation_seconds: float = 0.0
    drafted_tokens: int = 0  # guessed by prompt lookup (model/lookup.py)
    accepted_tokens: int = 0  # of those, the ones the model agreed with
    passes: int = 0  # forward passes of the model, the prompt's included
    corrected_tokens: int = 0  # greedy tokens the grammar turned down (model/constraint.py)
    constrained: bool = False  # decoded under the request's grammar
    constraint_seconds: float = 0.0  # spent on the grammar: compiling it, then per token
    constraint_build_seconds: float = 0.0  # of which compiling it
    blas_threads: int = 0  # OpenBLAS threads it ran on (model/blas.py); 0: another BLAS


class Backend:
    """What the server and the agent need of a model, whichever way it runs (in process,
    remote, scripted): a load that may still be going on, and a blocking generate."""

    description = ""

    def __init__(self) -> None:
        self.loaded = threading.Event()
        self.load_error: str | None = None
        self.load_seconds = 0.0

    def start(self) -> "Backend":
        return self

    def stop(self, timeout: float = 10.0) -> None:
        pass

    def wait_loaded(self, timeout: float | None = None) -> None:
        """Block until the model is ready; raises ModelError if loading failed."""
        if not self.loaded.wait(timeout):
            raise ModelError("the model is still loading")
        if self.load_error:
            raise ModelError(self.load_error)

    def generate(self, request: GenerateRequest) -> Generation:
        raise NotImplementedError
