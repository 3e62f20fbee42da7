"""Where a path's project starts, so each tool runs with the project's own configuration."""

import difflib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

_MARKERS = ("pyproject.toml", "ruff.toml", ".ruff.toml", "ty.toml", "setup.cfg", ".git")


def project_root(path: str | Path) -> Path:
    """The nearest ancestor of path (or path itself) that holds a project marker.

    Falls back to the directory of path, so a lone file still gets checked.
    """
    start = Path(path).resolve()
    if start.is_file() or not start.exists():
        start = start.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _MARKERS):
            return folder
    return start


def project_python(root: Path) -> Path | None:
    """The Python of the project's own virtual environment, if it has one."""
    for venv in (".venv", "venv"):
        python = root / venv / "bin" / "python"
        if python.is_file():
            return python
    return None


def environment(root: Path) -> dict[str, str]:
    """The environment a tool that resolves imports (ty) runs in: where the project has no
    virtual environment of its own, ours, the one its tests run with (tools/pytest.py), so
    that `import pytest` in a test resolves alike inside the sandbox's wall and outside.
    A project's own configuration (ty's environment.python) still comes first."""
    env = dict(os.environ)
    if project_python(root) is None and sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    return env


def relative_to(file: str | Path, root: Path) -> str:
    """file relative to root when it lies inside it, else as given."""
    candidate = Path(file)
    if not candidate.is_absolute():
        return candidate.as_posix()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return candidate.as_posix()


def locate(path: str | Path | None, cwd: str | Path | None) -> tuple[Path, str | None]:
    """Where to run a tool for path, and path as the tool should see it from there.

    With cwd, path is taken relative to cwd (as a sandboxed snippet writes it); without,
    the tool runs in the project that holds path. No path (None): the project at cwd, with
    what its own configuration selects (pytest's testpaths, ty's and ruff's includes).
    """
    if path is None:
        return (Path(cwd) if cwd is not None else project_root(Path.cwd())).resolve(), None
    if cwd is not None:
        return Path(cwd).resolve(), str(path)
    root = project_root(path)
    target = relative_to(Path(path).resolve(), root)
    return root, "." if target in ("", ".") else target


def as_argument(path: str | None) -> list[str]:
    """path as the last arguments of a tool's command line: after `--`, so a name that
    starts with "-" is never an option, and with "./" before one that starts with "-" or
    "@" (pytest reads `@name` as a file of arguments even after `--`). No path: none, so
    the tool takes what the project's configuration selects."""
    if path is None:
        return []
    return ["--", f"./{path}" if path.startswith(("-", "@")) else path]


_NOT_SEARCHED = {".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist"}
MAX_SEARCHED = 20_000  # entries looked at for a near name: a bound, not a full index


def walk(root: Path) -> Iterator[tuple[Path, list[str], list[str]]]:
    """os.walk over the project's own files: no virtual environments, caches or hidden
    folders, in a stable order."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_SEARCHED and not d.startswith("."))
        yield Path(folder), dirs, sorted(files)


def nearest(root: Path, path: str, count: int = 3) -> list[str]:
    """The workspace's existing paths nearest to a path that does not exist (a misspelt
    or guessed name: `tests/test_x.py` where the project keeps `testing/test_x.py`)."""
    found: list[str] = []
    for folder, dirs, files in walk(root):
        base = folder.relative_to(root)
        found += [(base / name).as_posix() for name in (*dirs, *files)]
        if len(found) > MAX_SEARCHED:
            break
    wanted = path.strip("/").removeprefix("./")
    close = difflib.get_close_matches(wanted, found, n=count, cutoff=0.6)
    same_name = [p for p in found if Path(p).name == Path(wanted).name and p not in close]
    return (close + same_name)[:count]


def missing(root: Path, path: str, what: str = "does not exist in the workspace") -> str:
    """The error for a path that is not there, naming the nearest ones that are."""
    near = nearest(root, path)
    return f"{path} {what}" + (f"; the nearest: {', '.join(near)}" if near else "")


class WorkspaceError(Exception):
    """A snippet asked for something outside the workspace, or not in it."""
