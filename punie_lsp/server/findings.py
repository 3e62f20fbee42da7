"""Typed results of a model-run snippet -> diagnostics with source "punie", per file URI.

Each carries the tool that found it in its data (FindingData): an open buffer's live ruff and
ty diagnostics already show what those tools find there, on the buffer's current text.
"""

from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.agent.results import ToolRun
from punie_lsp.server.diagnostic_data import FindingData
from punie_lsp.server.positions import to_range
from punie_lsp.tools import registry
from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.models import Finding

SOURCE = "punie"

_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def diagnostics(
    runs: list[ToolRun], root: Path, codec: PositionCodec
) -> dict[str, list[types.Diagnostic]]:
    """Type errors, lint violations and failing tests, on the files they concern."""
    found: dict[str, list[types.Diagnostic]] = {}
    lines: dict[Path, list[str]] = {}  # each file read once, however many findings it has
    for run in runs:
        source = registry.tool(run.tool).source
        for finding in run.findings():
            if not finding.file or finding.line < 1:  # nowhere to show it
                continue
            path = (root / finding.file).resolve()
            if path not in lines:
                lines[path] = _lines(path)
            diagnostic = lsp_diagnostic(finding, source, lines[path], codec)
            found.setdefault(path.as_uri(), []).append(diagnostic)
    return found


def lsp_diagnostic(
    finding: Finding, source: str, lines: list[str], codec: PositionCodec
) -> types.Diagnostic:
    start, end = (finding.line, finding.column), (finding.end_line, finding.end_column)
    return types.Diagnostic(
        range=to_range(codec, lines, *start, *end),
        message=finding.text(finding.wording.diagnostic),
        code=finding.text(finding.wording.diagnostic_code),
        severity=_SEVERITY[finding.severity],
        source=SOURCE,
        data=FindingData(source=source, code=finding.code).write(),
    )


def live_covers(diagnostic: types.Diagnostic, live_sources: set[str]) -> bool:
    """Whether a live source shows this finding's kind for an open buffer already."""
    data = FindingData.read(diagnostic.data)
    return data is not None and data.source in live_sources


def _lines(path: Path) -> list[str]:
    try:
        return split_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
