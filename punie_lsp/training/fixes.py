"""Fix cases: the catalogue's faults in generated projects, asked as the editor's "fix this"
action asks and answered with the catalogue's own repair (training/projects.py keeps the
original code with each fault).

A fault becomes a case where its repair is one line replaced or deleted: for ty and ruff, at
the line the real tool reports the fault's rule on, with that tool's own message; for a
failing test, at a line of the code the test calls (agent/under_test.py), asked about the
test pytest reports failing. The training data keeps a case only where the product's own
path (agent/fixing.py: the reply run in the sandbox, the edit verified with ty, ruff and the
tests) would offer the repair; the evaluation (training/fix_eval.py) asks the model for the
same cases on held-out projects.
"""

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from punie_lsp import prompt
from punie_lsp.agent.fixing import (
    TESTS,
    FixOutcome,
    FixRequest,
    fix,
    question,
    reader,
    test_question,
)
from punie_lsp.agent.grammar import edit_call_head
from punie_lsp.agent.under_test import FailingTest, failing_test
from punie_lsp.model.generation import GenerateRequest, Generation
from punie_lsp.tools import registry
from punie_lsp.tools.models import Finding
from punie_lsp.training import projects

FIXED_BY = {"ty": "typecheck", "ruff": "ruff_check"}  # the tools whose faults have a line


@dataclass(frozen=True)
class FixCase:
    project: str  # "train-12", or a fixture's name
    root: Path
    fault: str  # the catalogue's id: "ty.invalid-assignment"
    request: FixRequest
    site: tuple[str, int]  # where the repair goes: the diagnostic's line, or the code tested
    line_text: str  # that line as the fault left it
    repair: str  # the repaired line; "" deletes it
    asked: str  # the question, as the "fix this" action asks it

    def question(self) -> str:
        return self.asked

    def reply(self) -> str:
        """The reply that proposes the catalogue's repair, as the edit grammar spells it."""
        head = edit_call_head(*self.site)
        return prompt.tool_call(f"{head}{json.dumps(self.repair, ensure_ascii=False)})")


def one_line_repair(faulted: str, repaired: str) -> tuple[int, str] | None:
    """(line, new text) where the repair replaces or deletes exactly one line of faulted."""
    old, new = faulted.splitlines(), repaired.splitlines()
    changes = [op for op in difflib.SequenceMatcher(a=old, b=new).get_opcodes() if op[0] != "equal"]
    if len(changes) != 1:
        return None
    kind, i1, i2, j1, j2 = changes[0]
    if kind == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
        return i1 + 1, new[j1]
    if kind == "delete" and i2 - i1 == 1:
        return i1 + 1, ""
    return None


def cases_in(name: str, root: Path, faults: list[dict], known: dict) -> list[FixCase]:
    """The fix cases of one project (known: its facts): its ty and ruff faults and its
    failing tests' faults with one-line repairs."""
    found = []
    for fault in faults:
        if fault["tool"] == TESTS:
            found += _test_case(name, root, fault, known)
            continue
        if fault["tool"] not in FIXED_BY:
            continue
        path = fault["file"]
        faulted = (root / path).read_text(encoding="utf-8")
        repair = one_line_repair(faulted, fault["repaired"])
        if repair is None:
            continue
        line, new = repair
        message = _message(root, path, fault["tool"], fault["rule"], line)
        if message is None:  # the tool reports the rule elsewhere: not this line's to fix
            continue
        request = FixRequest(
            path=path, line=line, source=fault["tool"], code=fault["rule"], message=message
        )
        line_text = faulted.splitlines()[line - 1]
        asked = question(request, line_text)
        found.append(FixCase(name, root, fault["id"], request, (path, line), line_text, new, asked))
    return found


def _test_case(name: str, root: Path, fault: dict, known: dict) -> list[FixCase]:
    """The case of a failing test's fault, where its repair is one line of the code the
    failing test calls."""
    located = failing_for(root, fault["file"], known)
    faulted = (root / fault["file"]).read_text(encoding="utf-8")
    repair = one_line_repair(faulted, fault["repaired"])
    if located is None or repair is None:
        return []
    request, failing = located
    line, new = repair
    if (fault["file"], line) not in failing.sites():
        return []
    asked = test_question(request, failing)
    line_text = faulted.splitlines()[line - 1]
    return [FixCase(name, root, fault["id"], request, (fault["file"], line), line_text, new, asked)]


def failing_for(
    root: Path, faulted: str, known: dict[str, Any]
) -> tuple[FixRequest, FailingTest] | None:
    """The first failing (or erroring) test whose code under test is in the faulted file, as
    the editor's action on its finding would ask about it."""
    failed = known["pytest"]["failed"]
    broken = {**failed, **known["pytest"]["errors"]}
    read = reader(root)
    for test, where in sorted(broken.items()):
        location, _, message = where.partition(" ")
        test_file = location.rsplit(":", 1)[0]
        failing = failing_test(root, test_file, test, read)
        if failing is None or not any(d.path == faulted for d in failing.under_test):
            continue
        request = FixRequest(
            path=test_file, line=failing.test.first, source=TESTS, code=test,
            message=f"test {test} {'failed' if test in failed else 'error'}: {message}",
        )  # fmt: skip
        return request, failing
    return None


def reported(root: Path, path: str, tool: str, rule: str) -> tuple[BaseModel, list[Finding]]:
    """The tool's result on path and its findings of rule there, as the real tool reports."""
    result: BaseModel = registry.tool(FIXED_BY[tool]).function(path, cwd=root, timeout=60.0)
    found = [f for f in registry.findings(result) if f.code == rule and f.file == path]
    return result, found


def _message(root: Path, path: str, tool: str, rule: str, line: int) -> str | None:
    """The real tool's message for rule at that line of path, or None where it has none."""
    _, found = reported(root, path, tool, rule)
    return next((f.message for f in found if f.line == line), None)


def cases(names: list[str]) -> list[FixCase]:
    """The fix cases of generated projects by name ("train-3", "heldout-0")."""
    found = []
    for name in names:
        root = projects.materialize(*projects.seed_of(name))
        manifest = projects.manifest(root)
        found += cases_in(name, root, manifest["faults"], manifest["facts"])
    return found


def replay(case: FixCase) -> FixOutcome:
    """What the product would do given the catalogue's repair as the model's reply."""

    def model(request: GenerateRequest) -> Generation:
        return Generation(text=case.reply())

    return fix(case.request, case.root, model)
