from mdquill.render.htmlout import escape, to_html


def test_to_html_heading() -> None:
    assert to_html("# Hi") == "<h1>Hi</h1>"


def test_escape_ampersand() -> None:
    assert escape("a & b") == "a &amp; b"


def test_escape_greater_than() -> None:
    assert escape("a > b") == "a &gt; b"
