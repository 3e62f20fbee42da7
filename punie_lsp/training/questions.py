"""Evaluation questions about a project no training data came from, with the facts that
answer them read from what the real tools report on it (training/facts.py).

A question names the project's own paths (chosen where the tools found something, so that a
wrong path or a guessed layout cannot pass by luck) or no path at all; its facts are regular
expressions that the printed output of the model's snippet must match (the evaluation runs
the snippet; training/evaluate.py). Each question carries the kinds of fault behind its facts
("ty:missing-attribute", "pytest:fixture", "clean"), for the report per fault kind.

Phrasings live in eval_phrasings.json, apart from the training templates.
"""

import json
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from punie_lsp.tools.paths import walk
from punie_lsp.tools.pytest import pytest_run, tests_for
from punie_lsp.tools.registry import TOOLS
from punie_lsp.training.projects import layout

PHRASINGS: dict[str, list[str]] = {
    kind: texts
    for kind, texts in json.loads(
        (Path(__file__).parent / "eval_phrasings.json").read_text(encoding="utf-8")
    ).items()
    if kind != "_"
}
# The snippet's name of each tool, by its executable's (the registry is the one list).
TOOL = {tool.source: tool.name for tool in TOOLS}
MOST_FACTS = 3  # names or codes a question checks; the rest would only test the output's length


def _files(root: Path) -> tuple[list[str], list[str]]:
    """The project's source modules and test files (paths relative to its root)."""
    paths = [
        (folder / n).relative_to(root).as_posix() for folder, _, names in walk(root) for n in names
    ]
    sources, tests, _, _ = layout(paths)
    return sources, tests


def _diagnostics(lines: list[str]) -> list[tuple[str, str]]:
    """(file, code) of each "file:line [severity] code [fixable]" fact."""
    found = []
    for line in lines:
        where, *words = line.split()
        code = words[-2] if words[-1] == "fixable" else words[-1]
        found.append((where.rsplit(":", 1)[0], code))
    return found


def _kinds(
    faults: list[dict[str, Any]], tool: str, files: Iterable[str] | None = None
) -> list[str]:
    wanted = None if files is None else set(files)
    kinds = sorted(
        {
            f"{f['tool']}:{f['rule']}"
            for f in faults
            if (f["tool"] == tool or f["tool"] == "syntax")
            and (wanted is None or f["file"] in wanted or tool == "pytest")
        }
    )
    return kinds or ["clean"]


def _names(found: Iterable[str]) -> list[str]:
    return [re.escape(name) for name in list(dict.fromkeys(found))[:MOST_FACTS]]


def questions(
    root: Path,
    facts: dict[str, Any],
    faults: list[dict[str, Any]],
    label: str,
    split: str,
    seed: int,
) -> list[dict[str, Any]]:
    """About fifteen questions on the project at `root`; `label` is how the evaluation finds it
    again (evaluate.root_of)."""
    rng = random.Random(f"{label}:{seed}")
    sources, tests = _files(root)
    types, lint, run = facts["typecheck"], facts["ruff"], facts["pytest"]
    ty_found, ruff_found = _diagnostics(types["diagnostics"]), _diagnostics(lint["diagnostics"])
    broken = {**run["failed"], **run["errors"]}
    items: list[dict[str, Any]] = []

    def add(
        kind: str, tool: str | list[str], wanted: list[str], fault_kinds: list[str], path: str = ""
    ) -> None:
        question = rng.choice(PHRASINGS[kind]).replace("{path}", path)
        items.append(
            {
                "category": kind.split(".")[0],
                "intent": kind,
                "question": question,
                "kind": "tool",
                "tool": tool,
                "facts": wanted,
                "root": label,
                "split": split,
                "faults": fault_kinds,
            }
        )

    def outcome(path: str) -> list[str]:
        """What running the tests of one path must show: the broken tests, or how many
        passed. Run for the path itself: a collection error elsewhere stops the whole run."""
        result = pytest_run(path, cwd=root)
        failing = [t.name for t in result.tests if t.outcome in ("failed", "error")]
        return _names(failing) if failing else [rf"\b{result.passed} passed"]

    everything = set(tests)
    add(
        "tests.all",
        TOOL["pytest"],
        _names(broken) or [rf"\b{len(run['passed'])} passed"],
        _kinds(faults, "pytest"),
    )
    if tests:
        with_failures = sorted({w.split(":", 1)[0] for w in broken.values()} & everything)
        chosen = rng.choice(with_failures or tests)
        add("tests.file", TOOL["pytest"], outcome(chosen), _kinds(faults, "pytest"), chosen)
    add(
        "tests.count", TOOL["pytest"], [rf"\b{len(run['passed'])} passed"], _kinds(faults, "pytest")
    )
    covered = [s for s in sources if tests_for(root, s)]
    if covered:
        chosen = rng.choice(covered)
        add(
            "tests.source",
            TOOL["pytest"],
            outcome(chosen),
            _kinds(faults, "pytest"),
            chosen,
        )

    faulted = _kinds(faults, "ty")
    _findings(add, rng, ("types", TOOL["ty"], "ty"), ty_found, sources, faults, r"\b0 errors")
    add("types.count", TOOL["ty"], [rf"\b{types['errors']} errors"], faulted)
    faulted = _kinds(faults, "ruff")
    _findings(
        add, rng, ("lint", TOOL["ruff"], "ruff"), ruff_found, sources, faults, r"\b0 violations"
    )
    add("lint.fixable", TOOL["ruff"], [rf"\b{lint['fixable']} fixable"], faulted)

    _reading(root, sources, add, rng)
    add(
        "multi.types_lint",
        [TOOL["ty"], TOOL["ruff"]],
        [rf"\b{types['errors']} errors", rf"\b{lint['violations']} violations"],
        ["clean"],
    )
    add(
        "multi.health",
        [TOOL["pytest"], TOOL["ty"], TOOL["ruff"]],
        [
            rf"\b{len(run['failed'])} failed",
            rf"\b{types['errors']} errors",
            rf"\b{lint['violations']} violations",
        ],
        ["clean"],
    )
    return items


def _findings(
    add: Any,
    rng: random.Random,
    names: tuple[str, str, str],
    found: list[tuple[str, str]],
    sources: list[str],
    faults: list[dict[str, Any]],
    none: str,
) -> None:
    """A checker's questions about the whole project and about one file (one with findings
    where there are any): the codes it reports, or its count of none."""
    kind, tool, fault_tool = names
    codes = [code for _, code in found]
    add(f"{kind}.all", tool, _names(codes) or [none], _kinds(faults, fault_tool))
    chosen = rng.choice(sorted({f for f, _ in found}) or sources)
    in_file = [code for f, code in found if f == chosen]
    add(
        f"{kind}.file",
        tool,
        _names(in_file) or [none],
        _kinds(faults, fault_tool, [chosen]),
        chosen,
    )


def _reading(root: Path, sources: list[str], add: Any, rng: random.Random) -> None:
    """Questions answered by reading a source file: its imports, its length, what it defines."""
    texts = {s: (root / s).read_text(encoding="utf-8", errors="replace") for s in sources}
    importing = [s for s, t in texts.items() if re.search(r"^(import|from) ", t, re.M)]
    if importing:
        chosen = rng.choice(importing)
        line = re.search(r"^(import|from) .*$", texts[chosen], re.M)
        assert line is not None
        add("read.imports", TOOL["read_file"], [re.escape(line.group(0))], ["clean"], chosen)
    chosen = rng.choice(sources)
    add(
        "read.length",
        TOOL["read_file"],
        [rf"\b{len(texts[chosen].splitlines())}\b"],
        ["clean"],
        chosen,
    )
    defining = [s for s, t in texts.items() if re.search(r"^(def|class) \w+", t, re.M)]
    if defining:
        chosen = rng.choice(defining)
        first = re.search(r"^(def|class) (\w+)", texts[chosen], re.M)
        assert first is not None
        add(
            "read.whole",
            TOOL["read_file"],
            [rf"{first.group(1)} {re.escape(first.group(2))}\b"],
            ["clean"],
            chosen,
        )
