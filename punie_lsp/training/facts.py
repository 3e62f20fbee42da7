"""A project's facts as the real ty, ruff and pytest report them, in one plain record.

The fixture projects keep theirs in facts.json (tests/test_fixture_facts.py checks they still
hold); generated projects record theirs beside them when materialized (training/projects.py).
The evaluation's expected facts are read from these records, never from what a generator meant
to put in."""

from pathlib import Path
from typing import Any

from punie_lsp.tools import pytest_run, ruff_check, typecheck


def facts(root: Path) -> dict[str, Any]:
    def rel(file: str | None) -> str:
        path = Path(file or "")
        return str(path.resolve().relative_to(root.resolve())) if path.is_absolute() else str(path)

    # No path: what each tool's configuration in the project selects (pytest's testpaths).
    types, lint = typecheck(None, cwd=root), ruff_check(None, cwd=root)
    tests = pytest_run(None, cwd=root)
    return {
        "typecheck": {
            "errors": types.error_count,
            "warnings": types.warning_count,
            "diagnostics": [f"{rel(e.file)}:{e.line} {e.severity} {e.code}" for e in types.errors],
        },
        "ruff": {
            "violations": lint.violation_count,
            "fixable": lint.fixable_count,
            "diagnostics": [
                f"{rel(v.file)}:{v.line} {v.code}{' fixable' if v.fixable else ''}"
                for v in lint.violations
            ],
        },
        "pytest": {
            "passed": sorted(t.name for t in tests.tests if t.outcome == "passed"),
            "failed": {
                t.name: f"{rel(t.file)}:{t.line} {(t.message or '').splitlines()[0]}"
                for t in tests.tests
                if t.outcome == "failed"
            },
            "errors": {
                t.name: f"{rel(t.file)}:{t.line} {(t.message or '').splitlines()[0]}"
                for t in tests.tests
                if t.outcome == "error"
            },
        },
    }
