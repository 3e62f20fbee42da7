"""typecheck(): ty's type errors, from `ty check --output-format gitlab` (ty has no json)."""

import json
from pathlib import Path
from typing import Any

from punie_lsp.tools.models import (
    Finding,
    TypeCheckError,
    TypeCheckResult,
    Wording,
    finding_at,
    plural,
)
from punie_lsp.tools.outcome import reports_tool_errors, reports_unreadable
from punie_lsp.tools.paths import as_argument, environment, locate, relative_to
from punie_lsp.tools.process import ToolError, find_executable, run

DEFAULT_TIMEOUT = 60.0

# GitLab code-quality severities as ty writes them.
_ERROR_SEVERITIES = {"blocker", "critical", "major"}  # "minor" and "info" are warnings


@reports_tool_errors(TypeCheckResult)
def typecheck(
    path: str | Path | None = ".",
    *,
    cwd: str | Path | None = None,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> TypeCheckResult:
    """Type-check path (a file or folder) with the project's ty configuration."""
    root, target = locate(path, cwd)
    ty = find_executable("ty", executable)
    done = run(
        [ty, "check", "--output-format", "gitlab", "--no-progress", *as_argument(target)],
        cwd=root,
        timeout=timeout,
        ok_codes=(0, 1, 2),
        env=environment(root),
    )
    # Exit 2 is ty's "could not check everything" (an unreadable file, say); it still
    # writes a report when it got that far, and only an empty one means it failed.
    if done.returncode == 2 and not done.stdout.strip():
        raise ToolError(f"ty failed with exit code 2: {done.why()}")
    return parse_ty_gitlab(done.stdout, root)


@reports_unreadable(TypeCheckResult, "ty")
def parse_ty_gitlab(stdout: str, root: Path) -> TypeCheckResult:
    """Turn ty's GitLab code-quality report into a TypeCheckResult."""
    errors = [_error(item, root) for item in json.loads(stdout or "[]")]
    error_count = sum(e.severity == "error" for e in errors)
    return TypeCheckResult(
        success=error_count == 0,
        error_count=error_count,
        warning_count=len(errors) - error_count,
        errors=errors,
    )


def _error(item: dict[str, Any], root: Path) -> TypeCheckError:
    code = item["check_name"]
    message = item["description"]
    # ty prefixes the description with the rule name: "invalid-return-type: ..."
    message = message.removeprefix(f"{code}: ")
    positions = item["location"]["positions"]
    return TypeCheckError(
        file=relative_to(item["location"]["path"], root),
        line=positions["begin"]["line"],
        column=positions["begin"]["column"],
        end_line=positions["end"]["line"],
        end_column=positions["end"]["column"],
        severity="error" if item.get("severity", "major") in _ERROR_SEVERITIES else "warning",
        code=code,
        message=message,
    )


WORDING = Wording(counts="ty finds {error_count} errors in {path}")


def findings(result: TypeCheckResult) -> list[Finding]:
    return [
        finding_at(e, severity=e.severity, source="ty", kind=e.severity, wording=WORDING)
        for e in result.errors
    ]


def summary(result: TypeCheckResult) -> str:
    return f"{plural(result.error_count, 'error')}, {plural(result.warning_count, 'warning')}"
