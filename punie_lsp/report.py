"""Plain-text reports of typed-tool results, grouped by file like a linter's output."""

import os
from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel

from punie_lsp.tools import registry
from punie_lsp.tools.models import Finding


def _shown_line(finding: Finding) -> int:
    """Where a report points: a failing test at the line that raised, when pytest says."""
    return finding.raised_line or finding.line or 1


def summary(result: BaseModel) -> str:
    tool = registry.of_result(result)
    error = getattr(result, "parse_error", None)
    return (
        f"{tool.source}: cannot run ({error})"
        if error
        else f"{tool.source}: {tool.summary(result)}"
    )


def render(results: Sequence[BaseModel], base: str = "") -> str:
    """Findings grouped by file, then one summary line per tool.

    base is prefixed to each file: the project's folder as the user would type it.
    """
    found = [f for r in results for f in registry.findings(r)]
    rows = sorted(
        (f.file or "?", _shown_line(f), f.column, f.text(f.wording.report)) for f in found
    )
    by_file: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for file, line, column, text in rows:
        by_file[file].append((line, column, text))
    lines: list[str] = []
    for file, items in by_file.items():
        lines.append(os.path.normpath(os.path.join(base, file)))
        lines.extend(f"  {line}:{column}  {text}" for line, column, text in items)
        lines.append("")
    lines.extend(summary(r) for r in results)
    return "\n".join(lines)
