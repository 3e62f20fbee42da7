"""The project generator: names held apart between training and evaluation, layouts of every
kind, and a catalogue whose every fault makes the real tool report its rule and whose repair
takes it away. Clean projects are clean."""

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from punie_lsp.training import projects
from punie_lsp.training.facts import facts

EXAMPLES = Path(__file__).parent.parent / "examples"
DRAWN = 400  # seeds drawn (no tools run) to find every fault and layout


def _example_names() -> set[str]:
    """Every file and folder name of the hand-written projects, without suffixes."""
    return {p.stem for p in EXAMPLES.rglob("*") if "__pycache__" not in p.parts}


def test_word_lists_are_disjoint_and_unlike_the_examples() -> None:
    train, heldout = projects.words("train"), projects.words("heldout")
    train_words = {w for kind in train.values() for w in kind}
    heldout_words = {w for kind in heldout.values() for w in kind}
    assert not train_words & heldout_words
    assert not (train_words | heldout_words) & _example_names()


def test_a_seed_draws_the_same_project() -> None:
    first, again, other = (projects.draw(s, "train") for s in (7, 7, 8))
    assert first == again
    assert first.slots != other.slots


def test_heldout_projects_use_only_heldout_words() -> None:
    train = {w for kind in projects.words("train").values() for w in kind}
    for seed in range(50):
        drawn = projects.draw(seed, "heldout")
        names = [m.dotted for m in drawn.modules] + list(drawn.slots.values())
        assert not any(word in name for name in names for word in train if len(word) > 4)


def test_every_layout_is_drawn() -> None:
    layouts = [projects.draw(seed, "train").project.layout for seed in range(DRAWN)]
    assert {layout.source for layout in layouts} == {"src", ""}
    assert {layout.tests for layout in layouts} == set(projects.TEST_DIRS)
    assert any(layout.nested and layout.mirror for layout in layouts)
    assert any(layout.nested and not layout.mirror for layout in layouts)
    for flag in ("testpaths", "conftest"):
        assert {getattr(layout, flag) for layout in layouts if layout.tests} == {True, False}


def _first_seeds() -> dict[str, int]:
    """For each fault of the catalogue, the first training seed that puts it in."""
    first: dict[str, int] = {}
    for seed in range(DRAWN):
        for fault in projects.draw(seed, "train").faults.values():
            first.setdefault(fault.id, seed)
    return first


FIRST = _first_seeds()
CLEAN = [s for s in range(60) if not projects.draw(s, "train").faults][:3]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("projects")
    seeds = sorted(set(FIRST.values()) | set(CLEAN))
    with ThreadPoolExecutor(4) as pool:
        roots = pool.map(lambda s: projects.materialize(s, "train", base), seeds)
    return dict(zip(seeds, roots, strict=True))


def test_the_catalogue_has_every_kind_of_fault() -> None:
    faults = projects.catalogue().faults.values()
    assert set(FIRST) == {f.id for f in faults}, "a fault no seed draws"
    assert len({f.rule for f in faults if f.tool == "ty"}) >= 8
    assert len({f.rule for f in faults if f.tool == "ruff"}) >= 15
    assert {f.rule for f in faults if f.tool == "pytest"} == {
        "assertion",
        "exception",
        "fixture",
        "parametrized",
    }
    assert any(f.tool == "syntax" for f in faults)


@pytest.mark.parametrize("seed", CLEAN)
def test_a_project_with_no_fault_is_clean(generated: dict[int, Path], seed: int) -> None:
    facts = projects.manifest(generated[seed])["facts"]
    assert facts["typecheck"]["diagnostics"] == []
    assert facts["ruff"]["diagnostics"] == []
    assert facts["pytest"]["failed"] == {} and facts["pytest"]["errors"] == {}
    assert len(facts["pytest"]["passed"]) >= 4


def _reported(fault: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Whether the tools' facts show the fault's rule (in its file, for ty and ruff)."""
    file, rule = fault["file"], fault["rule"]
    if fault["tool"] in ("ty", "syntax"):
        return any(
            d.startswith(f"{file}:") and d.endswith(f" {rule}")
            for d in facts["typecheck"]["diagnostics"]
        )
    if fault["tool"] == "ruff":
        return any(
            d.startswith(f"{file}:") and d.split()[1] == rule for d in facts["ruff"]["diagnostics"]
        )
    failed, errors = facts["pytest"]["failed"], facts["pytest"]["errors"]
    kinds: dict[str, Callable[[], bool]] = {
        "assertion": lambda: any("assert" in m for m in failed.values()),
        "exception": lambda: any("Error:" in m and "Assertion" not in m for m in failed.values()),
        "fixture": lambda: bool(errors),
        "parametrized": lambda: any("[" in name for name in failed),
    }
    return kinds[rule]()


@pytest.mark.parametrize("fault_id", sorted(FIRST))
def test_each_fault_is_reported_and_its_repair_removes_it(
    generated: dict[int, Path], fault_id: str, tmp_path: Path
) -> None:
    root = generated[FIRST[fault_id]]
    manifest = projects.manifest(root)
    (fault,) = [f for f in manifest["faults"] if f["id"] == fault_id]
    assert _reported(fault, manifest["facts"]), manifest["facts"]
    copy = tmp_path / "project"
    shutil.copytree(root, copy)
    (copy / fault["file"]).write_text(fault["repaired"], encoding="utf-8")
    after = facts(copy)
    if fault["tool"] == "pytest":  # other faults may fail tests too: this one's are gone
        assert _broken(after) < _broken(manifest["facts"]), after
    else:
        assert not _reported(fault, after), after


def _broken(facts: dict[str, Any]) -> int:
    return len(facts["pytest"]["failed"]) + len(facts["pytest"]["errors"])


def test_the_projects_command_writes_projects_and_manifests(tmp_path: Path) -> None:
    from punie_lsp.cli import main

    assert main(["projects", str(tmp_path), "--split", "heldout", "--count", "2"]) == 0
    for seed in (0, 1):
        root = tmp_path / f"heldout-{seed}"
        manifest = projects.manifest(root)
        assert manifest["split"] == "heldout" and manifest["seed"] == seed
        assert (root / "pyproject.toml").is_file()
        assert set(manifest["facts"]) == {"typecheck", "ruff", "pytest"}


def test_an_unfinished_project_gets_its_manifest(tmp_path: Path) -> None:
    """A folder an interrupted run left without a manifest is not read as finished, and the
    next run completes it."""
    root = projects.materialize(0, "heldout", tmp_path)
    written = projects.manifest(root)
    projects.manifest_path(root).unlink()
    assert projects.materialize(0, "heldout", tmp_path) == root
    assert projects.manifest(root)["faults"] == written["faults"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work left
