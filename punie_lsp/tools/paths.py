"""Where a path's project starts, so each tool runs with the project's own configuration."""

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


def relative_to(file: str | Path, root: Path) -> str:
    """file relative to root when it lies inside it, else as given."""
    candidate = Path(file)
    if not candidate.is_absolute():
        return candidate.as_posix()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return candidate.as_posix()


def locate(path: str | Path, cwd: str | Path | None) -> tuple[Path, str]:
    """Where to run a tool for path, and path as the tool should see it from there.

    With cwd, path is taken relative to cwd (as a sandboxed snippet writes it); without,
    the tool runs in the project that holds path.
    """
    if cwd is not None:
        return Path(cwd).resolve(), str(path)
    root = project_root(path)
    target = relative_to(Path(path).resolve(), root)
    return root, "." if target in ("", ".") else target


def as_argument(path: str) -> list[str]:
    """path as the last arguments of a tool's command line: after `--`, so a name that
    starts with "-" is never an option, and with "./" before one that starts with "-" or
    "@" (pytest reads `@name` as a file of arguments even after `--`)."""
    return ["--", f"./{path}" if path.startswith(("-", "@")) else path]


class WorkspaceError(Exception):
    """A snippet asked for something outside the workspace, or not in it."""
