"""read_file(): a workspace file's text, cut at a limit."""

from pathlib import Path

from punie_lsp.tools.paths import WorkspaceError, missing

MAX_READ_BYTES = 1_000_000


def read_file(path: str | Path, *, cwd: str | Path = ".", timeout: float = 0.0) -> str:
    """The text of the file at path (under cwd), undecodable bytes replaced. timeout is
    accepted so every typed tool is called alike; reading has none."""
    target = Path(cwd) / path
    if not target.is_file():
        raise WorkspaceError(missing(Path(cwd), str(path), "is not a file in the workspace"))
    with target.open("rb") as file:  # never more than the limit, however big the file
        return file.read(MAX_READ_BYTES).decode("utf-8", "replace")
