"""A small project for the verification and fix tests: pkg/shapes.py, its test, and a
pyproject that puts the package on pytest's path."""

from pathlib import Path

MODULE = "def area(width: int, height: int) -> int:\n    return width * height\n"
BROKEN = MODULE.replace("return width * height", "return str(width * height)")  # ty reports it
TESTS = "from pkg.shapes import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"


def write(root: Path, module: str = MODULE) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n[tool.pytest.ini_options]\npythonpath = ["."]\n'
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(module)
    (root / "tests" / "test_shapes.py").write_text(TESTS)
    return root
