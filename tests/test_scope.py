"""agent/scope.py: which questions may be answered with a tool call. Its words are the
training phrasings' (so a test keeps the file equal to them); every tool question of the
evaluation, held out from those phrasings, must still be allowed one."""

import argparse
import json
from pathlib import Path

from punie_lsp.agent import scope
from punie_lsp.agent.grammar import existing_named, workspace_paths
from punie_lsp.training import evaluate
from punie_lsp.training.templates import tool_words

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_the_word_list_is_the_training_phrasings_words() -> None:
    assert sorted(scope.TOOL_WORDS) == tool_words(), (
        "regenerate punie_lsp/agent/tool_words.json from training.templates.tool_words()"
    )


def test_every_tool_question_of_the_evaluation_may_call_a_tool() -> None:
    suites = argparse.Namespace(suites="generated,vendored,heldout,docs,trained", generated=12)
    items = evaluate.suite_questions(suites)
    assert len(items) > 250
    refused, direct = [], []
    listed: dict[str, tuple[list[str], list[str]]] = {}
    for item in items:
        root = evaluate.root_of(item)
        if str(root) not in listed:
            listed[str(root)] = workspace_paths(root)
        files, folders = listed[str(root)]
        named = any(existing_named(item["question"], files, folders))
        allowed = named or scope.about_the_project(item["question"], [*files, *folders])
        if item["kind"] == "tool" and not allowed:
            refused.append(item["question"])
        if item["kind"] == "direct" and not allowed:
            direct.append(item["question"])
    assert not refused, refused
    # The rule's point: a question about nothing in the project gets no tool call.
    assert "Who won the 1998 football World Cup?" in direct


def test_names_and_words() -> None:
    paths = ["src/pyforest/trm_lckb.py", "testing/test_trm_lckb.py", "src/pyforest"]
    assert scope.about_the_project("Is trm_lckb ok?", paths)
    assert scope.about_the_project("any lint in pyforest", paths)
    assert not scope.about_the_project("Good morning!", paths)
    assert not scope.about_the_project("What is the capital of France?", paths)
    assert json.loads((Path(scope.__file__).parent / "tool_words.json").read_text())
