"""Results of the typed tools.

Field names are the ones the upstream model was trained on (see docs/tools.md); new fields
are only ever added, never renamed. Positions are 1-based lines and 1-based columns counted
in Unicode code points, as ruff and ty report them.
"""

from typing import Literal

from pydantic import BaseModel, Field


class TypeCheckError(BaseModel):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Literal["error", "warning"]
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
