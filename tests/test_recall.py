"""Guessing a question's whole reply from known questions (model/recall.py)."""

from punie_lsp import prompt
from punie_lsp.model.recall import build, guess_reply

PYTEST = prompt.tool_call('result = pytest_run("{}")\nprint(result.failed, "failed")')
RUFF = prompt.tool_call('result = ruff_check("{}")\nprint(result.violation_count)')
TY = prompt.tool_call('result = typecheck("{}")\nprint(result.error_count)')
BOTH = prompt.tool_call('a = typecheck("{}")\nb = ruff_check("{}")\nprint(a, b)')

KNOWN = [
    ("Which tests fail in tests/?", PYTEST.format("tests/")),
    ("which tests fail in tests/test_orders.py", PYTEST.format("tests/test_orders.py")),
    ("Is anything failing in tests/test_stock.py?", PYTEST.format("tests/test_stock.py")),
    ("What does ruff report for src/shop/?", RUFF.format("src/shop/")),
    ("Any lint problems in src/shop/cart.py?", RUFF.format("src/shop/cart.py")),
    ("ruff findings in src/textkit/slug.py, please", RUFF.format("src/textkit/slug.py")),
    ("How many type errors are in src/shop/?", TY.format("src/shop/")),
    ("type errors in src/shop/cart.py?", TY.format("src/shop/cart.py")),
    ("Compare src/a.py with src/b.py", BOTH.format("src/a.py", "src/b.py")),
    ("What is a dataclass?", "A class whose fields generate __init__ for you."),
    ("What does a linter do?", "It reads code without running it."),
]


def test_the_words_pick_the_tool_and_the_paths_are_the_questions() -> None:
    recall = build(KNOWN)
    assert guess_reply(recall, "Are there lint problems in src/ledger/?") == RUFF.format(
        "src/ledger/"
    )
    # A full stop after a path ends the sentence, not the path.
    assert guess_reply(recall, "Which tests fail in tests/test_fees.py.") == PYTEST.format(
        "tests/test_fees.py"
    )
    assert guess_reply(recall, "how many type errors in lib/x.py") == TY.format("lib/x.py")


def test_paths_go_back_in_their_order() -> None:
    recall = build(KNOWN)
    assert guess_reply(recall, "Compare src/q.py with src/r.py") == BOTH.format(
        "src/q.py", "src/r.py"
    )


def test_a_direct_question_guesses_the_nearest_known_answer() -> None:
    recall = build(KNOWN)
    assert guess_reply(recall, "What is a dataclass, really?") == KNOWN[9][1]
    assert guess_reply(recall, "what does a linter do") == KNOWN[10][1]
    # Telling prose from tool calls comes first: a question about lint still runs ruff.
    assert guess_reply(recall, "What lint problems does src/x.py have?") == RUFF.format("src/x.py")


def test_no_knowledge_guesses_nothing() -> None:
    assert guess_reply(build([]), "Which tests fail in tests/?") is None
    # Every known reply needs a path the question does not name.
    only_paths = build([("Which tests fail in tests/?", PYTEST.format("tests/"))])
    assert guess_reply(only_paths, "Which tests fail?") is None


def test_a_shape_that_uses_only_a_later_path_needs_that_many() -> None:
    # "In src/a.py, which tests in tests/ fail?" runs pytest on the second path only; a
    # question naming one path cannot fill that shape (it once raised IndexError).
    second = ("In src/a.py, which tests in tests/ fail?", PYTEST.format("tests/"))
    recall = build([second])
    assert guess_reply(recall, "In src/b.py, which tests in testing/ fail?") == PYTEST.format(
        "testing/"
    )
    assert guess_reply(recall, "Which tests fail in src/b.py?") is None
