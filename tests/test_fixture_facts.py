"""The fixture projects' facts hold: what ty, ruff and pytest report on them is what their
facts.json says (reviewed by hand against the source). The training data, the evaluation and
the editor tests all lean on these facts, so a tool upgrade that changes one fails here first."""

import json
from pathlib import Path

import pytest

from punie_lsp.training.facts import facts

EXAMPLES = Path(__file__).parent.parent / "examples"
PROJECTS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "facts.json").is_file())


def test_there_are_several_fixture_projects() -> None:
    assert {"sample", "inventory", "textkit", "mdquill"} <= set(PROJECTS)


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_facts_hold(name: str) -> None:
    root = (EXAMPLES / name).resolve()
    expected = json.loads((root / "facts.json").read_text(encoding="utf-8"))
    assert facts(root) == expected
