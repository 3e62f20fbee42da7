"""How punie.ask's arguments become the question the model sees."""

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from punie_lsp.server.commands import AskParams, parse_params, question_text

ROOT = Path("/project")


def test_a_range_says_where() -> None:
    params = AskParams(
        question="Explain this problem",
        uri="file:///project/src/app.py",
        range={"start": {"line": 4, "character": 0}, "end": {"line": 6, "character": 2}},
    )
    assert question_text(params, ROOT) == "Explain this problem (in src/app.py, lines 5-7)"


def test_the_selected_code_from_the_buffer_reaches_the_model() -> None:
    buffer = ["import os\n", "\n", "def f(x):\n", "    return x + 1\n", "\n"]
    params = AskParams(
        question="What does this do?",
        uri="file:///project/src/app.py",
        # Whole lines 3-4, as editors send them: the range ends where line 5 starts.
        range={"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}},
    )
    assert question_text(params, ROOT, buffer) == (
        "What does this do? (in src/app.py, lines 3-4):\n"
        "```python\ndef f(x):\n    return x + 1\n```"
    )
    # The first lines only, of a huge selection.
    huge = AskParams(
        question="Explain",
        uri="file:///project/src/app.py",
        range={"start": {"line": 0, "character": 0}, "end": {"line": 5000, "character": 0}},
    )
    text = question_text(huge, ROOT, [f"x{n} = {n}\n" for n in range(5000)])
    assert text.count("\n") == 60 + 2 and "x59 = 59" in text and "x60" not in text


def test_a_bare_uri_does_not_steer_the_question() -> None:
    params = AskParams(question=" Which tests fail? ", uri="file:///project/src/app.py")
    assert question_text(params, ROOT) == "Which tests fail?"


@pytest.mark.parametrize("args", [(), ({"question": ""},), ({"q": 1},), ("text",), ({}, {})])
def test_bad_arguments(args: tuple) -> None:
    with pytest.raises(JsonRpcInvalidParams):
        parse_params(args)
