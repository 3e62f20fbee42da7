"""Answers from documentation: a rule's (explain_rule), Python's (python_docs).

A small model explains from memory with fluent nonsense, so no prose of its own reaches the
user as a fact. When it answers directly, the answer is rebuilt from what a tool found: the
rule the question names, or the passages of Python's documentation and punie's reviewed
answers that cover the question; where nothing does, the answer says so. Conversation
("thanks", "good morning") states no fact and keeps the model's words.
"""

import re
import sys
import time
from pathlib import Path

from punie_lsp.agent.answer import Answer, Timings
from punie_lsp.agent.sandbox import Limits, run_code
from punie_lsp.tools.docs import REVIEWED_SOURCE, terms
from punie_lsp.tools.models import DocsResult, RuleDoc

# What the editor's "explain" action and a question that names a rule run.
_EXPLAIN = """doc = explain_rule({rule!r})
if doc.success:
    title = doc.code if doc.name == doc.code else f"{{doc.code}} {{doc.name}}"
    print(f"{{title}} ({{doc.tool}})")
    print(doc.what)
    if doc.why:
        print()
        print("Why:", doc.why)
    if doc.example:
        print()
        print("Example:", doc.example)
    if doc.fix:
        print()
        print("Fix:", doc.fix)
else:
    print(doc.parse_error)"""

_DOCS = """found = python_docs({question!r})
for passage in found.passages[:{quoted}]:
    print(f"From {{passage.source}}:")
    print(passage.text)
    print()
if not found.found:
    print({nothing!r})"""

QUOTED = 2  # passages an answer quotes
NOTHING = (
    "I found nothing about this in the documentation of Python {version} or in punie's "
    "reviewed answers, so I will not guess. I can run ty, ruff or pytest on this project, "
    "read one of its files, or explain a ruff or ty rule (for example F401)."
)

# Words of greetings, thanks and farewells: a question made only of these (and of words with
# no topic, tools/docs.py) is conversation.
_CONVERSATION_WORDS = """
    hello hi hey hiya there good morning afternoon evening night day thanks thank thx
    cheers many lot ok okay great cool nice awesome perfect fine bye goodbye see later
    welcome punie
"""
_CONVERSATION = frozenset(_CONVERSATION_WORDS.split())
# A ruff code (F401, SIM103, PLR0913) or a ty rule name (missing-attribute) in a question.
_RULE = re.compile(r"\b([A-Z]{1,4}[0-9]{2,4})\b|\b([a-z]+(?:-[a-z]+)+)\b")
# The editor's own "explain" wording (server/ask_actions.py), typed or sent.
_EDITOR_EXPLAIN = re.compile(r"^Explain this problem \[([^\]]+)\]")
# A question that asks what a rule is, not where the project breaks it: a cue to explain, and
# neither a path nor words about the project's files.
_EXPLAIN_CUE = re.compile(
    r"\b(explain|mean|means|meaning|about|why|complain\w*|what is|what's|what does|describe)\b",
    re.IGNORECASE,
)
_PROJECT_CUE = re.compile(
    r"/|\.py\b|\b(which|where|how many|count|list|show|fix\w*|files?|lines?|project|here)\b",
    re.IGNORECASE,
)


def is_conversation(question: str) -> bool:
    return all(word in _CONVERSATION for word in terms(question))


def named_rules(question: str) -> list[str]:
    """The rule codes and kebab-case names the question names, in order (each is checked
    against ruff's and ty's own lists by explain_rule)."""
    return list(dict.fromkeys(m.group(1) or m.group(2) for m in _RULE.finditer(question)))


def rule_to_explain(question: str) -> str | None:
    """The rule a question asks to have explained (its documentation answers it, no model
    needed), if it asks that; explain_rule still checks that the rule exists."""
    if editor := _EDITOR_EXPLAIN.match(question):
        return editor.group(1)
    if not _EXPLAIN_CUE.search(question) or _PROJECT_CUE.search(question):
        return None
    named = named_rules(question)
    return named[0] if len(named) == 1 else None


def explained(answer: Answer) -> bool:
    """Whether explain() found the rule's documentation."""
    return bool(answer.results) and RuleDoc.model_validate(answer.results[0].result).success


def explain(rule: str, root: str | Path, where: str = "", limits: Limits | None = None) -> Answer:
    """A rule explained from its tool's own documentation, with no model: the caller knows
    the rule (a diagnostic's code), so nothing needs choosing. where, the diagnostic and its
    line, comes first in the answer."""
    start = time.perf_counter()
    answer = _run(f"Explain {rule}", _EXPLAIN.format(rule=rule), root, limits, "The code failed")
    if where:
        answer.answer = f"{where}\n\n{answer.answer}"
    answer.timings = Timings(tool=time.perf_counter() - start, total=time.perf_counter() - start)
    return answer


def _run(question: str, code: str, root: str | Path, limits: Limits | None, failed: str) -> Answer:
    """A direct answer made of what code printed in the sandbox, its typed results kept."""
    ran = run_code(code, root, limits)
    told = ran.output.strip() if ran.error is None else f"{failed}: {ran.error}"
    return Answer(
        question=question, kind="direct", code=code, output=ran.output, answer=told,
        error=ran.error, results=ran.results,
    )  # fmt: skip


def ground(answer: Answer, root: str | Path, limits: Limits | None = None) -> Answer:
    """answer, a direct one, with its text taken from documentation: the rule its question
    names, else the passages that cover the question. The model's own words stay only for
    conversation, or where they are the reviewed answer the documentation search found."""
    if is_conversation(answer.question):
        return answer
    for rule in named_rules(answer.question):
        documented = explain(rule, root, limits=limits)
        if explained(documented):
            return _grounded(answer, documented)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    nothing = NOTHING.format(version=version)
    code = _DOCS.format(question=answer.question, quoted=QUOTED, nothing=nothing)
    looked = _run(answer.question, code, root, limits, "The search failed")
    if looked.results:
        reviewed = _reviewed(DocsResult.model_validate(looked.results[0].result), answer.answer)
        looked.answer = reviewed or looked.answer
    return _grounded(answer, looked)


def _reviewed(found: DocsResult, prose: str) -> str | None:
    """The model's words, quoted with their source, where they are a reviewed answer that
    the search found for the question."""
    for passage in found.passages:
        if passage.source == REVIEWED_SOURCE and passage.text.strip() == prose.strip():
            return f"{prose.strip()}\n\n(From {REVIEWED_SOURCE}.)"
    return None


def _grounded(model: Answer, tool: Answer) -> Answer:
    """The model's answer with the tool's text, code, output and results."""
    kept = ("answer", "code", "output", "error", "results")
    return model.model_copy(update={name: getattr(tool, name) for name in kept})
