"""The reply parser, on replies real models wrote (SmolLM2 base and tuned) and malformed ones."""

import pytest

from punie_lsp import prompt
from punie_lsp.agent.parse import parse

# Written by the base SmolLM2-135M-Instruct (greedy) to the questions shown; kept verbatim.
BASE_REVERSE = (
    "```python\ndef reverse_string(input_str):\n    return input_str[::-1]\n```\n\n"
    "This function uses slicing to reverse the input string. The `[::-1]` syntax in Python is "
    "a slice that returns a reversed copy of the string."
)
BASE_TESTS = (
    "The following tests fail:\n\n```python\ndef test_test_1():\n"
    '    assert pytest_run("tests") == pytest_run("'
)
BASE_TYPES = (
    "The Python code contains 1 type error.\n\nThe Python code is written in Python 3.0.0.\n\n"
    "The Python 3.0.0 is the latest version of Python."
)
# Written by the embedded model with the shipped adapter to "Which tests fail in tests/?".
TUNED_TESTS = (
    '<tool_call><function=execute_code><parameter=code>\nresult = pytest_run("tests")\n'
    'print(f"{result.failed} failed, {result.passed} passed")\nfor test in result.tests:\n'
    '    if test.outcome != "passed":\n        print(test.file, test.line, test.name, '
    "test.message)\n</parameter></function></tool_call>"
)


def test_the_tuned_models_reply() -> None:
    reply = parse(TUNED_TESTS)
    assert reply.kind == "tool" and reply.text == ""
    assert reply.code is not None and reply.code.splitlines()[0] == 'result = pytest_run("tests")'
    compile(reply.code, "<reply>", "exec")  # whole and valid Python


def test_xml_tool_call() -> None:
    reply = parse(prompt.tool_call('result = pytest_run("tests")\nprint(result.failed)'))
    assert reply.kind == "tool"
    assert reply.code == 'result = pytest_run("tests")\nprint(result.failed)'


def test_xml_tool_call_cut_off_before_its_closing_tags() -> None:
    reply = parse(
        "<tool_call><function=execute_code><parameter=code>\nprint(typecheck('src').error_count)"
    )
    assert (reply.kind, reply.code) == ("tool", "print(typecheck('src').error_count)")


def test_text_before_the_call_is_kept() -> None:
    reply = parse("Let me check.\n" + prompt.tool_call("print(1)") + "<|im_end|>")
    assert (reply.kind, reply.code, reply.text) == ("tool", "print(1)", "Let me check.")


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "execute_code", "arguments": {"code": "print(ruff_check(\'.\'))"}}',
        '{"name": "execute_code", "arguments": "{\\"code\\": \\"print(ruff_check(\'.\'))\\"}"}',
        '{"arguments": {"code": "print(ruff_check(\'.\'))"}}',
    ],
)
def test_json_tool_call(body: str) -> None:
    reply = parse(f"<tool_call>\n{body}\n</tool_call>")
    assert (reply.kind, reply.code) == ("tool", "print(ruff_check('.'))")


def test_fenced_block_that_calls_a_tool() -> None:
    reply = parse('Sure:\n```python\nr = typecheck("src")\nprint(r.error_count)\n```\nDone.')
    assert reply.kind == "tool" and reply.code == 'r = typecheck("src")\nprint(r.error_count)'
    assert reply.text == "Sure:"


def test_example_code_in_a_direct_answer_is_not_run() -> None:
    reply = parse(BASE_REVERSE)
    assert reply.kind == "direct" and reply.code is None
    assert reply.text == BASE_REVERSE


def test_base_model_garbage_is_a_direct_answer() -> None:
    # The base model "answers" test questions with made-up code; pytest_run appears in an
    # unfinished fence. It calls a tool, so it is run - and the sandbox reports it broken.
    reply = parse(BASE_TESTS)
    assert reply.kind == "tool" and reply.code is not None and "pytest_run" in reply.code
    assert parse(BASE_TYPES).kind == "direct"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<tool_call>",
        "<tool_call></tool_call>",
        "<tool_call><function=execute_code><parameter=code></parameter></function></tool_call>",
        "<tool_call>{not json}</tool_call>",
        '<tool_call>{"name": "other_tool", "arguments": {"code": "x"}}</tool_call>',
        '<tool_call>{"name": "execute_code", "arguments": {"code": 42}}</tool_call>',
        "```python\n```",
        "<|im_end|>",
    ],
)
def test_malformed_replies_are_direct(text: str) -> None:
    reply = parse(text)
    assert reply.kind == "direct" and reply.code is None
    assert "<|im_end|>" not in reply.text
