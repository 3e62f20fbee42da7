"""Typed results of a model-run snippet -> diagnostics with source "punie", per file URI."""

from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.agent.results import ToolRun
from punie_lsp.server.positions import to_range
from punie_lsp.tools import RuffResult, TestResult, TypeCheckResult

SOURCE = "punie"


def diagnostics(
    runs: list[ToolRun], root: Path, codec: PositionCodec
) -> dict[str, list[types.Diagnostic]]:
    """Type errors, lint violations and failing tests, on the files they concern."""
    found: dict[str, list[types.Diagnostic]] = {}
    lines: dict[Path, list[str]] = {}  # each file read once, however many findings it has

    def add(
        file: str | None,
        start: tuple[int, int],
        end: tuple[int, int],
        message: str,
        code: str,
        severity: types.DiagnosticSeverity,
    ) -> None:
        if not file:
            return
        path = (root / file).resolve()
        if path not in lines:
            lines[path] = _lines(path)
        diagnostic = types.Diagnostic(
            range=to_range(codec, lines[path], *start, *end),
            message=message,
            code=code,
            severity=severity,
            source=SOURCE,
        )
        found.setdefault(path.as_uri(), []).append(diagnostic)

    for run in runs:
        result = run.typed()
        if isinstance(result, TypeCheckResult):
            for e in result.errors:
                severity = (
                    types.DiagnosticSeverity.Error
                    if e.severity == "error"
                    else types.DiagnosticSeverity.Warning
                )
                add(e.file, (e.line, e.column), (e.end_line, e.end_column),
                    f"ty: {e.message}", e.code, severity)  # fmt: skip
        elif isinstance(result, RuffResult):
            for v in result.violations:
                add(v.file, (v.line, v.column), (v.end_line, v.end_column),
                    f"ruff: {v.message}", v.code, types.DiagnosticSeverity.Warning)  # fmt: skip
        elif isinstance(result, TestResult):
            for t in result.tests:
                if t.outcome in ("failed", "error") and t.line:
                    first = (t.message or t.outcome).strip()
                    add(t.file, (t.line, 1), (t.line + 1, 1),
                        f"test {t.name} {t.outcome}: {first}", f"pytest-{t.outcome}",
                        types.DiagnosticSeverity.Error)  # fmt: skip
    return found


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    except OSError:
        return []
