"""Greedy decoding with prompt-lookup drafts (speculative decoding without a draft model).

On a CPU, one forward pass over a 135M model costs about 1.4x for eight tokens what it costs
for one, 2x for 24 (it is bound by reading the weights and by per-operation overhead, not by
arithmetic). Code Mode replies repeat their prompt (tool names, paths, field names) and
themselves (`print(` lines), so the tokens that followed the latest earlier occurrence of
the last few tokens are a good guess for what comes next. Guesses also come from the replies
the adapter was trained on (`replies.json` beside it, indexed by n-gram), which know the
tool-call scaffolding before the reply has written any of it, from the prompt's own pass on.
Each pass feeds the last token plus such a guess; the guess is kept up to its first token
that differs from the model's own argmax, and the key-value cache is trimmed back over the
rest. A guess at the whole reply (model/recall.py: the known reply the question most likely
asks for) goes first where it matches at least as long a tail (two tokens at least), up to
64 tokens a pass: when it is right, a reply takes one or two passes. The tokens produced are
the greedy tokens, whatever the guesses were (tests/test_real_model.py checks them against
mlx-lm's generate)."""

import marshal
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlx.core as mx
from mlx_lm.models.cache import trim_prompt_cache

from punie_lsp.cache import cache_dir, keep, keyed
from punie_lsp.model.constraint import Constraint, constrained

# Longest n-gram matched in the reply so far and in the known replies, and the most tokens
# guessed per pass: measured in bench/model.py (a pass over 24 tokens costs ~2x a pass over
# one here, and a Code Mode reply's scaffolding runs 20-30 tokens between the parts the
# model chooses).
MAX_NGRAM = 3
INDEX_NGRAM = 8
DRAFT_TOKENS = 24
# A guess at the whole reply is right far more often than an n-gram's continuation, so it may
# be longer: a pass over 64 tokens costs ~4x one over a single token (bench/model.py), and a
# Code Mode reply of ~100 tokens then takes two passes instead of four or more.
REPLY_GUESS_TOKENS = 64


@dataclass
class LookupStats:
    drafted: int = 0  # tokens guessed
    accepted: int = 0  # guessed tokens the model agreed with
    passes: int = 0  # forward passes, the prompt's included


# n-gram -> the tokens that most often followed it in the known replies.
ReplyIndex = dict[tuple[int, ...], tuple[int, ...]]


def index_replies(
    replies: Sequence[Sequence[int]],
    head: Sequence[int] = (),
    max_ngram: int = INDEX_NGRAM,
    follow: int = DRAFT_TOKENS,
) -> ReplyIndex:
    """Index known replies by every n-gram (n <= max_ngram) to the follow tokens after it.
    head (the tokens that open the assistant's turn) is put before each reply, so that the
    reply's first tokens can be guessed from the prompt's end. Where replies disagree after
    the same n-gram, the most frequent continuation wins (the first one on a tie)."""
    # One count over every (n-gram, continuation) pair, made by a comprehension: the index
    # is built at every model load, and this is several times faster than a Counter per key.
    streams = [(*head, *reply) for reply in replies]
    pairs = Counter(
        (tokens[end - n : end], tokens[end : end + follow])
        for tokens in streams
        for end in range(1, len(tokens))
        for n in range(1, min(max_ngram, end) + 1)
    )
    best: dict[tuple[int, ...], tuple[tuple[int, ...], int]] = {}
    for (key, after), count in pairs.items():  # first seen first: ties keep the first
        if key not in best or count > best[key][1]:
            best[key] = (after, count)
    return {key: after for key, (after, _) in best.items()}


def cached_index(
    key: bytes, build: Callable[[], ReplyIndex], folder: Path | None = None
) -> ReplyIndex:
    """The index build() makes, kept in the cache under key's digest (key: what the index
    is made from, its replies file and the tokenizer's view of it), so that a model load
    reads it instead of encoding and counting every known reply again. An unreadable or
    foreign file is rebuilt; the cache is only ever a shortcut."""
    where = keyed(folder or cache_dir("replies"), key, stem="index-")
    try:
        index = marshal.loads(where.read_bytes())
        if isinstance(index, dict):
            return index
    except (OSError, ValueError, EOFError, TypeError):
        pass
    index = build()
    keep(where, lambda partial: partial.write_bytes(marshal.dumps(index)))
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


def _from_guess(
    history: Sequence[int], count: int, reply: Sequence[int], start: int
) -> tuple[int, list[int]]:
    """What follows the longest match (up to INDEX_NGRAM tokens) of history's tail in reply,
    a guess at the tokens from history[start] on. Of equally long matches, the one nearest
    to where history now ends in reply wins: a reply repeats its own lines."""
    at = len(history) - start
    best, best_end = 0, -1
    for end in range(1, len(reply)):  # reply[end] is what would follow
        if reply[end - 1] != history[-1]:
            continue
        n = 1
        while n < min(INDEX_NGRAM, end, len(history)) and reply[end - 1 - n] == history[-1 - n]:
            n += 1
        if n > best or (n == best and abs(end - at) < abs(best_end - at)):
            best, best_end = n, end
    return (best, list(reply[best_end : best_end + count])) if best else (0, [])


def _draft(
    history: Sequence[int], count: int, index: ReplyIndex | None, max_ngram: int
) -> tuple[int, list[int]]:
    n, guess = _from_history(history, count, max_ngram)
    if index:
        m, known = _from_index(history, count, index)
        if m > n:
            return m, known
    return n, guess


def draft(
    history: Sequence[int],
    count: int,
    index: ReplyIndex | None = None,
    max_ngram: int = MAX_NGRAM,
) -> list[int]:
    """Up to count tokens guessed to follow history: what followed the longest match of its
    last tokens, earlier in history (paths, names) or in a known reply (the scaffolding);
    history wins a tie. None when nothing matches."""
    return _draft(history, count, index, max_ngram)[1] if count > 0 else []


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
    reply_guess: Sequence[int] = (),
    reply_guess_tokens: int = REPLY_GUESS_TOKENS,
    stats: LookupStats | None = None,
    constraint: Constraint | None = None,
) -> Iterator[int]:
    """Greedy tokens after prompt, one at a time. feed is the part of prompt the cache has
    not seen yet (at least one token); the cache must be trimmable. Stops after an eos token
    or max_tokens. The prompt's own pass carries a guess too (the reply's opening).
    reply_guess is a guess at the whole reply, drafted from wherever it matches. With a
    constraint, every token is the greedy one among those its grammar allows."""
    stats = stats if stats is not None else LookupStats()
    history = list(prompt)  # the prompt and every token produced
    # The guessed reply with the prompt's last tokens before it, so that it matches from the
    # prompt's own pass on; `start` is where it sits in history.
    guide = [*prompt[-INDEX_NGRAM:], *reply_guess] if reply_guess and draft_tokens > 0 else []
    start = len(prompt) - min(INDEX_NGRAM, len(prompt))
    inputs = list(feed)  # what the cache has not seen: the feed, then the latest token
    produced = 0
    # Guess less after a pass that kept nothing (prose rarely repeats, and a wrong guess
    # costs a wider pass), the full size again after one that kept something.
    size, whole_size = draft_tokens, reply_guess_tokens
    while True:
        budget = max_tokens - produced - 1
        n, guess = _draft(history, min(size, budget), index, MAX_NGRAM) if budget > 0 else (0, [])
        from_guide = False
        if guide and budget > 0:
            r, whole = _from_guess(history, min(whole_size, budget), guide, start)
            if whole and r >= max(n, 2):  # one token in common is chance, in prose
                guess, from_guide = whole, True
        logits = model(mx.array([*inputs, *guess])[None], cache=cache)
        # The model's token after the last input, and after each guessed token.
        best = _argmax(logits[0, len(inputs) - 1 :])
        if constraint is None:
            accepted = 0
            while accepted < len(guess) and best[accepted] == guess[accepted]:
                accepted += 1
            new = [*guess[:accepted], best[accepted]]
        else:
            new, constraint = constrained(constraint, logits[0, len(inputs) - 1 :], best, guess)
            accepted = len(new) - 1
        if accepted < len(guess):
            trim_prompt_cache(cache, len(guess) - accepted)
        stats.passes += 1
        stats.drafted += len(guess)
        stats.accepted += accepted
        if guess and accepted == 0 and from_guide:
            # Off the guessed reply (prose shares short n-grams with any text): wide wrong
            # passes cost ~4 ms a token.
            whole_size = max(1, whole_size // 2)
        elif guess and accepted == 0:
            size = max(1, size // 2)
        elif accepted:
            size, whole_size = draft_tokens, reply_guess_tokens
        for item in new:
            yield item
            produced += 1
            if item in eos or produced >= max_tokens:
                return
        history += new
        inputs = new[-1:]
