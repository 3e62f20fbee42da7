"""The fix evaluation (training/fix_eval.py): per fault, ruff's fixes and the model's, each
offered only once verified, then checked again on the whole project, where anything worse is
counted. The model here replays the catalogue's repair, or writes a bad edit."""

import os

import pytest

from punie_lsp import prompt
from punie_lsp.agent import wall
from punie_lsp.model.generation import GenerateRequest, Generation
from punie_lsp.training import fix_eval, fixes, projects

pytestmark = pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall",
)


@pytest.fixture(scope="module")
def case() -> fixes.FixCase:
    """A held-out fault in a project some of whose tests pass."""
    found = fixes.cases([f"heldout-{seed}" for seed in range(12)])
    return next(c for c in found if projects.manifest(c.root)["facts"]["pytest"]["passed"])


def fault_of(case: fixes.FixCase) -> tuple[dict, dict]:
    manifest = projects.manifest(case.root)
    (fault,) = [f for f in manifest["faults"] if f["id"] == case.fault]
    return fault, manifest["facts"]


def test_the_repair_is_offered_and_nothing_is_worse(case: fixes.FixCase) -> None:
    fault, known = fault_of(case)

    def repair(request: GenerateRequest) -> Generation:
        return Generation(text=case.reply())

    found = fix_eval.score(case.project, case.root, fault, known, repair)
    assert found.line == case.request.line and found.one_line
    assert found.model_offered and found.model_repaired, found.model_reason
    assert found.worse == []
    table = fix_eval.report([found], with_model=True)
    (row,) = [r for r in table.splitlines() if r.startswith(f"| {fix_eval.kind_of(case.fault)} |")]
    assert row.startswith(f"| {fix_eval.kind_of(case.fault)} | 1 | 1 |") and row.endswith("| 1/1 |")
    assert "made anything worse in a whole-project run: 0" in table


def test_a_bad_edit_is_not_offered(case: fixes.FixCase) -> None:
    fault, known = fault_of(case)
    path, line = case.request.path, case.request.line

    def vandal(request: GenerateRequest) -> Generation:
        return Generation(text=prompt.tool_call(f'propose_edit("{path}", {line}, "pass")'))

    found = fix_eval.score(case.project, case.root, fault, known, vandal)
    assert found.model_offered is False and found.model_reason
    assert "1 failed" not in (found.model_reason or "")


def test_the_whole_project_check_sees_a_broken_test(case: fixes.FixCase) -> None:
    _, known = fault_of(case)
    path = case.request.path
    text = (case.root / path).read_text()
    # Every function of the module made to return None: some test that passed fails.
    broken = "\n".join(
        line + "\n    return None" if line.startswith("def ") and line.endswith(":") else line
        for line in text.splitlines()
    )
    found = fix_eval.worse(case.root, path, broken, known)
    assert any(w.startswith("test ") and w.endswith("no longer passes") for w in found), found
