"""Plain-text reports of typed-tool results, grouped by file like a linter's output."""

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from punie_lsp.tools import RuffResult, TestResult, TypeCheckResult

Result = TypeCheckResult | RuffResult | TestResult


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    text: str


def findings(result: Result) -> list[Finding]:
    if isinstance(result, TypeCheckResult):
        return [
            Finding(e.file, e.line, e.column, f"{e.severity}  ty[{e.code}] {e.message}")
            for e in result.errors
        ]
    if isinstance(result, RuffResult):
        return [
            Finding(
                v.file,
                v.line,
                v.column,
                f"lint  ruff[{v.code}]{' [*]' if v.fixable else ''} {v.message}",
            )
            for v in result.violations
        ]
    found = []
    for t in result.tests:
        if t.outcome in ("failed", "error"):
            first = (t.message or "").strip().splitlines()[:1]
            detail = f": {first[0]}" if first else ""
            line = t.failure_line or t.line or 1
            found.append(Finding(t.file or "?", line, 1, f"{t.outcome}  pytest[{t.name}]{detail}"))
    return found


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(result: Result) -> str:
    if isinstance(result, TypeCheckResult):
        name = "ty"
        counts = f"{_n(result.error_count, 'error')}, {_n(result.warning_count, 'warning')}"
    elif isinstance(result, RuffResult):
        name = "ruff"
        counts = f"{_n(result.violation_count, 'violation')} ({result.fixable_count} fixable)"
    else:
        name = "pytest"
        total = result.passed + result.failed + result.errors + result.skipped
        counts = (
            f"{result.failed} failed, {_n(result.errors, 'error')}, {result.passed} passed, "
            f"{result.skipped} skipped of {total}"
        )
    return (
        f"{name}: cannot run ({result.parse_error})" if result.parse_error else f"{name}: {counts}"
    )


def render(results: Sequence[Result], base: str = "") -> str:
    """Findings grouped by file, then one summary line per tool.

    base is prefixed to each file: the project's folder as the user would type it.
    """
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(f for r in results for f in findings(r)):
        by_file[finding.file].append(finding)
    lines: list[str] = []
    for file, items in by_file.items():
        lines.append(os.path.normpath(os.path.join(base, file)))
        lines.extend(f"  {f.line}:{f.column}  {f.text}" for f in items)
        lines.append("")
    lines.extend(summary(r) for r in results)
    return "\n".join(lines)
