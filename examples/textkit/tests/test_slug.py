from textkit.slug import initials, slugify, wrap


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_limit():
    assert slugify("a" * 50, limit=10) == "a" * 10


def test_wrap():
    assert wrap("one two three four", 9) == ["one two", "three", "four"]


def test_initials():
    assert initials("ada lovelace") == "A.L."
