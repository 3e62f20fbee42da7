import pytest
from mdquill.parsing.tokenz import heading_level, is_heading, tokenize


def test_tokenize_kinds(doc: str) -> None:
    assert [t.kind for t in tokenize(doc)] == ["h1", "p", "h2", "p"]


@pytest.mark.parametrize(("line", "level"), [("# a", 1), ("### c", 3), ("###### f", 6)])
def test_heading_level(line: str, level: int) -> None:
    assert heading_level(tokenize(line)[0]) == level


def test_blank_lines_are_dropped() -> None:
    assert tokenize("\n\n\n") == []


def test_paragraph_is_not_heading() -> None:
    assert not is_heading(tokenize("plain")[0])
