"""Where a failing test's fix may lie: the project's own functions, classes and fixtures that
the test names, found by reading the code (ast), not by the model.

A failing test is rarely wrong at its own line: the fault is in the code it calls. The "fix
this" action on a failing test lets the model edit only the lines of these definitions
(agent/grammar.py: edit_grammar), and verification then asks whether the test passes.
"""

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.paths import walk
from punie_lsp.tools.pytest import is_source

MAX_FILES = 2000
MAX_FILE_BYTES = 200_000
MAX_DEFINITIONS = 6  # a small model's context is short
MAX_LINES = 80


@dataclass(frozen=True)
class Definition:
    """A function, method, class or fixture of the project: where it is and its lines."""

    path: str  # workspace-relative, with forward slashes
    name: str
    first: int  # 1-based line of its `def` or `class` (its decorators come before)
    lines: tuple[str, ...]

    def sites(self) -> list[tuple[str, int]]:
        """The lines an edit may replace: every line of it that is not blank."""
        return [(self.path, self.first + i) for i, line in enumerate(self.lines) if line.strip()]

    def numbered(self) -> str:
        return "\n".join(f"{self.first + i}: {line}" for i, line in enumerate(self.lines))


@dataclass(frozen=True)
class FailingTest:
    """A failing test's own definition and the project's definitions it names."""

    test: Definition
    under_test: tuple[Definition, ...]

    def sites(self) -> list[tuple[str, int]]:
        return [site for d in self.under_test for site in d.sites()]


Read = Callable[[str], str | None]  # a workspace-relative path's text (the editor's or the disk's)


def failing_test(root: Path, test_path: str, test_name: str, read: Read) -> FailingTest | None:
    """test_name of test_path (a parametrized case names its function) and what it calls;
    None where the test cannot be found or names nothing of the project."""
    text = read(test_path)
    tree = _parse(text) if text is not None else None
    if text is None or tree is None:
        return None
    function = test_name.split("[", 1)[0]
    node = next((n for n in _definitions(tree) if n.name == function), None)
    if node is None:
        return None
    test = _definition(test_path, node, split_lines(text, keepends=False))
    wanted = _names(node)
    found: list[Definition] = []
    for path in _project_files(root, test_path):
        source = read(path)
        parsed = _parse(source) if source is not None else None
        if source is None or parsed is None:
            continue
        lines = split_lines(source, keepends=False)
        found += [
            _definition(path, n, lines)
            for n in _definitions(parsed)
            if n.name in wanted and not (path == test_path and n.name == function)
        ]
    # The order the test names them in, code under test (not tests or conftest) first.
    found.sort(key=lambda d: (not is_source(d.path), wanted.index(d.name)))
    chosen, total = [], 0
    for definition in found[:MAX_DEFINITIONS]:
        if total + len(definition.lines) > MAX_LINES:
            continue
        chosen.append(definition)
        total += len(definition.lines)
    return FailingTest(test, tuple(chosen)) if chosen else None


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


Function = ast.FunctionDef | ast.AsyncFunctionDef
Defined = Function | ast.ClassDef


def _definitions(tree: ast.Module) -> Iterator[Defined]:
    """Top-level functions and classes, and the methods of those classes."""
    for node in tree.body:
        if isinstance(node, Defined):
            yield node
        if isinstance(node, ast.ClassDef):
            yield from (n for n in node.body if isinstance(n, Function))


def _definition(path: str, node: Defined, lines: list[str]) -> Definition:
    end = node.end_lineno or node.lineno
    return Definition(path, node.name, node.lineno, tuple(lines[node.lineno - 1 : end]))


def _names(test: Defined) -> list[str]:
    """What the test names, in order: its fixtures (arguments), then the names and attributes
    its body uses."""
    names: list[str] = []
    if not isinstance(test, ast.ClassDef):
        names += [a.arg for a in test.args.args if a.arg not in ("self", "cls")]
    for node in ast.walk(test):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
    return list(dict.fromkeys(names))


def _project_files(root: Path, test_path: str) -> list[str]:
    """The workspace's Python files, relative, the test's own file included."""
    found = []
    for folder, _, files in walk(root):
        for name in (f for f in files if f.endswith(".py")):
            path = folder / name
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
            except OSError:
                continue
            found.append(path.relative_to(root).as_posix())
            if len(found) >= MAX_FILES:
                return found
    return found if test_path in found else [*found, test_path]
