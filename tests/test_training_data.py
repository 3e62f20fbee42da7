"""The training data generator: examples are valid, every tool example ran, its tool response
is the real output, final answers state only printed facts, and splits share no question."""

import ast
import json
import re
from pathlib import Path

import pytest

from punie_lsp.agent import policy, wall
from punie_lsp.agent.parse import parse
from punie_lsp.agent.sandbox import run_code
from punie_lsp.model import replies
from punie_lsp.prompt import SYSTEM_PROMPT
from punie_lsp.training import data, templates

PROJECTS = 4  # generated training projects the data here is about


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict]]:
    return data.examples(70, seed=3, projects=PROJECTS)


def test_every_intent_is_allowed_and_reads_only_real_fields() -> None:
    for intent in templates.INTENTS:
        code = intent.code.replace("{path}", "src")
        policy.check(code)
        data.check_fields(code)
    assert {i.category for i in templates.INTENTS} == {
        "field access",
        "conditional",
        "iteration",
        "multi-step",
    }
    assert set(data.WEIGHTS) == {i.name for i in templates.INTENTS}


def test_the_data_is_about_generated_projects_only() -> None:
    """Training questions name generated projects' paths (of several layouts), never a
    hand-written example project's: those are the evaluation's."""
    found = data.candidates(data.all_projects(PROJECTS))
    assert {c.project for c in found} == set(data.all_projects(PROJECTS))
    example_names = {p.name for p in data.EXAMPLES.iterdir()} | {
        p.stem for p in data.EXAMPLES.rglob("*.py") if p.stem != "__init__"
    }
    # Every tool question the generator can write, over all its projects: no example's name.
    every = data.candidates(data.all_projects())
    words = {w for c in every for w in re.findall(r"[A-Za-z_]+", c.question)}
    assert not words & example_names - {"tests", "src", "test", "conftest"}
    layouts = {
        next(iter(data.project_paths(data.project_files(n))["tests"]), "")
        for n in data.all_projects(8)
    }
    assert len(layouts) >= 3  # tests/, testing/, test/ or beside the code


def test_a_question_naming_no_path_calls_the_tools_without_one() -> None:
    whole = [c for c in data.candidates(data.all_projects(2)) if c.question == "Run all the tests."]
    assert whole and all(c.code.startswith("result = pytest_run()\n") for c in whole)


def test_a_field_that_does_not_exist_is_refused() -> None:
    with pytest.raises(data.UnknownField, match="errors_count"):
        data.check_fields('r = typecheck(".")\nprint(r.errors_count)')
    with pytest.raises(data.UnknownField, match="status"):
        data.check_fields('for t in pytest_run("tests").tests:\n    print(t.status)')


def test_examples_are_valid_chat_and_tool_examples_ran(splits: dict[str, list[dict]]) -> None:
    every = [e for part in splits.values() for e in part]
    assert len(every) >= 60
    assert {e["category"] for e in every} >= {"direct", "iteration", "conditional"}
    if wall.status().available:  # fix examples are kept only once verified, inside the wall
        fixed = [e for e in every if e["category"] == "fix"]
        assert fixed and all("propose_edit(" in e["messages"][2]["content"] for e in fixed)
    calls = finals = 0
    for example in every:
        turns = example["messages"]
        json.dumps(example)
        assert turns[0] == {"role": "system", "content": SYSTEM_PROMPT}
        assert [t["role"] for t in turns][1:] in (
            ["user", "assistant"],
            ["user", "assistant", "user", "assistant"],
        )
        reply = parse(turns[2]["content"])
        if example["category"] == "direct":
            assert reply.kind == "direct" and reply.text
            continue
        assert reply.kind == "tool" and reply.code
        calls += 1
        if len(turns) == 5:  # the final-answer example: its tool response is the real output
            finals += 1
            root = _project_of(reply.code, turns[3]["content"])
            ran = run_code(reply.code, root)
            assert ran.error is None
            assert turns[3]["content"] == f"<tool_response>\n{ran.output}\n</tool_response>"
            for number in re.findall(r"\b\d+\b", turns[4]["content"]):
                assert number in turns[3]["content"], (number, turns)
    assert calls >= 30 and finals >= 5


def _project_of(code: str, response: str) -> Path:
    """The project whose run gives this response (the example does not say)."""
    for name in data.all_projects(PROJECTS):
        ran = run_code(code, data.project_root(name))
        if f"<tool_response>\n{ran.output}\n</tool_response>" == response:
            return data.project_root(name)
    raise AssertionError(f"no training project prints {response!r}")


def test_no_question_is_in_two_splits(splits: dict[str, list[dict]]) -> None:
    questions = {
        name: {e["messages"][1]["content"].lower() for e in part} for name, part in splits.items()
    }
    assert not questions["train"] & questions["valid"]
    assert not questions["train"] & questions["test"]
    assert not questions["valid"] & questions["test"]


def test_a_snippet_that_fails_is_dropped() -> None:
    broken = data.Candidate("q", 'print(read_file("no/such/file.py"))', "train-0", "iteration")
    fine = data.Candidate("q2", 'print(len(read_file("pyproject.toml")))', "train-0", "iteration")
    kept = data.execute([broken, fine])
    assert list(kept) == [fine]


def test_final_answer_says_only_what_was_printed() -> None:
    root = data.EXAMPLES / "inventory"
    counts = run_code('r = pytest_run("tests")\nprint(r.failed, "failed")', root)
    answer = data.final_answer(counts.output, counts.results)
    assert "3 failed" in answer
    assert "test_value" not in answer and "5 passed" not in answer
    listed = run_code(templates.TESTS.replace("{path}", "tests"), root)
    answer = data.final_answer(listed.output, listed.results)
    assert "3 failed and 5 passed" in answer
    assert "test_value (tests/test_stock.py:26)" in answer


def test_reply_vocabulary_is_the_tool_calls(splits: dict[str, list[dict]]) -> None:
    replies = data.reply_vocabulary(splits["train"])
    assert replies and all(r.startswith("<tool_call>") for r in replies)
    for reply in replies:
        code = parse(reply).code
        assert code is not None
        ast.parse(code)


def test_data_command_writes_the_splits(tmp_path: Path) -> None:
    from punie_lsp.cli import main

    assert main(["data", str(tmp_path), "--count", "30", "--seed", "5", "--projects", "3"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    written = sum(
        len((tmp_path / f"{name}.jsonl").read_text().splitlines())
        for name in ("train", "valid", "test")
    )
    assert written == sum(sum(part.values()) for part in manifest["splits"].values())
    known = json.loads((tmp_path / "replies.json").read_text())
    assert known["replies"] and known["questions"]


def test_known_replies_pair_each_question_with_its_reply(
    splits: dict[str, list[dict]], tmp_path: Path
) -> None:
    known = replies.from_examples(splits["train"])
    replies.write(tmp_path / "replies.json", known)
    assert replies.read(tmp_path / "replies.json") == known
    assert len(set(known.replies)) == len(known.replies)
    first_turns = [e["messages"] for e in splits["train"] if len(e["messages"]) == 3]
    assert len(known.questions) == len(first_turns)
    for (question, number), turns in zip(known.questions, first_turns, strict=True):
        assert question == turns[1]["content"]
        assert known.replies[number] == turns[2]["content"]
    # Tool calls and direct answers alike.
    assert {r.startswith("<tool_call>") for r in known.replies} == {True, False}


def test_a_malformed_replies_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text('{"replies": ["a"], "questions": [["q", 3]]}')
    with pytest.raises(ValueError, match="does not have"):
        replies.read(path)
    path.write_text('["<tool_call>x"]')  # the older bare list
    assert replies.read(path).calls() == ["<tool_call>x"]


def test_the_replies_of_two_training_stages_merge() -> None:
    first = replies.KnownReplies(["x", "y"], [("q1", 0), ("q2", 1)])
    second = replies.KnownReplies(["y", "z"], [("q3", 0), ("q4", 1), ("q1", 1)])
    merged = replies.merge(first, second)
    assert merged.replies == ["x", "y", "z"]
    assert merged.pairs() == [("q1", "x"), ("q2", "y"), ("q3", "y"), ("q4", "z"), ("q1", "z")]
