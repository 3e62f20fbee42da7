"""The one parser for a model's reply: a Code Mode tool call, or a direct answer.

Accepted, in order:
1. the Qwen XML tool call `<tool_call><function=execute_code><parameter=code>...`
   (closing tags may be missing when generation stopped early);
2. its JSON variant `<tool_call>{"name": "execute_code", "arguments": {"code": "..."}}`;
3. a fenced python block that calls a typed tool (a block that does not is example code in
   a direct answer, and is left as such).
Anything else is a direct answer.
"""

import json
import re
from dataclasses import dataclass

from punie_lsp.tools.registry import NAMES as TOOLS

_XML = re.compile(
    r"<tool_call>\s*<function=execute_code>\s*<parameter=code>\n?(?P<code>.*?)"
    r"(?:</parameter>|</function>|</tool_call>|$)",
    re.DOTALL,
)
_JSON = re.compile(r"<tool_call>\s*(?P<body>\{.*?\})\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(?P<code>.*?)(?:```|$)", re.DOTALL)
_CALLS_A_TOOL = re.compile(r"\b(?:" + "|".join(TOOLS) + r")\s*\(")


@dataclass(frozen=True)
class Reply:
    kind: str  # "tool" or "direct"
    code: str | None = None
    text: str = ""  # the direct answer, or what the model wrote around the call


def parse(reply: str) -> Reply:
    if (code := _xml_code(reply)) is not None or (code := _json_code(reply)) is not None:
        return Reply("tool", code, _outside(reply))
    for match in _FENCE.finditer(reply):
        code = match.group("code").strip()
        if _CALLS_A_TOOL.search(code):
            return Reply("tool", code, reply[: match.start()].strip())
    return Reply("direct", None, _clean(reply))


def _xml_code(reply: str) -> str | None:
    match = _XML.search(reply)
    if match is None:
        return None
    code = match.group("code").strip()
    return code or None


def _json_code(reply: str) -> str | None:
    for match in _JSON.finditer(reply):
        try:
            call = json.loads(match.group("body"))
        except ValueError:
            continue
        if not isinstance(call, dict) or call.get("name") not in ("execute_code", None):
            continue
        arguments = call.get("arguments", call.get("parameters"))
        if isinstance(arguments, str):  # some models send the arguments as a JSON string
            try:
                arguments = json.loads(arguments)
            except ValueError:
                continue
        if isinstance(arguments, dict) and isinstance(arguments.get("code"), str):
            return arguments["code"].strip() or None
    return None


def _outside(reply: str) -> str:
    return _clean(reply.split("<tool_call>", 1)[0])


def _clean(text: str) -> str:
    for token in ("<|im_end|>", "<|endoftext|>", "</tool_call>"):
        text = text.replace(token, "")
    return text.strip()
