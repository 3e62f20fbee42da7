"""Generated projects: many small, realistic Python projects from a seed, with faults in.

A project is drawn from a seed and a word list (words.toml: `train` for the training data,
`heldout` for the evaluation): package, module, class and function names in several styles,
one of several layouts (src/ or flat, nested subpackages, tests in tests/, testing/, test/ or
beside the code, a conftest.py, pytest's testpaths or none), and blocks of code with their
tests (catalogue.toml), some of them edited by a fault from the catalogue. The original block
is the fault's repair; each `Fault` keeps both texts of its file.

What a project's tools report is never taken from here: `materialize()` writes the project
into the cache and records the real ty, ruff and pytest results (training/facts.py) beside
it. The generator's own output is normalised by ruff (import sorting and formatting) so that
a project with no fault is clean by construction, which tests/test_projects.py checks.

    uv run punie-lsp projects OUT_DIR [--split train|heldout] [--count 200] [--start 0]
"""

import argparse
import builtins
import contextlib
import functools
import hashlib
import json
import keyword
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from punie_lsp.cache import cache_dir
from punie_lsp.tools.process import find_executable
from punie_lsp.tools.pytest import TEST_FILE
from punie_lsp.training.facts import facts

HERE = Path(__file__).parent
SPLITS = ("train", "heldout")
TEST_DIRS = ("tests", "testing", "test", "")  # "" is beside the code
RUFF_SELECT = ["E", "F", "I", "UP", "B", "SIM", "C4"]
# How many faults a project gets: some clean projects, most with one to three problems.
FAULT_COUNTS = (0, 1, 2, 3)
FAULT_COUNT_WEIGHTS = (0.15, 0.35, 0.3, 0.2)


@dataclass(frozen=True)
class Block:
    name: str
    code: str
    tests: str
    imports: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # named, but not imported by the tests
    fixtures: tuple[str, ...] = ()
    fixture: str = ""
    after: str = ""  # a block that must sit in an earlier module


@dataclass(frozen=True)
class FaultSpec:
    id: str
    tool: str  # ty | ruff | pytest | syntax
    rule: str  # the rule the tool is expected to report; for pytest the failure's kind
    block: str
    target: str = "code"  # code | imports | tests | fixture
    edits: tuple[tuple[str, str], ...] = ()
    add_import: str = ""


@dataclass(frozen=True)
class Catalogue:
    blocks: dict[str, Block]
    faults: dict[str, FaultSpec]


@dataclass(frozen=True)
class Layout:
    source: str  # "src" or "" (the package at the project's root)
    tests: str  # one of TEST_DIRS
    nested: str  # the subpackage holding the later modules, or ""
    mirror: bool  # tests of a subpackage's modules in a folder named after it
    testpaths: bool
    conftest: bool


@dataclass(frozen=True)
class Fault:
    """One fault put into a project: the edited file and the same file repaired."""

    id: str
    tool: str
    rule: str
    file: str
    repaired: str  # the file's text with this fault taken out (other faults kept)


@dataclass
class Project:
    split: str
    seed: int
    package: str
    layout: Layout
    files: dict[str, str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.split}-{self.seed}"


def seed_of(name: str) -> tuple[int, str]:
    """(seed, split) of a project's name: "train-12" is seed 12 of the train split."""
    split, seed = name.rsplit("-", 1)
    return int(seed), split


@functools.cache
def catalogue() -> Catalogue:
    data = tomllib.loads((HERE / "catalogue.toml").read_text(encoding="utf-8"))
    blocks = {
        item["name"]: Block(
            name=item["name"],
            code=item["code"],
            tests=item["tests"],
            imports=tuple(item.get("imports", ())),
            functions=tuple(item.get("functions", ())),
            classes=tuple(item.get("classes", ())),
            methods=tuple(item.get("methods", ())),
            fixtures=tuple(item.get("fixtures", ())),
            fixture=item.get("fixture", ""),
            after=item.get("after", ""),
        )
        for item in data["block"]
    }
    faults = {
        item["id"]: FaultSpec(
            id=item["id"],
            tool=item["tool"],
            rule=item["rule"],
            block=item["block"],
            target=item.get("target", "code"),
            edits=tuple((find, replace) for find, replace in item.get("edits", ())),
            add_import=item.get("add_import", ""),
        )
        for item in data["fault"]
    }
    return Catalogue(blocks, faults)


@functools.cache
def words(split: str) -> dict[str, list[str]]:
    return tomllib.loads((HERE / "words.toml").read_text(encoding="utf-8"))[split]


# ---- names --------------------------------------------------------------------------------

RESERVED = (
    set(keyword.kwlist) | set(dir(builtins)) | set(sys.stdlib_module_names) | {"pytest", "src"}
)


def _abbrev(word: str) -> str:
    """A word as a programmer abbreviates it: its first letter and the consonants after."""
    consonants = [c for c in word[1:] if c not in "aeiou"]
    return (word[0] + "".join(consonants))[:4]


def _camel(*parts: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in parts)


class Names:
    """Fresh identifiers in the word list's styles, unique within one project."""

    def __init__(self, rng: random.Random, split: str) -> None:
        self.rng, self.words, self.used = rng, words(split), set(RESERVED)

    def _fresh(self, make: Any) -> str:
        for _ in range(200):
            name = make()
            if name.isidentifier() and name not in self.used and not name.startswith("test"):
                self.used.add(name)
                return name
        raise RuntimeError("ran out of fresh names")  # only with a tiny word list

    def _pick(self, kind: str) -> str:
        return self.rng.choice(self.words[kind])

    def function(self) -> str:
        def make() -> str:
            verb, noun = self._pick("verbs"), self._pick("nouns")
            return self.rng.choice(
                [
                    f"{verb}_{noun}",
                    f"{verb}_{noun}s",
                    f"{verb}{noun}",
                    f"{_abbrev(verb)}_{_abbrev(noun)}",
                    f"{self._pick('odd')}_{noun}",
                ]
            )

        return self._fresh(make)

    def cls(self) -> str:
        def make() -> str:
            noun = self._pick("nouns")
            return self.rng.choice(
                [
                    _camel(noun),
                    _camel(noun, self._pick("nouns")),
                    _camel(self._pick("odd"), noun),
                    _camel(_abbrev(noun), "Info"),
                ]
            )

        return self._fresh(make)

    def module(self) -> str:
        def make() -> str:
            noun = self._pick("nouns")
            return self.rng.choice(
                [
                    noun,
                    f"{noun}s",
                    _abbrev(noun),
                    self._pick("odd"),
                    f"{noun}_{self._pick('verbs')}",
                ]
            )

        return self._fresh(make)

    def package(self) -> str:
        def make() -> str:
            noun = self._pick("nouns")
            return self.rng.choice(
                [noun, f"{noun}kit", f"py{noun}", self._pick("odd"), f"{_abbrev(noun)}lib"]
            )

        return self._fresh(make)


def _typo(name: str, rng: random.Random) -> str:
    """The name misspelt the way a hand slips: two neighbouring letters swapped, or one
    dropped where swapping changes nothing."""
    for _ in range(20):
        i = rng.randrange(len(name) - 1)
        swapped = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if swapped != name:
            return swapped
    return name[:-1]


# ---- drawing a project --------------------------------------------------------------------


@dataclass
class Drawn:
    """What a seed draws: the project (no files yet), its modules with their blocks, the
    generated name of every slot, and the faults keyed by the block each edits."""

    project: Project
    modules: list["_Module"]
    slots: dict[str, str]
    faults: dict[str, FaultSpec]


@dataclass
class _Module:
    dotted: str  # import path
    path: str  # file path in the project
    test_path: str
    blocks: list[str] = field(default_factory=list)


def draw(seed: int, split: str = "train") -> "Drawn":
    """Everything random about a project: names, layout, modules with their blocks, and the
    faults, keyed by the block each edits."""
    if split not in SPLITS:
        raise ValueError(f"split is one of {SPLITS}, not {split!r}")
    rng = random.Random(f"{split}:{seed}")
    names = Names(rng, split)
    cat = catalogue()
    package = names.package()
    tests = rng.choice(TEST_DIRS)
    layout = Layout(
        source=rng.choice(["src", ""]),
        tests=tests,
        nested=names.module() if rng.random() < 0.4 else "",
        mirror=rng.random() < 0.5,
        testpaths=bool(tests) and rng.random() < 0.6,
        conftest=bool(tests) and rng.random() < 0.6,
    )
    modules = _modules(rng, names, package, layout)
    _place_blocks(rng, cat, modules)
    slots = {
        slot: (names.cls() if slot in block.classes else names.function())
        for block in cat.blocks.values()
        for slot in (*block.classes, *block.functions, *block.methods, *block.fixtures)
    }
    for module in modules:
        for name in module.blocks:
            parent, _, leaf = module.dotted.rpartition(".")
            slots[f"{name}_module"] = module.dotted
            slots[f"{name}_typo"] = f"{parent}.{_typo(leaf, rng)}"
    present = [name for module in modules for name in module.blocks]
    faults = _faults(rng, cat, present)
    project = Project(split=split, seed=seed, package=package, layout=layout)
    return Drawn(project, modules, slots, faults)


def _modules(rng: random.Random, names: Names, package: str, layout: Layout) -> list[_Module]:
    count = rng.randint(2, 4)
    base = f"{layout.source}/{package}" if layout.source else package
    modules = []
    for index in range(count):
        module = names.module()
        inner = bool(layout.nested) and index >= count // 2 + count % 2
        folder = f"{base}/{layout.nested}" if inner else base
        dotted = f"{package}.{layout.nested}.{module}" if inner else f"{package}.{module}"
        if layout.tests:
            tests = f"{layout.tests}/{layout.nested}" if inner and layout.mirror else layout.tests
        else:
            tests = folder
        modules.append(_Module(dotted, f"{folder}/{module}.py", f"{tests}/test_{module}.py"))
    return modules


def _place_blocks(rng: random.Random, cat: Catalogue, modules: list[_Module]) -> None:
    total = min(len(cat.blocks), rng.randint(len(modules) + 2, 3 * len(modules)))
    chosen = rng.sample(sorted(cat.blocks), total)
    for name in chosen:
        after = cat.blocks[name].after
        if after and after not in chosen:
            continue
        if after:  # the block it needs goes first, this one last
            modules[-1].blocks.append(name)
        elif any(cat.blocks[other].after == name for other in chosen):
            modules[0].blocks.append(name)
        else:
            rng.choice(modules).blocks.append(name)
    for module in modules:  # no empty module
        if not module.blocks:
            spare = sorted(
                set(cat.blocks) - set(chosen) - {b.name for b in cat.blocks.values() if b.after}
            )
            if spare:
                pick = rng.choice(spare)
                chosen.append(pick)
                module.blocks.append(pick)


def _faults(rng: random.Random, cat: Catalogue, present: list[str]) -> dict[str, FaultSpec]:
    """Faults for distinct blocks, so that no two edit the same text."""
    count = rng.choices(FAULT_COUNTS, FAULT_COUNT_WEIGHTS)[0]
    chosen: dict[str, FaultSpec] = {}
    for _ in range(count):
        fitting = [f for f in cat.faults.values() if f.block in present and f.block not in chosen]
        if not fitting:
            break
        fault = rng.choice(fitting)
        chosen[fault.block] = fault
    return chosen


# ---- rendering ----------------------------------------------------------------------------


def _edited(text: str, fault: FaultSpec | None, target: str, slots: dict[str, str]) -> str:
    if fault is None or fault.target != target:
        return text
    for find, replace in fault.edits:
        find, replace = Template(find).substitute(slots), Template(replace).substitute(slots)
        if text.count(find) != 1:
            raise ValueError(f"fault {fault.id}: {find!r} is not once in its block")
        text = text.replace(find, replace)
    return text


def _block_text(block: Block, part: str, slots: dict[str, str]) -> str:
    return Template(getattr(block, part)).substitute(slots)


def _imports(block: Block, fault: FaultSpec | None, slots: dict[str, str]) -> list[str]:
    lines = [Template(line).substitute(slots) for line in block.imports]
    lines = _edited("\n".join(lines), fault, "imports", slots).splitlines() if lines else []
    if fault is not None and fault.add_import:
        lines.append(fault.add_import)
    return lines


def _source(blocks: list[Block], faults: dict[str, FaultSpec], slots: dict[str, str]) -> str:
    imports = [line for b in blocks for line in _imports(b, faults.get(b.name), slots)]
    codes = [
        _edited(_block_text(b, "code", slots), faults.get(b.name), "code", slots) for b in blocks
    ]
    return "\n".join(dict.fromkeys(imports)) + "\n\n\n" + "\n\n".join(codes)


def _exported(blocks: list[Block], slots: dict[str, str], tests: str) -> list[str]:
    """The module's names that its tests use, for their import line."""
    names = [slots[slot] for b in blocks for slot in (*b.classes, *b.functions)]
    return [name for name in names if re.search(rf"\b{name}\b", tests)]


def _tests(
    module: _Module,
    blocks: list[Block],
    faults: dict[str, FaultSpec],
    slots: dict[str, str],
    conftest: bool,
) -> str:
    texts = [
        _edited(_block_text(b, "tests", slots), faults.get(b.name), "tests", slots) for b in blocks
    ]
    if not conftest:
        texts += [
            _edited(_block_text(b, "fixture", slots), faults.get(b.name), "fixture", slots)
            for b in blocks
            if b.fixture
        ]
    used = _exported(blocks, slots, "\n".join(texts))
    imports = [f"from {module.dotted} import {', '.join(used)}"]
    if any("pytest." in text for text in texts):
        imports.insert(0, "import pytest")
    return "\n".join(imports) + "\n\n\n" + "\n\n".join(texts)


def _conftest(
    modules: list[_Module], cat: Catalogue, faults: dict[str, FaultSpec], slots: dict[str, str]
) -> str | None:
    for module in modules:
        for name in module.blocks:
            block = cat.blocks[name]
            if block.fixture:
                fixture = _edited(
                    _block_text(block, "fixture", slots), faults.get(name), "fixture", slots
                )
                names = ", ".join(slots[c] for c in block.classes)
                return f"import pytest\n\nfrom {module.dotted} import {names}\n\n\n{fixture}"
    return None


def _pyproject(project: Project) -> str:
    layout = project.layout
    lines = [
        "[project]",
        f'name = "{project.package.replace("_", "-")}"',
        'version = "0.1.0"',
        'requires-python = ">=3.11"',
        "",
        "[tool.ruff.lint]",
        f"select = {json.dumps(RUFF_SELECT)}",
        "",
        "[tool.pytest.ini_options]",
        f'pythonpath = ["{layout.source or "."}"]',
    ]
    if layout.testpaths:
        lines.append(f'testpaths = ["{layout.tests}"]')
    if layout.source:
        lines += ["", "[tool.ty.environment]", f'root = ["{layout.source}"]']
    return "\n".join(lines) + "\n"


def _render(
    project: Project, modules: list[_Module], slots: dict[str, str], faults: dict[str, FaultSpec]
) -> dict[str, str]:
    """The project's files, before ruff normalises them."""
    cat = catalogue()
    layout = project.layout
    base = f"{layout.source}/{project.package}" if layout.source else project.package
    files = {"pyproject.toml": _pyproject(project), f"{base}/__init__.py": ""}
    if layout.nested:
        files[f"{base}/{layout.nested}/__init__.py"] = ""
    conftest = layout.conftest and _conftest(modules, cat, faults, slots)
    for module in modules:
        blocks = [cat.blocks[name] for name in module.blocks]
        files[module.path] = _source(blocks, faults, slots)
        files[module.test_path] = _tests(module, blocks, faults, slots, bool(conftest))
    if conftest:
        files[f"{layout.tests}/conftest.py"] = conftest
    return files


def _ruff() -> str:
    return find_executable("ruff")


def _normalise_tree(root: Path) -> None:
    """Imports sorted and code formatted as ruff would (a file with a syntax error stays)."""
    for args in (["check", "--select", "I", "--fix", "--exit-zero"], ["format"]):
        subprocess.run(
            [_ruff(), *args, "--quiet", "--no-cache", "."],
            cwd=root,
            capture_output=True,
            check=False,
        )


def _normalise_text(root: Path, path: str, text: str) -> str:
    for args in (["check", "--select", "I", "--fix", "--exit-zero"], ["format"]):
        done = subprocess.run(
            [_ruff(), *args, "--quiet", "--no-cache", "--stdin-filename", path, "-"],
            cwd=root,
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout:
            text = done.stdout
    return text


def render(seed: int, split: str = "train") -> dict[str, str]:
    """The project's files before ruff normalises them: its paths and names, without running
    a tool (what the training questions need)."""
    drawn = draw(seed, split)
    return _render(drawn.project, drawn.modules, drawn.slots, drawn.faults)


def generate(seed: int, root: Path, split: str = "train") -> Project:
    """Write the project drawn from (split, seed) into `root` (made empty first)."""
    drawn = draw(seed, split)
    project, modules, slots, faults = drawn.project, drawn.modules, drawn.slots, drawn.faults
    files = _render(project, modules, slots, faults)
    if root.exists():
        shutil.rmtree(root)
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    _normalise_tree(root)
    project.files = {relative: (root / relative).read_text(encoding="utf-8") for relative in files}
    for block, spec in faults.items():
        others = {name: f for name, f in faults.items() if name != block}
        repaired = _render(project, modules, slots, others)
        changed = [p for p in files if repaired[p] != files[p]]
        for relative in changed:  # one file per fault: its edits are in one block
            project.faults.append(
                Fault(
                    id=spec.id,
                    tool=spec.tool,
                    rule=spec.rule,
                    file=relative,
                    repaired=_normalise_text(root, relative, repaired[relative]),
                )
            )
    return project


def layout(files: Iterable[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """A project's source modules, test files, test folders and packages, read from its
    file paths (any layout: src/ or not, tests in any folder or beside the code)."""
    sources, tests, folders, packages = [], [], set(), set()
    paths = set(files)
    for path in paths:
        folder, _, name = path.rpartition("/")
        if name == "__init__.py":
            packages.add(folder)
        elif TEST_FILE.match(name):
            tests.append(path)
            if folder and f"{folder}/__init__.py" not in paths:
                folders.add(folder)
        elif name.endswith(".py") and name != "conftest.py":
            sources.append(path)
    return sorted(sources), sorted(tests), sorted(folders), sorted(packages)


# ---- the cache ----------------------------------------------------------------------------


@functools.cache
def _digest() -> str:
    """What a generated project depends on: this module, the catalogue and the word lists."""
    parts = [Path(__file__), HERE / "catalogue.toml", HERE / "words.toml"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()[:12]


def manifest_path(root: Path) -> Path:
    """Where a materialized project's manifest lives: beside it, so that the workspace the
    model sees holds only the project."""
    return root.with_name(root.name + ".json")


def materialize(seed: int, split: str = "train", base: Path | None = None) -> Path:
    """The project's folder in the cache (written on first use), with its manifest beside:
    layout, faults with their repairs, and the facts the real tools report. The manifest is
    written last, so a folder without one is unfinished."""
    base = base or cache_dir("projects") / _digest()
    root = base / f"{split}-{seed}"
    if manifest_path(root).is_file():
        return root
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{split}-{seed}-", dir=base))
    project = generate(seed, work / "project", split)
    manifest = {
        "split": split,
        "seed": seed,
        "package": project.package,
        "layout": asdict(project.layout),
        "faults": [asdict(f) for f in project.faults],
        "facts": facts(work / "project"),
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    # The same project may be there already: another process's, or an unfinished one.
    with contextlib.suppress(OSError):
        (work / "project").rename(root)
    # Atomic, and equal to any other process's: a reader never sees a half-written manifest,
    # and a folder an interrupted run left without one gets it now.
    os.replace(work / "manifest.json", manifest_path(root))
    shutil.rmtree(work, ignore_errors=True)
    return root


def manifest(root: Path) -> dict[str, Any]:
    return json.loads(manifest_path(root).read_text(encoding="utf-8"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="folder to write the projects into")
    parser.add_argument("--split", choices=SPLITS, default="train")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--start", type=int, default=0, help="first seed")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    seeds = range(args.start, args.start + args.count)
    with ThreadPoolExecutor(4) as pool:
        roots = list(
            tqdm(
                pool.map(lambda s: materialize(s, args.split, args.out), seeds),
                total=len(seeds),
                desc="projects",
            )
        )
    print(f"{len(roots)} projects in {args.out}")
    return 0
