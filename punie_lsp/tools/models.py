"""Results of the typed tools.

Field names are the ones the upstream model was trained on (see docs/tools.md); new fields
are only ever added, never renamed. Positions are 1-based lines and 1-based columns counted
in Unicode code points, as ruff and ty report them.
"""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning"]


class TypeCheckError(BaseModel):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Severity
    code: str
    message: str


class TypeCheckResult(BaseModel):
    success: bool
    error_count: int = 0
    warning_count: int = 0
    errors: list[TypeCheckError] = Field(default_factory=list)
    parse_error: str | None = None


class RuffEdit(BaseModel):
    content: str
    line: int
    column: int
    end_line: int
    end_column: int


class RuffFix(BaseModel):
    message: str | None
    applicability: Literal["safe", "unsafe", "display-only"]
    edits: list[RuffEdit]


class RuffViolation(BaseModel):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    fixable: bool
    url: str | None = None
    fix: RuffFix | None = None
    noqa_row: int | None = None


class RuffResult(BaseModel):
    success: bool
    violation_count: int = 0
    fixable_count: int = 0
    violations: list[RuffViolation] = Field(default_factory=list)
    parse_error: str | None = None


class TestCase(BaseModel):
    __test__ = False  # a result model, not something for pytest to collect

    name: str
    file: str | None
    line: int | None
    outcome: Literal["passed", "failed", "error", "skipped"]
    duration: float
    message: str | None = None
    classname: str = ""
    failure_line: int | None = None  # where the failure was raised, when pytest says


class TestResult(BaseModel):
    __test__ = False

    success: bool
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    duration: float = 0.0
    tests: list[TestCase] = Field(default_factory=list)
    parse_error: str | None = None
    # For a source file (not a test file): the test files chosen because they import it or
    # are named after it (tools/pytest.py: tests_for).
    selected: list[str] = Field(default_factory=list)


class RuleDoc(BaseModel):
    """A rule's own documentation, as its tool prints it (`ruff rule`, `ty explain rule`)."""

    success: bool
    tool: Literal["ruff", "ty", ""] = ""
    code: str = ""  # what a diagnostic shows: F401, missing-attribute
    name: str = ""  # the rule's name: unused-import (ty's rules are their names)
    what: str = ""  # "What it does"
    why: str = ""  # "Why is this bad?"
    example: str = ""
    fix: str = ""  # whether and how a fix is offered
    text: str = ""  # the whole documentation
    parse_error: str | None = None


class Passage(BaseModel):
    title: str  # the section heading, or the documented name (str.zfill)
    text: str
    source: str  # where it comes from, as an answer quotes it
    score: float  # bm25, higher is better


class DocsResult(BaseModel):
    """Passages of Python's documentation that answer a question (tools/docs.py)."""

    success: bool
    query: str = ""
    found: bool = False  # False: nothing in the documentation covers the question
    passages: list[Passage] = Field(default_factory=list)
    parse_error: str | None = None


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class Wording:
    """How a tool's findings read, as format strings over a Finding's fields (plus `fix`,
    " [*]" when ruff can fix it): in an editor, in a linter-style report, and as an item of
    a final answer in the training data."""

    diagnostic: str = "{source}: {message}"
    diagnostic_code: str = "{code}"
    report: str = "{kind}  {source}[{code}]{fix} {message}"
    item: str = "{file}:{line} {code}"
    # A final answer's count sentence, over the result's fields and {path}; `clean` instead
    # when nothing was found and its numbers were printed.
    counts: str = ""
    clean: str | None = None


@dataclass(frozen=True)
class Finding:
    """One problem a typed tool found, in plain data: what every consumer of results (the
    editor's diagnostics, the report, the training data's final answers) reads."""

    file: str
    line: int  # 1-based; a failing test: the test function's line
    column: int  # 1-based, in code points
    end_line: int
    end_column: int
    severity: Severity
    code: str  # the rule (ty, ruff), or the failing test's name
    message: str
    source: str  # the tool: "ty", "ruff", "pytest"
    kind: str  # the tool's own word for it: its severity, "lint", or a test's outcome
    fixable: bool = False  # a safe fix exists
    raised_line: int | None = None  # a failing test: the line that raised, when pytest says
    wording: Wording = Wording()

    def text(self, template: str) -> str:
        """template filled in; {fix} is " [*]" when fixable, {detail} ": message" or ""."""
        return template.format(
            file=self.file, line=self.line, column=self.column, code=self.code,
            message=self.message, source=self.source, kind=self.kind,
            fix=" [*]" if self.fixable else "", detail=f": {self.message}" if self.message else "",
        )  # fmt: skip


def finding_at(item: TypeCheckError | RuffViolation, **fields: Any) -> Finding:
    """A Finding on an item's own range, code and message (ty's and ruff's items share them)."""
    return Finding(
        file=item.file, line=item.line, column=item.column, end_line=item.end_line,
        end_column=item.end_column, code=item.code, message=item.message, **fields,
    )  # fmt: skip


class EditProposal(BaseModel):
    """One line of a file and what a fix would put there (propose_edit); nothing is written."""

    success: bool
    path: str = ""  # workspace-relative
    line: int = 0  # 1-based
    old: str = ""  # the line as it is, without its newline
    new: str = ""  # what replaces it: "" deletes the line; "\n" in it adds lines
    parse_error: str | None = None
