"""The workspace grammar (agent/grammar.py) under llguidance with the embedded model's own
tokenizer: it takes every snippet the training data holds, and nothing that names a tool,
a field or a path that does not exist, or that would not parse."""

from pathlib import Path

import llguidance
import pytest
from tokenizers import Tokenizer

from punie_lsp import prompt
from punie_lsp.agent.grammar import reply_grammar, workspace_paths
from punie_lsp.model.constraint import tokenizer_for
from punie_lsp.model.embedded import embedded_model_dir
from punie_lsp.prompt import paths_in
from punie_lsp.training import data
from punie_lsp.training.evaluate import snippet_problems

EXAMPLES = Path(__file__).parent.parent / "examples"
MDQUILL = EXAMPLES / "mdquill"  # tests in testing/, nested packages
TRAINING = data.all_projects(4)  # generated projects of several layouts


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer.from_file(str(embedded_model_dir() / "tokenizer.json"))


@pytest.fixture(scope="module")
def vocabulary(tokenizer: Tokenizer) -> llguidance.LLTokenizer:
    eos = tokenizer.token_to_id("<|im_end|>")
    assert eos is not None
    return tokenizer_for(tokenizer, [eos])


def accepts(
    vocabulary: llguidance.LLTokenizer, tokenizer: Tokenizer, grammar: str, text: str
) -> bool:
    matcher = llguidance.LLMatcher(vocabulary, grammar, log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    tokens = tokenizer.encode(text, add_special_tokens=False).ids
    return matcher.try_consume_tokens(tokens) == len(tokens) and matcher.is_accepting()


def call(code: str) -> str:
    return prompt.tool_call(code)


def test_every_training_snippet_is_accepted_for_its_question(vocabulary, tokenizer) -> None:
    runs = sorted({(c.code, c.project, c.question) for c in data.candidates(TRAINING)})
    assert len(runs) > 500
    grammars: dict[tuple[str, tuple[str, ...]], str] = {}
    refused = []
    for code, project, question in runs:
        key = (project, tuple(paths_in(question)))  # what the grammar depends on
        if key not in grammars:
            grammars[key] = reply_grammar(data.project_root(project), question)
        if not accepts(vocabulary, tokenizer, grammars[key], call(code)):
            refused.append((project, question, code))
    assert not refused, refused[:3]


def test_a_question_s_own_paths_are_the_only_ones_offered(vocabulary, tokenizer) -> None:
    grammar = reply_grammar(MDQUILL, "Show testing/conftest.py")
    read = 'print(read_file("{}"))'
    assert accepts(vocabulary, tokenizer, grammar, call(read.format("testing/conftest.py")))
    other = call(read.format("src/mdquill/parsing/tokenz.py"))  # what the model wrote
    assert not accepts(vocabulary, tokenizer, grammar, other)
    assert accepts(vocabulary, tokenizer, reply_grammar(MDQUILL), other)  # no path named
    folder = reply_grammar(MDQUILL, "Which test fails in testing/render/?")
    assert accepts(vocabulary, tokenizer, folder, call('print(pytest_run("testing/render/"))'))
    assert accepts(vocabulary, tokenizer, folder, call("print(pytest_run())"))
    assert not accepts(vocabulary, tokenizer, folder, call('print(pytest_run("testing"))'))


def test_a_question_naming_a_project_path_is_answered_by_a_tool(vocabulary, tokenizer) -> None:
    """What a file of the project imports is a fact about its code: the stage-four adapter
    once answered it in prose from memory ("A general-purpose file from fjordkit ...")."""
    prose = "It imports dataclass from dataclasses."
    named = reply_grammar(MDQUILL, "What does src/mdquill/parsing/tokenz.py import?")
    assert not accepts(vocabulary, tokenizer, named, prose)
    read = call('print(read_file("src/mdquill/parsing/tokenz.py"))')
    assert accepts(vocabulary, tokenizer, named, read)
    # A path the project does not have, or none at all, leaves the choice to the model.
    for question in ("What is `__init__.py`?", "What does async/await do?", "What is a set?"):
        assert accepts(vocabulary, tokenizer, reply_grammar(MDQUILL, question), prose), question


def test_a_question_about_nothing_in_the_project_gets_no_tool_call(vocabulary, tokenizer) -> None:
    """The fourth stage ran ruff for "Who won the 1998 football World Cup?" (agent/scope.py)."""
    lint = call("result = ruff_check()\nprint(result.violation_count)")
    for question in ("Who won the 1998 football World Cup?", "Good morning!"):
        grammar = reply_grammar(MDQUILL, question)
        assert not accepts(vocabulary, tokenizer, grammar, lint), question
        assert accepts(vocabulary, tokenizer, grammar, "I do not know."), question
    assert accepts(vocabulary, tokenizer, reply_grammar(MDQUILL, "Any lint problems?"), lint)


def test_direct_answers_are_accepted(vocabulary, tokenizer) -> None:
    grammar = reply_grammar(MDQUILL)
    for answer in [*(item["answer"] for item in data.DIRECT), "Good morning! How can I help?"]:
        assert accepts(vocabulary, tokenizer, grammar, answer), answer


OK = [
    'result = pytest_run()\nprint(result.passed, "passed")',
    'result = pytest_run("testing")\nprint(result.failed)',
    'result = pytest_run("testing/")\nprint(result.failed)',
    'print(read_file("testing/render/test_htmlout.py"))',
    'for e in typecheck("src/mdquill").errors:\n    if e.severity == "error":\n'
    '        print(f"{e.file}:{e.line} {e.code!r}", e.message)',
    "r = ruff_check()\ncodes = [v.code for v in r.violations if v.fixable]\n"
    "print(len(codes), sorted(set(codes))[:3], max(r.violations, key=lambda v: v.line).file)",
    'r = typecheck()\nprint(f"{r.error_count / max(len(r.errors), 1):.0%}")',
    'doc = explain_rule("F401")\nprint(doc.name, doc.what)',
    'found = python_docs("the with statement")\nfor p in found.passages:\n'
    "    print(p.source, p.text)",
    # A multi-step snippet reads each result before the next tool is called.
    "result = typecheck()\nprint(result.error_count)\n"
    "result = ruff_check()\nprint(result.violation_count)\n"
    "for v in result.violations:\n    print(read_file(v.file).splitlines()[v.line - 1])",
    'text = read_file("src/mdquill/__init__.py")\nprint(len(text.splitlines()))\n'
    'result = pytest_run()\nprint(result.failed, text.count("def "))',
]


@pytest.mark.parametrize("code", OK)
def test_valid_snippets_are_accepted(vocabulary, tokenizer, code: str) -> None:
    assert accepts(vocabulary, tokenizer, reply_grammar(MDQUILL), call(code))
    assert snippet_problems(code, MDQUILL) == []


BAD = {
    "a guessed layout": 'result = pytest_run("tests")',
    "a misspelt path": 'print(read_file("src/mdqiull/render/htmlout.py"))',
    "a folder to read_file": 'print(read_file("testing"))',
    "an unregistered tool": "result = run_tests()",
    "a field no result has": "print(typecheck().error_total)",
    "a nested field no result has": "for e in typecheck().errors:\n    print(e.rule)",
    "a dunder": "print(typecheck().__class__)",
    "format": 'print("{0}".format(1))',
    "an import": "import os",
    "a bad indent": "for e in typecheck().errors:\n  print(e.code)",
    "a missing body": "for e in typecheck().errors:\nprint(e.code)",
    "an unclosed call": "print(typecheck(\n",
    "a rule that is not shaped like one": 'print(explain_rule("no such rule!"))',
    "a path for a rule": "print(explain_rule(src/mdquill))",
    # What the model wrote for "Show me X" in an evaluation: an expression that calls nothing.
    "no tool called": "mdquill/render.code",
    "no tool called first": 'print("no tests fail")\nprint(pytest_run().failed)',
    # What the CPU recipe's first seed wrote for "Is frnclib/kiln.py type-correct?": ruff's
    # result read with the type checker's fields.
    "another tool's field": 'result = ruff_check()\nprint(result.error_count, "errors")',
    "another tool's nested field": "for v in ruff_check().violations:\n    print(v.severity)",
    "a field of the tool before": (
        "result = typecheck()\nprint(result.error_count)\n"
        "result = ruff_check()\nprint(result.warning_count)"
    ),
    "a field of text": 'text = read_file("src/mdquill/__init__.py")\nprint(text.errors)',
    "a typed tool inside an expression": (
        "result = typecheck()\nprint(result.error_count, len(ruff_check().violations))"
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_what_does_not_exist_is_refused(vocabulary, tokenizer, name: str) -> None:
    assert not accepts(vocabulary, tokenizer, reply_grammar(MDQUILL), call(BAD[name]))


def test_the_audit_finds_what_the_grammar_refuses() -> None:
    """The evaluation's count of bad snippets (snippet_problems) sees the same faults."""
    for name in ("a guessed layout", "a misspelt path", "an unregistered tool",
                 "a field no result has", "a nested field no result has",
                 "another tool's field", "another tool's nested field",
                 "a field of the tool before", "a field of text"):  # fmt: skip
        assert snippet_problems(BAD[name], MDQUILL), name


def test_prose_cannot_smuggle_a_call_or_a_fence(vocabulary, tokenizer) -> None:
    grammar = reply_grammar(MDQUILL)
    assert not accepts(vocabulary, tokenizer, grammar, "Sure: <tool_call>print(1)")
    assert not accepts(vocabulary, tokenizer, grammar, "Like this:\n```python\nprint(1)\n```")


def test_the_paths_are_the_workspaces_own(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text("")
    files, folders = workspace_paths(tmp_path)
    assert files == ["pkg/a.py"] and folders == [".", "pkg"]


def test_the_end_of_turn_after_a_whole_call_is_not_a_correction(vocabulary, tokenizer) -> None:
    import mlx.core as mx

    from punie_lsp.model.constraint import Constraint

    constraint = Constraint(vocabulary, reply_grammar(MDQUILL))
    ids = tokenizer.encode(call("print(pytest_run().failed)"), add_special_tokens=False).ids
    logits = mx.zeros((tokenizer.get_vocab_size(),))
    assert [constraint.choose(logits, token) for token in ids] == ids
    eos = tokenizer.token_to_id("<|im_end|>")
    assert constraint.choose(logits, eos) == eos and constraint.corrected == 0


def test_a_question_naming_no_path_gets_the_tools_defaults(vocabulary, tokenizer) -> None:
    """No path in the question: the typed tools check what the project configures, so no
    guessed layout (testing/ is mdquill's; pyproject.toml is what a guess fell back to)."""
    grammar = reply_grammar(MDQUILL, "Is anything failing in the test suite?")
    assert accepts(vocabulary, tokenizer, grammar, call("print(pytest_run().failed)"))
    guesses = ('pytest_run("testing")', 'pytest_run("pyproject.toml")', 'typecheck(".")',
               "ruff_check(path)", "pytest_run( )")  # fmt: skip
    for guess in guesses:
        assert not accepts(vocabulary, tokenizer, grammar, call(f"print({guess})")), guess
    assert accepts(vocabulary, tokenizer, grammar, call('print(read_file("testing/conftest.py"))'))
    # A bare word is not a path: "tests" in "Full check: tests, types and lint".
    bare = reply_grammar(MDQUILL, "Full check: testing, types and lint.")
    assert not accepts(vocabulary, tokenizer, bare, call('print(pytest_run("testing"))'))
    folder = reply_grammar(MDQUILL, "Run the tests in testing/.")
    assert accepts(vocabulary, tokenizer, folder, call('print(pytest_run("testing/"))'))
