"""A guess at the whole reply from the question: which known reply it asks for, and its paths.

Code Mode replies are few and formulaic: the 1,703 training questions have 434 distinct
replies, and with the question's paths taken out of them, a few dozen shapes. Which shape the
model writes follows from the question's words ("ruff", "type errors", "which tests fail",
"how many") and how many paths it names. The n-gram index of model/lookup.py knows the
scaffolding but not which tool the question wants nor its path, so its guesses fail exactly
where the reply chooses. Here a naive Bayes classifier over the question's words (the
plainest model that weighs "ruff" over "what") picks the shape, and the question's paths are
put back into it in order. It is only a draft: every token is still the model's own greedy
choice, so a wrong guess costs one wider pass, never a different answer.
"""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from punie_lsp.prompt import QUESTION_PATH

_PATH = QUESTION_PATH
_WORD = re.compile(r"[a-z0-9]+")
_SLOT = "\x00{}\x00"  # where the question's n-th path goes in a shape
_SLOTS = re.compile("\x00(\\d+)\x00")
_SMOOTHING = 0.5


@dataclass(frozen=True)
class Recall:
    """Reply shapes and, per shape, how often each question word came with it."""

    shapes: list[str]  # reply text with _SLOT markers for the question's paths
    slots: list[int]  # paths each shape needs
    priors: list[float]  # log P(shape)
    counts: list[dict[str, int]]  # shape -> word -> questions with that word
    totals: list[int]  # shape -> all word occurrences
    vocabulary: int
    direct: "Recall | None" = None  # the same over direct answers, once "" (direct) wins


def _split(question: str) -> tuple[list[str], list[str]]:
    """The question's words, with one marker per path kind and one for how many paths it
    names (a question about a file is nearest to questions about a file), and its paths."""
    paths = _PATH.findall(question)
    words = set(_WORD.findall(_PATH.sub(" ", question).lower()))
    words.update("<dir>" if p.endswith("/") else "<file>" for p in paths)
    words.add(f"<{min(len(paths), 2)} paths>")
    return sorted(words), paths


def _shape(reply: str, paths: list[str]) -> str:
    """reply with the question's paths (longest first, so src/a/b.py is not cut at src/a/)
    replaced by slot markers, all at once."""
    order = sorted(range(len(paths)), key=lambda i: len(paths[i]), reverse=True)
    if not order:
        return reply
    pattern = re.compile("|".join(re.escape(paths[i]) for i in order))
    first = {paths[i]: i for i in reversed(range(len(paths)))}
    return pattern.sub(lambda m: _SLOT.format(first[m.group(0)]), reply)


def build(pairs: Iterable[tuple[str, str]]) -> Recall:
    """A Recall over (question, reply) pairs. Replies that are not tool calls (direct
    answers) count as one shape, the empty one, when telling them from tool calls; which
    direct answer it is, is told apart afterwards, among direct answers only (`direct`), so
    that many small classes of prose (166 in the shipped data) cannot pull a tool question
    their way."""
    tools: defaultdict[str, list[list[str]]] = defaultdict(list)
    answers: defaultdict[str, list[list[str]]] = defaultdict(list)
    for question, reply in pairs:
        words, paths = _split(question)
        if reply.startswith("<tool_call>"):
            tools[_shape(reply, paths)].append(words)
        else:
            tools[""].append(words)
            answers[reply].append(words)
    direct = _classifier(answers) if answers else None
    return _classifier(tools, direct)


def _classifier(by_shape: dict[str, list[list[str]]], direct: Recall | None = None) -> Recall:
    shapes = list(by_shape)
    total = sum(len(v) for v in by_shape.values())
    counts = [Counter(w for words in by_shape[s] for w in words) for s in shapes]
    return Recall(
        shapes=shapes,
        # The highest slot, not how many: a reply may use a question's second path only.
        slots=[max((int(n) + 1 for n in _SLOTS.findall(s)), default=0) for s in shapes],
        priors=[math.log(len(by_shape[s]) / total) for s in shapes],
        counts=[dict(c) for c in counts],
        totals=[sum(c.values()) for c in counts],
        vocabulary=len({w for c in counts for w in c}),
        direct=direct,
    )


def guess_reply(recall: Recall, question: str) -> str | None:
    """The most likely reply for question: a tool call's shape with the question's paths in
    it, or the most likely known direct answer; None when there is nothing to go on (no
    known replies, or every shape needs more paths than the question names)."""
    words, paths = _split(question)
    best = _most_likely(recall, words, len(paths))
    if best == "" and recall.direct is not None:
        best = _most_likely(recall.direct, words, len(paths))
    if not best:
        return None
    return _SLOTS.sub(lambda m: paths[int(m.group(1))], best)


def _most_likely(recall: Recall, words: list[str], paths: int) -> str | None:
    """The shape with the highest naive Bayes score for words, of those paths can fill."""
    best, best_score = None, -math.inf
    for number, shape in enumerate(recall.shapes):
        if recall.slots[number] > paths:
            continue
        counts, denominator = recall.counts[number], recall.totals[number]
        denominator += _SMOOTHING * recall.vocabulary
        score = recall.priors[number] + sum(
            math.log((counts.get(w, 0) + _SMOOTHING) / denominator) for w in words
        )
        if score > best_score:
            best, best_score = shape, score
    return best
