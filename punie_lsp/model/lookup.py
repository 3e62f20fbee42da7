"""Greedy decoding with prompt-lookup drafts (speculative decoding without a draft model).

On a CPU, one forward pass over a 135M model costs about the same for one token as for eight
(it is bound by reading the weights and by per-operation overhead, not by arithmetic). Code
Mode replies repeat their prompt (tool names, paths, field names) and themselves (`print(`
lines), so the tokens that followed the latest earlier occurrence of the last few tokens are
a good guess for what comes next. Guesses also come from the replies the adapter was trained
on (`replies.json` beside it, indexed by n-gram), which know the tool-call scaffolding before
the reply has written any of it. Each pass feeds the last token plus such a guess; the guess
is kept up to its first token that differs from the model's own argmax, and the key-value
cache is trimmed back over the rest. The tokens produced are the greedy tokens, whatever the
guesses were (tests/test_real_model.py checks them against mlx-lm's generate).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
from mlx_lm.models.cache import trim_prompt_cache

# Longest n-gram matched, and the most tokens guessed per pass; measured in bench/model.py.
MAX_NGRAM = 3
INDEX_NGRAM = 5
DRAFT_TOKENS = 8


@dataclass
class LookupStats:
    drafted: int = 0  # tokens guessed
    accepted: int = 0  # guessed tokens the model agreed with


# n-gram -> the tokens that followed it in a known reply (the first such reply).
ReplyIndex = dict[tuple[int, ...], tuple[int, ...]]


def index_replies(replies: Sequence[Sequence[int]], max_ngram: int = INDEX_NGRAM) -> ReplyIndex:
    index: ReplyIndex = {}
    for reply in replies:
        for end in range(1, len(reply)):
            follow = tuple(reply[end : end + DRAFT_TOKENS])
            for n in range(1, min(max_ngram, end) + 1):
                index.setdefault(tuple(reply[end - n : end]), follow)
    return index


def _from_history(history: Sequence[int], count: int, max_ngram: int) -> tuple[int, list[int]]:
    for n in range(min(max_ngram, len(history) - 1), 0, -1):
        tail = list(history[-n:])
        for start in range(len(history) - n - 1, -1, -1):
            if list(history[start : start + n]) == tail:
                return n, list(history[start + n : start + n + count])
    return 0, []


def _from_index(history: Sequence[int], count: int, index: ReplyIndex) -> tuple[int, list[int]]:
    for n in range(min(INDEX_NGRAM, len(history)), 0, -1):
        if (follow := index.get(tuple(history[-n:]))) is not None:
            return n, list(follow[:count])
    return 0, []


def draft(
    history: Sequence[int],
    count: int,
    index: ReplyIndex | None = None,
    max_ngram: int = MAX_NGRAM,
) -> list[int]:
    """Up to count tokens guessed to follow history: what followed the longest match of its
    last tokens, earlier in history (paths, names) or in a known reply (the scaffolding);
    history wins a tie. None when nothing matches."""
    if count <= 0:
        return []
    n, guess = _from_history(history, count, max_ngram)
    if index:
        m, known = _from_index(history, count, index)
        if m > n:
            guess = known
    return guess


def _argmax(logits: mx.array) -> list[int]:
    """The greedy token at each position of a (positions, vocabulary) array."""
    best = mx.argmax(logits, axis=-1).tolist()
    assert isinstance(best, list)
    return [token for token in best if isinstance(token, int)]  # all of them: argmax is int


def generate(
    model: Any,
    cache: list[Any],
    prompt: Sequence[int],
    feed: Sequence[int],
    *,
    max_tokens: int,
    eos: set[int],
    draft_tokens: int = DRAFT_TOKENS,
    index: ReplyIndex | None = None,
    stats: LookupStats | None = None,
) -> Iterator[int]:
    """Greedy tokens after prompt, one at a time. feed is the part of prompt the cache has
    not seen yet; the cache must be trimmable. Stops after an eos token or max_tokens."""
    stats = stats if stats is not None else LookupStats()
    logits = model(mx.array(list(feed))[None], cache=cache)
    token = _argmax(logits[0, -1:])[0]
    history = [*prompt, token]  # the prompt, every token yielded, and the one about to be
    produced = 0
    # Guess less after a miss, more after a hit: a wrong guess costs a wider pass (prose
    # replies rarely repeat), a right one saves passes.
    size = draft_tokens
    while True:
        pending = [token]
        if produced + 1 < max_tokens and token not in eos:
            guess = draft(history, min(size, max_tokens - produced - 1), index)
            logits = model(mx.array([token, *guess])[None], cache=cache)
            best = _argmax(logits[0])
            accepted = 0
            while accepted < len(guess) and best[accepted] == guess[accepted]:
                accepted += 1
            if accepted < len(guess):
                trim_prompt_cache(cache, len(guess) - accepted)
            stats.drafted += len(guess)
            stats.accepted += accepted
            if guess and accepted == 0:
                size = max(1, size // 2)
            elif guess and accepted == len(guess):
                size = min(draft_tokens, size * 2)
            token = best[accepted]
            pending += guess[:accepted]
            history += [*guess[:accepted], token]
        for item in pending:
            yield item
            produced += 1
            if item in eos or produced >= max_tokens:
                return
