"""Grammar-constrained greedy decoding with llguidance.

The grammar (Lark, from agent/grammar.py) comes with the request; this module only applies
it. The model's own greedy token is tried first: when the grammar accepts it, it is the
constrained greedy token too (a mask only removes tokens), so wherever the unconstrained
output was valid the output is unchanged, and the cost is one consume per token. Only a
rejected token costs a mask and an argmax over the allowed ones. A drafted token (model/
lookup.py) is kept only where it equals that constrained token: a draft the grammar rejects
is a rejected draft.
"""

import logging
import time
from collections.abc import Sequence
from typing import Any

import llguidance
import mlx.core as mx
import numpy as np

log = logging.getLogger(__name__)


def tokenizer_for(tokenizer: Any, eos: Sequence[int]) -> llguidance.LLTokenizer:
    """llguidance's view of an mlx-lm tokenizer (a Hugging Face fast tokenizer inside it) or
    of a `tokenizers` Tokenizer; built once per model, as it indexes the whole vocabulary."""
    inner = getattr(tokenizer, "_tokenizer", tokenizer)
    backend = getattr(inner, "backend_tokenizer", inner)
    if not hasattr(backend, "to_str"):
        raise ValueError("constrained decoding needs a Hugging Face fast tokenizer")
    return llguidance.LLTokenizer(backend.to_str(), eos_token=list(eos))


class Constraint:
    """One generation's grammar state: feed it each position's logits and greedy token."""

    def __init__(self, tokenizer: llguidance.LLTokenizer, grammar: str) -> None:
        start = time.perf_counter()
        self._matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
        if self._matcher.is_error():
            raise ValueError(f"invalid grammar: {self._matcher.get_error()}")
        self.corrected = 0  # greedy tokens the grammar turned down
        self.build_seconds = time.perf_counter() - start  # compiling the grammar
        self.seconds = self.build_seconds  # and, added per token, applying it

    def choose(self, logits: mx.array, greedy: int) -> int:
        """The greedy token among those the grammar allows, consumed. logits: one position."""
        start = time.perf_counter()
        try:
            return self._choose(logits, greedy)
        finally:
            self.seconds += time.perf_counter() - start

    def _choose(self, logits: mx.array, greedy: int) -> int:
        matcher = self._matcher
        if matcher.is_stopped():  # the reply is whole (a call's close): the end-of-turn is free
            return greedy
        if matcher.try_consume_tokens([greedy]) == 1:
            return greedy
        allowed = np.unpackbits(
            np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8), bitorder="little"
        ).astype(bool)
        scores = np.array(logits.astype(mx.float32))
        size = min(len(scores), len(allowed))
        scores = np.where(allowed[:size], scores[:size], -np.inf)
        token = int(np.argmax(scores))
        if not np.isfinite(scores[token]) or matcher.try_consume_tokens([token]) != 1:
            # Nothing allowed: the grammar is exhausted or in error. The sandbox's own checks
            # still stand; the reply is left as the model writes it from here.
            log.warning("grammar gave no token (%s); unconstrained from here", matcher.get_error())
            raise Unconstrained
        self.corrected += 1
        return token

    def accepting(self) -> bool:
        return self._matcher.is_accepting()


class Unconstrained(Exception):
    """The grammar can go no further; decoding continues without it."""


def constrained(
    constraint: Constraint | None, logits: mx.array, best: Sequence[int], guess: Sequence[int]
) -> tuple[list[int], Constraint | None]:
    """The tokens one verified pass yields: the drafted tokens while each equals the
    (constrained) greedy token at its position, then the first one that differs. logits and
    best cover the last input and each guessed token. The constraint comes back None once
    the grammar has nothing more to allow."""
    new: list[int] = []
    for position in range(len(guess) + 1):
        token = best[position]
        if constraint is not None:
            try:
                token = constraint.choose(logits[position], token)
            except Unconstrained:
                constraint = None
        new.append(token)
        if position == len(guess) or token != guess[position]:
            break
    return new, constraint
