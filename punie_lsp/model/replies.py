"""replies.json, shipped beside an adapter: the replies the adapter was trained to write and
the training questions with the number of their reply. `punie-lsp data` writes it
(training/data.py), the model host reads it to draft from (model/lookup.py indexes the tool
calls by n-gram, model/recall.py learns which reply a question asks for). One module owns the
format both ways."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class KnownReplies:
    replies: list[str] = field(default_factory=list)
    questions: list[tuple[str, int]] = field(default_factory=list)  # (question, reply number)

    def calls(self) -> list[str]:
        """The tool-call replies: the scaffolding drafts come from."""
        return [r for r in self.replies if r.startswith("<tool_call>")]

    def pairs(self) -> list[tuple[str, str]]:
        return [(question, self.replies[number]) for question, number in self.questions]


def from_examples(examples: Iterable[dict[str, Any]]) -> KnownReplies:
    """The distinct first replies of chat examples (tool calls first, then direct answers)
    and each first-turn question with the number of its reply."""
    examples = list(examples)
    turns = (turn["content"] for example in examples for turn in example["messages"])
    calls = [r for r in turns if r.startswith("<tool_call>")]
    first_turns = [e["messages"] for e in examples if len(e["messages"]) == 3]
    answers = [t[2]["content"] for t in first_turns]
    replies = list(dict.fromkeys([*calls, *answers]))
    number = {reply: n for n, reply in enumerate(replies)}
    questions = [(t[1]["content"], number[t[2]["content"]]) for t in first_turns]
    return KnownReplies(replies, questions)


def merge(*known: KnownReplies) -> KnownReplies:
    """One vocabulary from several (an adapter trained in stages knows every stage's replies):
    the replies in first-seen order, every question with its reply's new number."""
    replies = list(dict.fromkeys(r for k in known for r in k.replies))
    number = {reply: n for n, reply in enumerate(replies)}
    questions = [(q, number[k.replies[n]]) for k in known for q, n in k.questions]
    return KnownReplies(replies, list(dict.fromkeys(questions)))


def dumps(known: KnownReplies) -> str:
    """JSON with one entry per line, so that a change reads as a diff."""
    replies = ",\n".join(json.dumps(r) for r in known.replies)
    questions = ",\n".join(json.dumps([q, n]) for q, n in known.questions)
    return f'{{\n"replies": [\n{replies}\n],\n"questions": [\n{questions}\n]\n}}\n'


def write(path: Path, known: KnownReplies) -> None:
    path.write_text(dumps(known), encoding="utf-8")


def read(path: Path) -> KnownReplies:
    """The file's replies; an older file is a bare list of replies. Raises OSError or
    ValueError for a file that is missing or not this format."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        data = {"replies": data, "questions": []}
    if not isinstance(data, dict) or not isinstance(data.get("replies"), list):
        raise ValueError(f"{path} is not a replies file")
    replies = [str(r) for r in data["replies"]]
    questions = [(str(q), int(n)) for q, n in data.get("questions", [])]
    if any(not 0 <= n < len(replies) for _, n in questions):
        raise ValueError(f"{path} numbers a reply it does not have")
    return KnownReplies(replies, questions)
