"""Prompt-lookup drafts (model/lookup.py): what is guessed. That the output stays the greedy
output whatever is guessed is checked on the real model in tests/test_real_model.py."""

from pathlib import Path

import mlx.core as mx
import pytest

from punie_lsp.model.lookup import ReplyIndex, cached_index, draft, generate, index_replies


def test_draft_follows_the_latest_repeat_of_the_tail() -> None:
    history = [1, 2, 3, 9, 1, 2, 3, 7, 8, 5, 1, 2, 3]
    assert draft(history, 2) == [7, 8]  # the latest earlier "1 2 3" was followed by 7 8
    assert draft(history, 10) == [7, 8, 5, 1, 2, 3]  # up to the end of the history
    assert draft([4, 5, 6], 3) == []  # nothing repeats
    assert draft(history, 0) == []


def test_shorter_tails_are_tried_when_longer_ones_do_not_repeat() -> None:
    assert draft([5, 6, 1, 2, 3, 6], 2) == [1, 2]  # only "6" repeats


def test_known_replies_draft_the_scaffolding() -> None:
    index = index_replies([[10, 11, 12, 13, 14, 15], [10, 11, 20, 21]])
    assert draft([1, 2, 10, 11, 12], 3, index) == [13, 14, 15]
    assert draft([1, 2, 10, 11], 2, index) == [12, 13]  # the first reply wins a tie
    assert draft([1, 2, 3], 2, index) == []


def test_a_longer_match_wins_and_history_wins_a_tie() -> None:
    index = index_replies([[7, 8, 9, 40, 41]])
    history = [7, 8, 99, 5, 7, 8, 9]
    # history matches "9"? no; "8 9"? no; index matches "7 8 9" (3 tokens): the index wins.
    assert draft(history, 2, index) == [40, 41]
    # Both match the 2-token tail "8 9"... history has "8 9 1" earlier: a tie goes to history.
    assert draft([8, 9, 1, 0, 8, 9], 1, index_replies([[8, 9, 40]])) == [1]


def test_the_most_frequent_continuation_wins() -> None:
    index = index_replies([[10, 11, 20], [10, 11, 30], [10, 11, 30]])
    assert draft([5, 10, 11], 1, index) == [30]


def test_the_turn_opening_lets_the_prompt_guess_the_reply() -> None:
    head = [1, 2]  # what every prompt ends with: the assistant turn opened
    index = index_replies([[50, 51, 52]], head=head)
    assert draft([9, 9, 7, 1, 2], 3, index) == [50, 51, 52]
    assert index_replies([[50, 51, 52]]).get((1, 2)) is None


class _Cache:
    """A trimmable cache that only counts positions (what trim_prompt_cache needs)."""

    def __init__(self) -> None:
        self.offset = 0

    def is_trimmable(self) -> bool:
        return True

    def trim(self, count: int) -> int:
        self.offset -= count
        return count


class _Oracle:
    """A stand-in model whose greedy token after position p is always text[p + 1], and which
    records what it was fed at each position, so the cache bookkeeping can be checked."""

    def __init__(self, text: list[int]) -> None:
        self.text, self.fed, self.passes = text, dict[int, int](), 0

    def __call__(self, inputs: mx.array, cache: list[_Cache]) -> mx.array:
        tokens = inputs[0].tolist()
        assert isinstance(tokens, list)
        start = cache[0].offset
        cache[0].offset += len(tokens)
        self.passes += 1
        following = []
        for i, token in enumerate(tokens):
            assert isinstance(token, int)
            self.fed[start + i] = token
            following.append(self.text[min(start + i + 1, len(self.text) - 1)])
        return mx.eye(VOCABULARY)[mx.array(following)][None]


VOCABULARY = 64
TEXT = [1, 2, 3, *range(10, 40), 60, 61, 62, *range(40, 55), 63]  # prompt: 1 2 3


def _run(reply_guess: list[int], index: ReplyIndex | None = None) -> tuple[list[int], _Oracle]:
    oracle, cache = _Oracle(TEXT), [_Cache()]
    out = list(
        generate(
            oracle, cache, TEXT[:3], TEXT[:3], max_tokens=100, eos={63},
            index=index, reply_guess=reply_guess,
        )
    )  # fmt: skip
    # What stays in the cache was fed in order: no guessed token the model rejected.
    assert all(oracle.fed[p] == TEXT[p] for p in range(cache[0].offset))
    return out, oracle


@pytest.mark.parametrize(
    "guess",
    [
        [],  # nothing guessed: one token per pass
        TEXT[3:],  # the whole reply, right
        [*range(10, 40), 5, 6, 7, *range(40, 55), 63],  # right but for three tokens
        [*range(20, 30), 0, 0, *range(10, 20)],  # right tokens in the wrong order
        [0] * 80,  # wrong throughout
    ],
)
def test_the_output_is_the_models_whatever_the_reply_guess(guess: list[int]) -> None:
    out, _ = _run(guess)
    assert out == TEXT[3:]


def test_a_right_reply_guess_takes_few_passes() -> None:
    _, plain = _run([])
    _, right = _run(TEXT[3:])
    _, nearly = _run([*range(10, 40), 5, 6, 7, *range(40, 55), 63])
    assert plain.passes == len(TEXT) - 3
    assert right.passes == 1  # the prompt's own pass carries the whole reply (49 tokens)
    # 10..39 and 60 in the first pass, 61, 62, 40 and 41 one by one (the guess has none of
    # the first three, and one token in common is not enough), then the guess picks up again
    # after "40 41": the rest in one pass.
    assert nearly.passes == 6


def test_the_reply_guess_goes_first_where_it_matches_as_long() -> None:
    # The index knows another continuation of the same tokens; the question's guess wins.
    index = index_replies([[1, 2, 3, 10, 11, 12, 0, 0, 0, 0]])
    _, oracle = _run(TEXT[3:], index)
    assert oracle.passes == 1


def test_the_reply_index_is_read_back_from_the_cache(tmp_path: Path) -> None:
    replies = [[5, 6, 7, 8], [5, 6, 9]]
    built: list[int] = []

    def build() -> ReplyIndex:
        built.append(1)
        return index_replies(replies, head=[1, 2])

    first = cached_index(b"replies v1", build, tmp_path)
    assert cached_index(b"replies v1", build, tmp_path) == first == build()
    assert len(built) == 2  # the second call read the file; the third was ours
    assert cached_index(b"replies v2", build, tmp_path) == first and len(built) == 3
    for stored in tmp_path.iterdir():
        stored.write_bytes(b"not an index")  # a damaged cache is rebuilt, never trusted
    assert cached_index(b"replies v1", build, tmp_path) == first and len(built) == 4
