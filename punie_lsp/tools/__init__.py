"""Typed tools: plain functions that run ruff, ty and pytest and return pydantic models.

Nothing here knows about LSP or the model; the server and the agent both call these.
"""

from punie_lsp.tools.models import (
    RuffEdit,
    RuffFix,
    RuffResult,
    RuffViolation,
    TestCase,
    TestResult,
    TypeCheckError,
    TypeCheckResult,
)
from punie_lsp.tools.process import ToolError
from punie_lsp.tools.pytest import pytest_run
from punie_lsp.tools.ruff import apply_fix, ruff_check, ruff_check_text, ruff_fix_text
from punie_lsp.tools.ty import typecheck

__all__ = [
    "RuffEdit",
    "RuffFix",
    "RuffResult",
    "RuffViolation",
    "TestCase",
    "TestResult",
    "ToolError",
    "TypeCheckError",
    "TypeCheckResult",
    "apply_fix",
    "pytest_run",
    "ruff_check",
    "ruff_check_text",
    "ruff_fix_text",
    "typecheck",
]
