"""What running a snippet produced: printed output, an error, and every typed tool result."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from punie_lsp.tools import RuffResult, TestResult, TypeCheckResult

ToolName = Literal["typecheck", "ruff_check", "pytest_run"]
_MODELS: dict[str, type[BaseModel]] = {
    "typecheck": TypeCheckResult,
    "ruff_check": RuffResult,
    "pytest_run": TestResult,
}


class ToolRun(BaseModel):
    """One typed tool call made by a snippet."""

    tool: ToolName
    path: str
    result: dict[str, Any]

    def typed(self) -> TypeCheckResult | RuffResult | TestResult:
        model = _MODELS[self.tool].model_validate(self.result)
        assert isinstance(model, TypeCheckResult | RuffResult | TestResult)
        return model


class SandboxResult(BaseModel):
    output: str = ""
    error: str | None = None
    truncated: bool = False  # the output went past the limit and was cut
    results: list[ToolRun] = Field(default_factory=list)
    duration: float = 0.0
