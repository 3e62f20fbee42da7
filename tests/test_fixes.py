"""Fix cases (training/fixes.py): the catalogue's faults with one-line repairs, at the line and
with the message the real ty or ruff gives (a failing test's: in the code the failing test
calls), answered with a reply the edit grammar takes; the repair verified by the product's
own "fix this" path before it is taught."""

import os

import llguidance
import pytest
from tokenizers import Tokenizer

from punie_lsp.agent import wall
from punie_lsp.agent.fixing import Asked, asked
from punie_lsp.model.constraint import tokenizer_for
from punie_lsp.model.embedded import embedded_model_dir
from punie_lsp.training import data, fixes, projects


def test_one_line_repairs_are_told_from_the_rest() -> None:
    faulted = "a\nb = 1\nc\n"
    assert fixes.one_line_repair(faulted, "a\nb = 2\nc\n") == (2, "b = 2")
    assert fixes.one_line_repair("a\nimport os\nc\n", "a\nc\n") == (2, "")
    assert fixes.one_line_repair(faulted, "a\nb = 2\nc = 3\n") is None  # two lines
    assert fixes.one_line_repair("a\nc\n", "a\nif x:\n    y\nc\n") is None  # lines added
    assert fixes.one_line_repair(faulted, faulted) is None


@pytest.fixture(scope="module")
def cases() -> list[fixes.FixCase]:
    return fixes.cases(list(data.all_projects(12)))


def product(case: fixes.FixCase) -> Asked:
    """What the product asks for the case's request: the question, the sites, the grammar."""
    found = asked(case.request, case.root, lambda path: (case.root / path).read_text())
    assert not isinstance(found, str), found
    assert found.question == case.question()
    return found


def test_each_case_is_at_the_line_the_tool_reports(cases: list[fixes.FixCase]) -> None:
    assert len(cases) >= 6
    assert {c.request.source for c in cases} == {"ty", "ruff", "pytest"}
    for case in cases:
        manifest = projects.manifest(case.root)
        (fault,) = [f for f in manifest["faults"] if f["id"] == case.fault]
        path, line = case.site
        text = (case.root / path).read_text()
        assert text.splitlines()[line - 1] == case.line_text
        # The repair is the catalogue's: the fixed line put back gives the original file.
        lines = text.splitlines(keepends=True)
        lines[line - 1] = case.repair + "\n" if case.repair else ""
        assert "".join(lines) == fault["repaired"]
        assert case.request.message and case.request.message in case.question()
        if case.request.source == "pytest":  # asked on the failing test, fixed in the code
            facts = manifest["facts"]["pytest"]
            assert case.request.code in facts["failed"] | facts["errors"]
            assert path == fault["file"]  # the code under test (a fixture: maybe beside)
        else:
            assert case.site == (case.request.path, case.request.line)
        assert case.site in product(case).sites


def test_each_reply_is_one_the_edit_grammar_takes(cases: list[fixes.FixCase]) -> None:
    tokenizer = Tokenizer.from_file(str(embedded_model_dir() / "tokenizer.json"))
    eos = tokenizer.token_to_id("<|im_end|>")
    assert eos is not None
    vocabulary = tokenizer_for(tokenizer, [eos])
    for case in cases:
        matcher = llguidance.LLMatcher(vocabulary, product(case).grammar, log_level=0)
        tokens = tokenizer.encode(case.reply(), add_special_tokens=False).ids
        assert matcher.try_consume_tokens(tokens) == len(tokens), case.reply()
        assert matcher.is_accepting()


@pytest.mark.skipif(
    not wall.status().available and not os.environ.get("PUNIE_REQUIRE_WALL"),
    reason="verification needs the sandbox's wall",
)
def test_a_repair_is_verified_as_the_editor_would_verify_it(cases: list[fixes.FixCase]) -> None:
    tested = next(c for c in cases if c.request.source == "pytest")
    for case in (cases[0], tested):
        outcome = fixes.replay(case)
        assert outcome.offered, outcome.reason
        assert outcome.verification is not None and outcome.verification.target_gone
        assert outcome.proposal is not None and outcome.proposal.new == case.repair
        assert outcome.proposal.path == case.site[0]
