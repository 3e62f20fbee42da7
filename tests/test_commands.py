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


def test_a_bare_uri_does_not_steer_the_question() -> None:
    params = AskParams(question=" Which tests fail? ", uri="file:///project/src/app.py")
    assert question_text(params, ROOT) == "Which tests fail?"


@pytest.mark.parametrize("args", [(), ({"question": ""},), ({"q": 1},), ("text",), ({}, {})])
def test_bad_arguments(args: tuple) -> None:
    with pytest.raises(JsonRpcInvalidParams):
        parse_params(args)
