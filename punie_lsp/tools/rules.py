"""explain_rule: a ruff or ty rule's documentation, from the tool itself, never from memory."""

import json
import re
from pathlib import Path

from punie_lsp.tools.models import RuleDoc, Wording
from punie_lsp.tools.outcome import reports_tool_errors
from punie_lsp.tools.process import ToolError, find_executable, run

# ruff's codes are letters then digits (F401, UP045, PLR0913); ty's rules are kebab-case names.
_RUFF_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,4}")
_TY_RULE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_SECTION = re.compile(r"^## +(.+?)\s*$", re.M)


def sections(markdown: str) -> dict[str, str]:
    """The text under each `## ` heading, by lower-cased heading."""
    parts = _SECTION.split(markdown)
    return {
        head.strip().lower(): body.strip()
        for head, body in zip(parts[1::2], parts[2::2], strict=True)
    }


@reports_tool_errors(RuleDoc)
def explain_rule(
    code: str | Path | None,
    *,
    cwd: str | Path | None = None,
    timeout: float = 30.0,
) -> RuleDoc:
    """The documentation of a ruff rule (by code, `F401`) or a ty rule (by name)."""
    wanted = str(code or "").strip()
    if _RUFF_CODE.fullmatch(wanted.upper()):
        return _ruff(wanted.upper(), cwd, timeout)
    if _TY_RULE.fullmatch(wanted):
        return _ty(wanted, cwd, timeout)
    raise ToolError(
        f"{wanted!r} is neither a ruff code (like F401) nor a ty rule name (like missing-attribute)"
    )


def _ruff(code: str, cwd: str | Path | None, timeout: float) -> RuleDoc:
    done = run(
        [find_executable("ruff"), "rule", "--output-format", "json", code],
        cwd=cwd, timeout=timeout, ok_codes=(0, 2),
    )  # fmt: skip
    if done.returncode != 0:
        raise ToolError(f"ruff has no rule {code}")
    rule = json.loads(done.stdout)
    text = rule.get("explanation", "")
    parts = sections(text)
    return RuleDoc(
        success=True,
        tool="ruff",
        code=rule.get("code", code),
        name=rule.get("name", ""),
        what=parts.get("what it does", rule.get("summary", "")),
        why=parts.get("why is this bad?", ""),
        example=parts.get("example", parts.get("examples", "")),
        fix=rule.get("fix", ""),
        text=text,
    )


def _ty(name: str, cwd: str | Path | None, timeout: float) -> RuleDoc:
    done = run(
        [find_executable("ty"), "explain", "rule", name],
        cwd=cwd, timeout=timeout, ok_codes=(0, 2),
    )  # fmt: skip
    if done.returncode != 0:
        raise ToolError(f"ty has no rule {name}")
    text = done.stdout
    parts = sections(text)
    level = re.search(r"^Default level: *([^|\n]+)", text, re.M)
    heading = re.search(r"^# +(\S+)", text, re.M)  # the rule's name now: ty renames rules
    return RuleDoc(
        success=True,
        tool="ty",
        code=name,
        name=heading.group(1) if heading else name,
        what=parts.get("what it does", ""),
        why=parts.get("why is this bad?", ""),
        example=parts.get("examples", parts.get("example", "")),
        fix=f"default level: {level.group(1).strip()}" if level else "",
        text=text,
    )


WORDING = Wording(counts="the documentation of {code}")


def summary(result: RuleDoc) -> str:
    return f"{result.code} {result.name} ({result.tool})" if result.success else "no such rule"
