"""The executable evaluation: its questions are held out and true, and it scores real replies."""

import json
import re
from pathlib import Path

import pytest

from punie_lsp.agent.sandbox import run_code
from punie_lsp.model.generation import Generation
from punie_lsp.prompt import tool_call
from punie_lsp.training import data
from punie_lsp.training.evaluate import (
    TOOLS,
    evaluate,
    generated_questions,
    load_questions,
    report,
    root_of,
)
from punie_lsp.training.templates import TYPES

QUESTIONS = load_questions()
UNSEEN = load_questions(Path(data.__file__).parent / "direct_unseen.json")

# What each tool's full result looks like when printed: if a fact is not in this, the
# question's expectation is wrong, not the model.
REFERENCE = {
    "pytest_run": (
        'r = pytest_run("{path}")\nprint(r.failed, "failed", r.passed, "passed")\n'
        "for t in r.tests:\n    print(t.file, t.line, t.name, t.outcome, t.message)"
    ),
    "typecheck": (
        'r = typecheck("{path}")\nprint(r.error_count, "errors")\n'
        "for e in r.errors:\n    print(e.file, e.line, e.code, e.message)"
    ),
    "ruff_check": (
        'r = ruff_check("{path}")\nprint(r.violation_count, r.fixable_count)\n'
        "for v in r.violations:\n    print(v.file, v.line, v.code, v.message)"
    ),
    "read_file": 'print(read_file("{path}"))',
}

# Real replies of an earlier shipped adapter (recorded once from an evaluation run, replayed).
RIGHT = (
    '<tool_call><function=execute_code><parameter=code>\nresult = typecheck("src/ledger/'
    'transfers.py")\nprint(result.error_count, "type errors")\nfor error in result.errors:\n'
    "    print(error.file, error.line, error.code, error.message)\n</parameter></function>"
    "</tool_call>"
)
WRONG_TOOL = (
    '<tool_call><function=execute_code><parameter=code>\nresult = typecheck("src/ledger/")\n'
    'print(result.error_count, "type errors")\nfor error in result.errors:\n'
    "    print(error.file, error.line, error.code, error.message)\n</parameter></function>"
    "</tool_call>"
)
BROKEN = (
    '<tool_call><function=execute_code><parameter=code>\nresult = typeerror(".")\n'
    'print(result.violation_count, "violations,", result.fixable_count, "fixable")\n'
    "for error in result.violations:\n    print(error.file, error.line, error.code, "
    "error.message)\n</parameter></function></tool_call>"
)


def test_questions_are_well_formed_and_held_out() -> None:
    unseen_topics = ("zfill", "flatten", "slots", "heapq", "groupby", "transpose", "pprint")
    assert not [t for t in unseen_topics if t in json.dumps(data.DIRECT).lower()]
    assert len(QUESTIONS) >= 50
    assert len({q.get("root") for q in QUESTIONS if q["kind"] == "tool"}) >= 3
    trained = {data.question_words(q) for q in data.trained_questions()}
    for item in QUESTIONS + UNSEEN:
        assert item["kind"] in ("tool", "direct") and item["facts"]
        for fact in item["facts"]:
            re.compile(fact)
        wanted = item["tool"] if isinstance(item["tool"], list) else [item["tool"]]
        assert item["kind"] == "direct" or set(wanted) <= TOOLS
        assert data.question_words(item["question"]) not in trained, item["question"]


@pytest.mark.parametrize(
    "item", [q for q in QUESTIONS if q["kind"] == "tool"], ids=lambda q: q["question"][:40]
)
def test_the_expected_facts_are_true(item: dict) -> None:
    tools = item["tool"] if isinstance(item["tool"], list) else [item["tool"]]
    code = "\n".join(REFERENCE[tool].format(path=item["path"]) for tool in tools)
    result = run_code(code, root_of(item))
    assert result.error is None, result.error
    for fact in item["facts"]:
        assert re.search(fact, result.output, re.IGNORECASE), (fact, result.output)


def replay(*replies: str):
    queue = list(replies)

    def generate(turns, **kwargs) -> Generation:
        return Generation(text=queue.pop(0))

    return generate


def question(text: str) -> dict:
    return next(q for q in QUESTIONS if q["question"] == text)


def test_scores_real_replies() -> None:
    items = [
        question("Does ty find problems in src/ledger/transfers.py?"),
        question("Which imports in src/ledger/ are unused?"),
        question("Count the type errors under src/."),
        question("good morning"),
        question("What does the `yield` keyword do?"),
    ]
    scores = evaluate(
        replay(
            RIGHT,
            WRONG_TOOL,
            BROKEN,
            "Hello! Ask me about your project.",
            "It yields, one at a time, one at a time.",  # real, and wrong
        ),
        items,
        grounded=False,  # the model's own words, scored as they are
    )
    right, wrong_tool, broken, hello, yield_ = scores
    assert right.passed and right.facts_ok
    assert not wrong_tool.passed and not wrong_tool.tool_ok and wrong_tool.ran_ok
    assert (
        wrong_tool.missing == ["F401", "accounts.py", "transfers.py"]
        or "F401" in wrong_tool.missing
    )
    assert not broken.passed and not broken.ran_ok and not broken.tool_ok
    assert hello.passed
    assert not yield_.passed and yield_.kind_ok and yield_.missing == ["generat"]
    assert yield_.ungrounded and not hello.ungrounded  # conversation states no fact
    # Grounded, the same wrong words give way to what the documentation says.
    (documented,) = evaluate(replay("It yields, one at a time, one at a time."), items[-1:])
    assert documented.passed and not documented.ungrounded
    text = report(scores, 1.0)
    assert "strict: 2/5 (40 %)" in text and "tool-or-direct: 5/5" in text


def _types_questions(count: int) -> list[dict]:
    """The whole-project type questions about the first held-out generated projects."""
    return [i for i in generated_questions(count) if i["intent"] == "types.all"]


def test_generated_questions_are_reported_per_fault_kind() -> None:
    items = _types_questions(3)
    right = tool_call(TYPES.replace('"{path}"', ""))  # the project's own configuration
    scores = evaluate(replay(*[right] * len(items)), items)
    assert all(s.passed and s.split == "generated" for s in scores), report(scores, 0.0)
    text = report(scores, 1.0)
    assert "Per fault kind:" in text
    assert all(f"| {kind} |" in text for s in scores for kind in s.faults)
    # A guessed layout fails even where the printed facts happen to match ("0 errors").
    flat = [i for i in items if not (root_of(i) / "src").exists()][:1]
    guess = replay(tool_call(TYPES.replace("{path}", "src")))
    (guessed,) = evaluate(guess, flat, constrain=False)
    assert guessed.problems == ["no path src"] and not guessed.passed


def test_smoke_evaluation_on_the_real_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from punie_lsp.model.host import ModelHost

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path.parent / "model-cache"))
    host = ModelHost().start()
    host.wait_loaded(600)
    items = [
        question("Does ty find problems in src/ledger/transfers.py?"),
        question("Type errors in src/textkit?"),  # another fixture project
        question("good morning"),
        *_types_questions(1),  # a generated project with held-out names and layout
    ]
    scores = evaluate(host.generate, items)
    host.stop()
    assert [s.kind_ok for s in scores] == [True, True, True, True]
    # The shipped adapter answers every type question of the evaluation (docs/model.md).
    assert scores[0].passed and scores[1].passed and scores[3].passed, report(scores, 0.0)
    assert all(s.reply for s in scores)
