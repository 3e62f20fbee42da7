from textkit.words import count, longest, top, words


def test_words_lowercases():
    assert words("Hello World") == ["hello", "world"]


def test_top():
    assert top("a b a c a b", 2) == ["a", "b"]


def test_longest():
    assert longest("a bbb cc") == "bbb"


def test_count_ignores_digits():
    assert count("one 2 three") == 3
