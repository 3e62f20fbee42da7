"""propose_edit(): a one-line edit, checked against the file and recorded, never written.

A snippet proposes; the agent (agent/fixing.py) verifies the proposal and the editor applies
it. The tool only checks that the line exists and says what is there now, so a proposal that
names a line the file lacks is a clear error, not a silent no-op.
"""

from pathlib import Path

from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.models import EditProposal
from punie_lsp.tools.outcome import reports_tool_errors
from punie_lsp.tools.paths import WorkspaceError, missing
from punie_lsp.tools.process import ToolError


@reports_tool_errors(EditProposal)
def propose_edit(
    path: str | Path,
    line: int,
    new: str,
    *,
    cwd: str | Path = ".",
    timeout: float = 0.0,
) -> EditProposal:
    """Propose that line `line` (1-based) of the file at path become `new`. timeout is accepted
    so every typed tool is called alike; proposing runs nothing."""
    target = Path(cwd) / path
    if not target.is_file():
        raise WorkspaceError(missing(Path(cwd), str(path), "is not a file in the workspace"))
    if not isinstance(line, int) or isinstance(line, bool):
        raise ToolError(f"the line must be a number, not {line!r}")
    if not isinstance(new, str):
        raise ToolError(f"the new text must be a string, not {type(new).__name__}")
    lines = split_lines(target.read_bytes().decode("utf-8", "replace"), keepends=False)
    if not 1 <= line <= len(lines):
        raise ToolError(f"{path} has {len(lines)} lines; there is no line {line}")
    return EditProposal(
        success=True, path=Path(path).as_posix(), line=line, old=lines[line - 1], new=new
    )


def apply(text: str, proposal: EditProposal) -> str:
    """text with the proposal's line replaced (its line ending kept), or ValueError when the
    line is no longer what the proposal saw."""
    lines = split_lines(text)
    if not proposal.success or not 1 <= proposal.line <= len(lines):
        raise ValueError(f"there is no line {proposal.line} to edit")
    current = lines[proposal.line - 1]
    body = current.rstrip("\r\n")
    if body != proposal.old:
        raise ValueError(f"line {proposal.line} changed since the edit was proposed")
    lines[proposal.line - 1] = proposal.new + current[len(body) :] if proposal.new else ""
    return "".join(lines)


def summary(result: EditProposal) -> str:
    if not result.success:
        return f"propose_edit failed: {result.parse_error}"
    return f"{result.path}:{result.line}: {result.old.strip()!r} -> {result.new.strip()!r}"
