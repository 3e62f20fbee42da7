"""Data flows one way: no package of punie_lsp imports one that imports it back."""

import ast
import subprocess
import sys
from pathlib import Path

import punie_lsp

PACKAGE = Path(punie_lsp.__file__).parent


def unit(module: str) -> str:
    """A subpackage (punie_lsp.model.host -> model), or a module at the top (punie_lsp.cli)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "punie_lsp"


def imports() -> dict[str, set[str]]:
    """Every unit and the units it imports, lazily imported ones included."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(("punie_lsp", *path.relative_to(PACKAGE).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        source = unit(module)
        targets = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                target = unit(name)
                known = (PACKAGE / target).is_dir() or (PACKAGE / f"{target}.py").is_file()
                if name.startswith("punie_lsp.") and target != source and known:
                    targets.add(target)
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_package_imports_one_that_imports_it_back() -> None:
    assert cycle(imports()) is None, " -> ".join(cycle(imports()) or [])


def test_the_layers_go_down() -> None:
    graph = imports()
    assert graph["tools"] <= {"cache"}  # the typed tools know nothing above them
    assert "agent" not in graph["model"] and "server" not in graph["model"]
    assert "server" not in graph["agent"] and "training" not in graph["agent"]


def test_the_walk_finds_a_cycle_when_there_is_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_language_server_starts_without_the_model_libraries() -> None:
    # mlx-lm and transformers take seconds to import; the editor waits for `initialize` and
    # the first diagnostics meanwhile, so only the model's own thread may import them.
    # mlx-lm's package may be registered unexecuted (model/bare_mlx_lm.py): that costs nothing.
    code = (
        "import sys, punie_lsp.server.app, punie_lsp.cli\n"
        "from punie_lsp.model.bare_mlx_lm import is_bare\n"
        "print(sorted(m for m in sys.modules if m != 'mlx_lm' or not is_bare()))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for heavy in ("mlx", "mlx_lm", "transformers", "llguidance", "numpy"):
        assert f"'{heavy}'" not in loaded, f"{heavy} is imported at the server's start"
