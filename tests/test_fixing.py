"""The "fix this" action (agent/fixing.py): a proposed one-line edit is offered only when
the real ty, ruff and pytest show it removes the diagnostic and makes nothing worse; the
user's files are never written. The model is scripted here (tests/test_real_model.py asks
the real one)."""

import os
from pathlib import Path

import llguidance
import pytest
from tokenizers import Tokenizer

from punie_lsp import prompt
from punie_lsp.agent import wall
from punie_lsp.agent.fixing import FixRequest, fix, question
from punie_lsp.agent.grammar import edit_grammar
from punie_lsp.model.constraint import tokenizer_for
from punie_lsp.model.embedded import embedded_model_dir
from punie_lsp.model.generation import GenerateRequest, Generation
from punie_lsp.tools.edits import apply, propose_edit
from tests import shapes_project

needs_wall = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall",
)

MODULE = shapes_project.BROKEN
REQUEST = FixRequest(
    path="pkg/shapes.py", line=2, source="ty", code="invalid-explicit-return",
    message="Return type does not match returned value",
)  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return shapes_project.write(tmp_path, MODULE)


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


class Scripted:
    """A model that writes one fixed reply, and remembers what it was asked."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.requests: list[GenerateRequest] = []

    def __call__(self, request: GenerateRequest) -> Generation:
        self.requests.append(request)
        return Generation(text=self.reply)


def edit_reply(path: str, line: int, new: str) -> str:
    return prompt.tool_call(f'propose_edit("{path}", {line}, "{new}")')


def test_propose_edit_checks_the_line(root: Path) -> None:
    found = propose_edit("pkg/shapes.py", 2, "    return width * height", cwd=root)
    assert found.success and found.old == "    return str(width * height)"
    missing = propose_edit("pkg/shapes.py", 9, "x", cwd=root)
    assert not missing.success and "has 2 lines" in (missing.parse_error or "")
    assert apply(MODULE, found) == MODULE.replace("str(width * height)", "width * height")
    deleted = found.model_copy(update={"new": ""})
    assert apply(MODULE, deleted) == MODULE.splitlines(keepends=True)[0]
    with pytest.raises(ValueError, match="changed"):
        apply(MODULE.replace("str(", "repr("), found)


def test_the_edit_grammar_leaves_only_the_new_text_open() -> None:
    tokenizer = Tokenizer.from_file(str(embedded_model_dir() / "tokenizer.json"))
    eos = tokenizer.token_to_id("<|im_end|>")
    assert eos is not None
    vocabulary = tokenizer_for(tokenizer, [eos])

    def accepts(text: str) -> bool:
        grammar = edit_grammar(("pkg/shapes.py", 2, "    "))
        matcher = llguidance.LLMatcher(vocabulary, grammar, log_level=0)
        assert not matcher.is_error(), matcher.get_error()
        tokens = tokenizer.encode(text, add_special_tokens=False).ids
        return matcher.try_consume_tokens(tokens) == len(tokens) and matcher.is_accepting()

    assert accepts(edit_reply("pkg/shapes.py", 2, "    return width * height"))
    assert accepts(edit_reply("pkg/shapes.py", 2, ""))
    # The line keeps its indentation: another depth would break its block.
    assert not accepts(edit_reply("pkg/shapes.py", 2, "return width * height"))
    assert not accepts(edit_reply("pkg/shapes.py", 2, "        return width * height"))
    assert not accepts(edit_reply("pkg/shapes.py", 2, "    "))
    assert not accepts(edit_reply("pkg/shapes.py", 3, "    return width * height"))
    assert not accepts(edit_reply("pkg/other.py", 2, "    return width * height"))
    assert not accepts(prompt.tool_call('print(read_file("pkg/shapes.py"))'))


@needs_wall
def test_a_fix_that_verifies_is_offered(root: Path) -> None:
    before = files(root)
    model = Scripted(edit_reply("pkg/shapes.py", 2, "    return width * height"))
    outcome = fix(REQUEST, root, model)
    assert outcome.offered, outcome.reason
    assert outcome.after == MODULE.replace("str(width * height)", "width * height")
    assert outcome.verification is not None and outcome.verification.target_gone
    assert outcome.title().startswith("Punie: fix invalid-explicit-return (verified: fixes it")
    assert "1 now passing" in outcome.title()
    assert files(root) == before  # verified on a copy, never written
    asked = model.requests[0]
    assert asked.grammar == edit_grammar(("pkg/shapes.py", 2, "    "))
    assert asked.turns[-1]["content"] == question(REQUEST, "    return str(width * height)")


@needs_wall
def test_an_edit_that_adds_a_type_error_is_refused(root: Path) -> None:
    before = files(root)
    model = Scripted(edit_reply("pkg/shapes.py", 2, "    return width * heigth"))
    outcome = fix(REQUEST, root, model)
    assert not outcome.offered and outcome.after is None
    assert outcome.verification is not None and outcome.verification.worse
    added = {(p.source, p.code) for p in outcome.verification.added}
    assert added == {("ty", "unresolved-reference"), ("ruff", "F821")}
    assert outcome.reason == (
        "the proposed edit was not offered: fixes it, 2 new problems, 1/1 tests unchanged"
    )
    assert files(root) == before


def test_a_reply_without_an_edit_or_for_another_line_is_refused(root: Path) -> None:
    before = files(root)
    prose = fix(REQUEST, root, Scripted("Change the return statement."))
    assert prose.reason == "the model proposed no edit"
    # A backend that ignores the grammar may name another line; that is not the diagnostic's.
    other = fix(REQUEST, root, Scripted(edit_reply("pkg/shapes.py", 1, "def area(w, h):")))
    assert other.reason == "the model proposed an edit to pkg/shapes.py:1 instead"
    same = fix(REQUEST, root, Scripted(edit_reply("pkg/shapes.py", 2, MODULE.splitlines()[1])))
    assert same.reason == "the model proposed no change"
    hostile = fix(REQUEST, root, Scripted(prompt.tool_call("import os\nos.remove('x')")))
    assert hostile.reason is not None and hostile.reason.startswith("the proposed edit did not run")
    assert files(root) == before


# A failing test whose fault is in the code it calls, not at the test's line.
TOTALS = "def total(values: list[int]) -> int:\n    result = 0\n    for value in values:\n        result += value * 2\n    return result\n"  # noqa: E501
TOTALS_TESTS = (
    "from pkg.totals import total\n\n\ndef test_total() -> None:\n    assert total([1, 2]) == 3\n"
)
FAILING = FixRequest(
    path="tests/test_totals.py", line=4, source="pytest", code="test_total",
    message="test test_total failed: assert 6 == 3",
)  # fmt: skip


@pytest.fixture
def failing_root(tmp_path: Path) -> Path:
    root = shapes_project.write(tmp_path)
    (root / "pkg" / "totals.py").write_text(TOTALS)
    (root / "tests" / "test_totals.py").write_text(TOTALS_TESTS)
    return root


def test_a_failing_test_is_asked_about_the_code_it_calls(failing_root: Path) -> None:
    model = Scripted("Change the loop.")
    outcome = fix(FAILING, failing_root, model)
    assert outcome.reason == "the model proposed no edit"
    asked = model.requests[0]
    text = asked.turns[-1]["content"]
    assert "assert total([1, 2]) == 3" in text  # the test
    assert "# pkg/totals.py\n1: def total(values: list[int]) -> int:" in text
    assert "4:         result += value * 2" in text
    # The edit may go to any line of total(), and nowhere else: not the test, not shapes.py.
    indents = ["", "    ", "    ", "        ", "    "]
    assert asked.grammar == edit_grammar(
        *[("pkg/totals.py", n + 1, i) for n, i in enumerate(indents)]
    )


@needs_wall
def test_a_failing_tests_fix_is_offered_when_the_test_then_passes(failing_root: Path) -> None:
    before = files(failing_root)
    model = Scripted(edit_reply("pkg/totals.py", 4, "        result += value"))
    outcome = fix(FAILING, failing_root, model)
    assert outcome.offered, outcome.reason
    assert outcome.proposal is not None and outcome.proposal.path == "pkg/totals.py"
    assert outcome.after == TOTALS.replace("value * 2", "value")
    assert outcome.title().startswith("Punie: fix test_total (verified: fixes it")
    assert files(failing_root) == before
    # An edit that leaves the test failing does not fix it, whatever else it does.
    wrong = fix(FAILING, failing_root, Scripted(edit_reply("pkg/totals.py", 2, "    result = 1")))
    assert not wrong.offered
    assert wrong.verification is not None and wrong.verification.target_gone is False
    assert files(failing_root) == before


def test_a_failing_test_that_calls_nothing_of_the_project_gets_no_question(tmp_path: Path) -> None:
    root = shapes_project.write(tmp_path)
    (root / "tests" / "test_alone.py").write_text("def test_alone() -> None:\n    assert 1 == 2\n")
    request = FAILING.model_copy(update={"path": "tests/test_alone.py", "code": "test_alone"})
    model = Scripted("")
    outcome = fix(request, root, model)
    assert outcome.reason == "found none of the project's code that test_alone calls"
    assert model.requests == []
