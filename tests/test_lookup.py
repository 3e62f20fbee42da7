"""Prompt-lookup drafts (model/lookup.py): what is guessed. That the output stays the greedy
output whatever is guessed is checked on the real model in tests/test_real_model.py."""

from punie_lsp.model.lookup import draft, index_replies


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
