"""python_docs over the real index of Python's documentation, and answers grounded in it."""

import sys
from pathlib import Path

import pytest

from punie_lsp.agent.answer import Answer
from punie_lsp.agent.grounding import (
    NOTHING,
    ground,
    is_conversation,
    named_rules,
    rule_to_explain,
)
from punie_lsp.tools import docs
from punie_lsp.tools.docs import REVIEWED_SOURCE, python_docs, terms

MDQUILL = Path(__file__).parent.parent / "examples" / "mdquill"
INVENTED = "Protocol and ABC were defined by Alsace and Klimantz in 1987."


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How does the with statement work?", 'The "with" statement'),
        ("What does the nonlocal statement do?", 'The "nonlocal" statement'),
        ("What does the global statement do?", 'The "global" statement'),
        ("What does the assert statement do?", 'The "assert" statement'),
        ("How do augmented assignments like += work?", "Augmented assignment statements"),
    ],
)
def test_finds_the_language_reference_section(question: str, topic: str) -> None:
    found = python_docs(question)
    assert found.success and found.found
    # First, or after a reviewed answer to the same question.
    (section,) = [p for p in found.passages[:2] if p.title == topic]
    assert "language reference" in section.source


def test_finds_a_builtin_method_by_its_docstring() -> None:
    found = python_docs("What does str.zfill do?")
    assert found.passages[0].title == "str.zfill" and "zeros" in found.passages[0].text
    assert found.passages[0].source == "docstring of str.zfill"


def test_finds_a_function_defined_under_another_module_name() -> None:
    # os.path's functions live in posixpath; they are indexed under the name people use.
    found = python_docs("What does os.path.splitext return?")
    assert found.found and found.passages[0].title == "os.path.splitext"


def test_a_reviewed_answer_is_found_with_its_source() -> None:
    found = python_docs("What is the walrus operator?")
    assert found.passages[0].source == REVIEWED_SOURCE and ":=" in found.passages[0].text


@pytest.mark.parametrize(
    "question",
    ["florbulate the quixotic zanzibar", "How do I make coffee?", "Who won the 1998 World Cup?"],
)
def test_nothing_found_for_what_python_does_not_document(question: str) -> None:
    found = python_docs(question)
    assert found.success and not found.found and found.passages == []


def test_a_query_with_no_topic_is_an_error_not_a_search() -> None:
    found = python_docs("what is it?")
    assert not found.success and "names nothing" in (found.parse_error or "")


def test_keywords_count_where_the_question_marks_them_as_code() -> None:
    assert terms("How does the with statement work?") == ["with", "statement"]
    assert terms("How do I read a file with pathlib?") == ["read", "file", "pathlib"]
    assert "is" in terms("What does the `is` operator do?")


def test_the_index_is_built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = docs.ensure_index()
    assert built.is_relative_to(tmp_path) and built.stat().st_size > 100_000
    stamp = built.stat().st_mtime_ns
    assert docs.ensure_index() == built and built.stat().st_mtime_ns == stamp
    assert python_docs("What does str.zfill do?").found


def direct(question: str, prose: str = INVENTED) -> Answer:
    return Answer(question=question, kind="direct", answer=prose)


def test_invented_prose_is_replaced_by_the_documentation() -> None:
    answer = ground(direct("What is a Protocol in typing?"), MDQUILL)
    assert INVENTED not in answer.answer and "Alsace" not in answer.answer
    assert [run.tool for run in answer.results] == ["python_docs"]
    assert "From punie's reviewed answers" in answer.answer or "docstring" in answer.answer
    assert answer.kind == "direct" and answer.error is None


def test_a_reviewed_answer_the_search_finds_is_kept_and_quoted() -> None:
    reviewed = "`:=` assigns a value inside an expression, as in `if (n := len(items)) > 3:`."
    answer = ground(direct("What does the walrus operator do?", reviewed), MDQUILL)
    assert answer.answer.startswith(reviewed) and REVIEWED_SOURCE in answer.answer


def test_nothing_found_says_so_instead_of_the_model_s_words() -> None:
    answer = ground(direct("How do I configure a Kubernetes ingress controller?"), MDQUILL)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert answer.answer == NOTHING.format(version=version)
    assert INVENTED not in answer.answer


def test_a_question_naming_a_rule_is_answered_by_its_documentation() -> None:
    answer = ground(direct("Why does ruff complain about B006?"), MDQUILL)
    assert [run.tool for run in answer.results] == ["explain_rule"]
    assert "mutable-argument-default" in answer.answer
    assert "mutable objects as function argument defaults" in answer.answer
    ty_rule = ground(direct("What does the ty rule invalid-return-type check?"), MDQUILL)
    assert "return-type annotation" in ty_rule.answer


def test_a_word_that_only_looks_like_a_rule_falls_back_to_the_search() -> None:
    assert named_rules("Is a built-in function faster?") == ["built-in"]
    answer = ground(direct("Is a built-in function faster?"), MDQUILL)
    assert all(run.tool == "python_docs" for run in answer.results)


@pytest.mark.parametrize("question", ["thanks", "good morning", "hello, who are you?", "bye"])
def test_conversation_keeps_the_model_s_words(question: str) -> None:
    assert is_conversation(question)
    answer = ground(direct(question, "Good morning!"), MDQUILL)
    assert answer.answer == "Good morning!" and answer.results == []


def test_a_python_question_is_not_conversation() -> None:
    assert not is_conversation("What is a good way to sort a list?")


@pytest.mark.parametrize(
    ("question", "rule"),
    [
        ("Why does ruff complain about B006?", "B006"),
        ("What is ruff's rule UP006 about?", "UP006"),
        ("Explain this problem [E501]: Line too long (120 > 88)", "E501"),
        ("What does the ty rule invalid-return-type check?", "invalid-return-type"),
        ("What does missing-attribute mean?", "missing-attribute"),
        ("Which files have F401?", None),  # where the project breaks it: a tool question
        ("What does F401 mean in src/mdquill/parsing/tokenz.py?", None),
        ("Explain F401 and E501", None),  # two rules: the model chooses
    ],
)
def test_which_questions_ask_to_explain_a_rule(question: str, rule: str | None) -> None:
    assert rule_to_explain(question) == rule


def test_a_rule_question_is_answered_without_the_model() -> None:
    from punie_lsp.agent.loop import ask
    from punie_lsp.model.generation import GenerateRequest, Generation

    def no_model(request: GenerateRequest) -> Generation:
        raise AssertionError("the model was asked")

    answer = ask("Why does ruff complain about B006?", MDQUILL, no_model)
    assert answer.question == "Why does ruff complain about B006?"
    assert [run.tool for run in answer.results] == ["explain_rule"]
    assert "mutable objects as function argument defaults" in answer.answer
