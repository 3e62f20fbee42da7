"""The evaluation's questions about generated and vendored projects: none is a training
question, each names only paths that exist, and each one's facts are what the right idiom,
run in the sandbox on the project, prints (so a fact is neither impossible nor taken from the
generator's intent)."""

import re
from typing import Any

import pytest

from punie_lsp.agent.sandbox import run_code
from punie_lsp.training import evaluate, templates
from punie_lsp.training.data import trained_questions

PROJECTS = 4  # held-out generated projects asked about here

IDIOMS = {
    "tests": templates.TESTS,
    "types": templates.TYPES,
    "lint": templates.LINT,
    "read.imports": templates.READ_IMPORTS,
    "read.length": templates.READ_LENGTH,
    "read.whole": templates.READ_WHOLE,
    "multi.types_lint": templates.TYPES + "\n" + templates.LINT,
    "multi.health": templates.TESTS + "\n" + templates.TYPES + "\n" + templates.LINT,
}


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return evaluate.generated_questions(PROJECTS) + evaluate.vendored_questions()


def _snippet(item: dict[str, Any]) -> str:
    intent = item["intent"]
    code = IDIOMS.get(intent) or IDIOMS[intent.split(".")[0]]
    named = [p for p in re.findall(r"\S+\.py\b", item["question"])]
    # A question that names no path is answered by the tool's own default (the project's
    # configuration); one that names a file by that file.
    return code.replace('"{path}"', f'"{named[0]}"' if named else "")


def test_every_kind_of_question_is_asked(items: list[dict[str, Any]]) -> None:
    from punie_lsp.training.questions import PHRASINGS

    assert {item["intent"] for item in items} == set(PHRASINGS)
    assert {item["split"] for item in items} == {"generated", "vendored"}


def test_no_question_is_a_training_question(items: list[dict[str, Any]]) -> None:
    trained = trained_questions()
    assert not [item["question"] for item in items if item["question"] in trained]


def test_named_paths_exist(items: list[dict[str, Any]]) -> None:
    for item in items:
        root = evaluate.root_of(item)
        for path in re.findall(r"\S+\.py\b", item["question"]):
            assert (root / path).is_file(), (item["question"], root)


def test_the_right_idiom_prints_every_fact(items: list[dict[str, Any]]) -> None:
    wrong = []
    for item in items:
        result = run_code(_snippet(item), evaluate.root_of(item))
        missing = [f for f in item["facts"] if not re.search(f, result.output, re.IGNORECASE)]
        if result.error or missing:
            wrong.append((item["root"], item["question"], missing, result.error, result.output))
    assert not wrong
