"""The one prompt formatter, shared by serving, training and evaluation.

Messages go through the tokenizer's own chat template, so any chat model works; the system
prompt is fixed text, so its key-value cache can be computed once (model/host.py).
"""

import re
from collections.abc import Sequence
from typing import Any, Protocol

from punie_lsp.tools.registry import TOOLS


def _listed(names: Sequence[str]) -> str:
    calls = [f"{name}(path)" for name in names]
    return ", ".join(calls[:-1]) + f" or {calls[-1]}" if len(calls) > 1 else calls[0]


# Short on purpose: every token of it is processed for every training example, and the
# tuned model learns the tools' fields from the data, not from this text.
_PROMPTED = [tool.name for tool in TOOLS if tool.in_prompt]
SYSTEM_PROMPT = (
    "You are Punie, a Python coding assistant. To inspect the project, reply with one "
    f"execute_code tool call whose code calls {_listed(_PROMPTED)} and prints what it finds. "
    "Answer general Python questions directly."
)

# A Code Mode reply: CALL_OPEN, a newline, the code, a newline, CALL_CLOSE (Qwen's XML form).
# A path as people type one into a question: something with a slash, or a .py file; a
# sentence's full stop after it is not part of it.
QUESTION_PATH = re.compile(r"[\w.-]*/[\w./-]*[\w/-]|[\w.-]*/|[\w-]+\.py\b")


def paths_in(question: str) -> list[str]:
    """The paths a question names, in order."""
    return QUESTION_PATH.findall(question)


CALL_OPEN = "<tool_call><function=execute_code><parameter=code>"
CALL_CLOSE = "</parameter></function></tool_call>"
# A reply ends at the end of its tool call; what a small model writes after it is noise.
STOP = ("</tool_call>",)


class ChatTokenizer(Protocol):
    def apply_chat_template(self, messages: Any, **kwargs: Any) -> Any: ...


def messages(
    question: str, code: str | None = None, output: str | None = None
) -> list[dict[str, str]]:
    """The conversation: system, question, and (for the final answer) the tool call and the
    tool's output as a `<tool_response>` in a user turn, which every chat template accepts."""
    turns = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question.strip()},
    ]
    if code is not None:
        turns.append({"role": "assistant", "content": tool_call(code)})
        turns.append(
            {"role": "user", "content": f"<tool_response>\n{output or ''}\n</tool_response>"}
        )
    return turns


def tool_call(code: str) -> str:
    """A reply in the Qwen XML tool-call format the parser reads first."""
    return f"{CALL_OPEN}\n{code.strip()}\n{CALL_CLOSE}"


def render(tokenizer: ChatTokenizer, turns: Sequence[dict[str, str]]) -> str:
    """The prompt text ready for generation (the assistant turn opened)."""
    text = tokenizer.apply_chat_template(list(turns), add_generation_prompt=True, tokenize=False)
    assert isinstance(text, str)
    return text


def system_prefix(tokenizer: ChatTokenizer) -> str:
    """The rendered system turn alone: every prompt starts with it, so its cache is shared."""
    text = tokenizer.apply_chat_template(
        [{"role": "system", "content": SYSTEM_PROMPT}], add_generation_prompt=False, tokenize=False
    )
    assert isinstance(text, str)
    return text
