"""The fixture projects' facts hold: what ty, ruff and pytest report on them is what their
facts.json says (reviewed by hand against the source). The training data, the evaluation and
the editor tests all lean on these facts, so a tool upgrade that changes one fails here first."""

import json
from pathlib import Path
from typing import Any

import pytest

from punie_lsp.tools import pytest_run, ruff_check, typecheck

EXAMPLES = Path(__file__).parent.parent / "examples"
PROJECTS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "facts.json").is_file())


def facts(root: Path) -> dict[str, Any]:
    def rel(file: str | None) -> str:
        path = Path(file or "")
        return str(path.resolve().relative_to(root)) if path.is_absolute() else str(path)

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
        },
    }


def test_there_are_several_fixture_projects() -> None:
    assert {"sample", "inventory", "textkit", "mdquill"} <= set(PROJECTS)


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_facts_hold(name: str) -> None:
    root = (EXAMPLES / name).resolve()
    expected = json.loads((root / "facts.json").read_text(encoding="utf-8"))
    assert facts(root) == expected
