"""Whether a question is about the project at all, the only thing a tool call can answer.

A question is about the project when it names one of its paths, or shares a word with the
questions the model was taught to answer with a tool (`tool_words.json`, the words of the
training phrasings: tests, lint, type, errors, ...) or with the project's own names (its
folders and modules). Any other question ("Who won the 1998 World Cup?") gets no tool call:
the small model would otherwise run ruff on it, and print lint as if it were the answer.
Its answer is prose, which the grounding replaces with documentation or an honest "found
nothing" (agent/grounding.py).
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path

WORD = re.compile(r"[a-z][a-z0-9_]+")
# Words that say nothing of what a question is about.
_STOP = """an the is are was were be been do does did my me you your it its this that these
those of in on at to for with and or not no what which who whom how why when where there here
can could should would will shall may might must any some all every each so as by from into
about than then if else just please hey ok okay one"""
STOP = frozenset(_STOP.split())
TOOL_WORDS: frozenset[str] = frozenset(
    json.loads((Path(__file__).parent / "tool_words.json").read_text(encoding="utf-8"))
)


def content_words(text: str) -> set[str]:
    """The words of text that may say what it is about, in lower case."""
    return {w for w in WORD.findall(text.lower()) if w not in STOP}


def project_names(paths: Iterable[str]) -> set[str]:
    """The names a project's paths give it: each folder and each module's stem."""
    names: set[str] = set()
    for path in paths:
        for part in path.lower().split("/"):
            names.add(part.removesuffix(".py"))
    return names


def about_the_project(question: str, paths: Iterable[str]) -> bool:
    """Whether a tool could answer question: it shares a word with the tool questions or the
    project's names (the caller checks for named paths)."""
    words = content_words(question)
    return bool(words & TOOL_WORDS) or bool(words & project_names(paths))
