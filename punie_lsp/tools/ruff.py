"""ruff_check(): ruff's lint findings, from `ruff check --output-format json`."""

import json
from pathlib import Path
from typing import Any

from punie_lsp.tools.lines import split_lines
from punie_lsp.tools.models import (
    Finding,
    RuffEdit,
    RuffFix,
    RuffResult,
    RuffViolation,
    Wording,
    finding_at,
    plural,
)
from punie_lsp.tools.outcome import reports_tool_errors, reports_unreadable
from punie_lsp.tools.paths import as_argument, locate, project_root, relative_to
from punie_lsp.tools.process import find_executable, run

DEFAULT_TIMEOUT = 30.0


@reports_tool_errors(RuffResult)
def ruff_check(
    path: str | Path | None = ".",
    *,
    cwd: str | Path | None = None,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RuffResult:
    """Lint path (a file or folder) with the project's ruff configuration."""
    root, target = locate(path, cwd)
    ruff = find_executable("ruff", executable)
    done = run(
        [ruff, "check", "--output-format", "json", "--no-cache", *as_argument(target)],
        cwd=root,
        timeout=timeout,
    )
    return parse_ruff_json(done.stdout, root)


@reports_tool_errors(RuffResult)
def ruff_check_text(
    text: str,
    filename: str | Path,
    *,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RuffResult:
    """Lint unsaved text as if it were filename, so the project's configuration applies."""
    root = project_root(filename)
    ruff = find_executable("ruff", executable)
    argv = [ruff, "check", "--output-format", "json", "--force-exclude"]
    done = run(
        [*argv, "--stdin-filename", str(filename), "-"], cwd=root, stdin=text, timeout=timeout
    )
    return parse_ruff_json(done.stdout, root)


def ruff_fix_text(
    text: str,
    filename: str | Path,
    *,
    select: list[str] | None = None,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The text with ruff's safe fixes applied (only the select rules, when given).

    Raises ToolError when ruff cannot do it; an empty stdout with text is a real answer
    (every line was removed), so it is returned as is.
    """
    ruff = find_executable("ruff", executable)
    argv = [ruff, "check", "--fix-only", "--exit-zero", "--force-exclude", "--quiet"]
    if select:
        argv += ["--select", ",".join(select)]
    argv += ["--stdin-filename", str(filename), "-"]
    done = run(argv, cwd=project_root(filename), stdin=text, timeout=timeout, ok_codes=(0,))
    return done.stdout


def apply_fix(text: str, fix: RuffFix) -> str:
    """text with the fix's edits made (ruff's 1-based rows and code-point columns)."""
    lines = split_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, column: int) -> int:
        if row - 1 >= len(lines):
            return len(text)
        return min(starts[row - 1] + column - 1, starts[row])

    out = text
    for edit in sorted(fix.edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        out = out[:start] + edit.content + out[end:]
    return out


@reports_unreadable(RuffResult, "ruff")
def parse_ruff_json(stdout: str, root: Path) -> RuffResult:
    """Turn ruff's JSON report into a RuffResult; unreadable output becomes parse_error."""
    raw = json.loads(stdout or "[]")
    files: dict[str, str] = {}  # one path computation per file, not per violation
    for item in raw:
        name = item["filename"]
        if name not in files:
            files[name] = relative_to(name, root)
    violations = [_violation(item, files[item["filename"]]) for item in raw]
    return RuffResult(
        success=not violations,
        violation_count=len(violations),
        fixable_count=sum(v.fixable for v in violations),
        violations=violations,
    )


def _violation(item: dict[str, Any], file: str) -> RuffViolation:
    fix = item.get("fix")
    ruff_fix = None
    if fix:
        ruff_fix = RuffFix(
            message=fix.get("message"),
            applicability=fix["applicability"],
            edits=[
                RuffEdit(
                    content=edit["content"],
                    line=edit["location"]["row"],
                    column=edit["location"]["column"],
                    end_line=edit["end_location"]["row"],
                    end_column=edit["end_location"]["column"],
                )
                for edit in fix["edits"]
            ],
        )
    return RuffViolation(
        file=file,
        line=item["location"]["row"],
        column=item["location"]["column"],
        end_line=item["end_location"]["row"],
        end_column=item["end_location"]["column"],
        # Syntax errors come without a rule code in older ruff releases.
        code=item.get("code") or item.get("name") or "invalid-syntax",
        message=item["message"],
        # "fixable" as `ruff check --fix` means it: a safe fix exists.
        fixable=ruff_fix is not None and ruff_fix.applicability == "safe",
        url=item.get("url"),
        fix=ruff_fix,
        noqa_row=item.get("noqa_row"),
    )


WORDING = Wording(
    counts="ruff reports {violation_count} violations in {path}, {fixable_count} fixable"
)


def findings(result: RuffResult) -> list[Finding]:
    return [
        finding_at(
            v, severity="warning", source="ruff", kind="lint", fixable=v.fixable, wording=WORDING
        )
        for v in result.violations
    ]


def summary(result: RuffResult) -> str:
    return f"{plural(result.violation_count, 'violation')} ({result.fixable_count} fixable)"
