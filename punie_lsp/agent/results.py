"""What running a snippet produced: printed output, an error, and every typed tool result."""

from typing import Any

from pydantic import BaseModel, Field, field_validator

from punie_lsp.tools import registry
from punie_lsp.tools.models import Finding


class ToolRun(BaseModel):
    """One typed tool call made by a snippet."""

    tool: str  # a registered tool with a typed result (tools/registry.py)
    path: str
    result: dict[str, Any]

    @field_validator("tool")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in registry.NAMES or registry.tool(name).result is None:
            raise ValueError(f"not a typed tool: {name!r}")
        return name

    def typed(self) -> BaseModel:
        model = registry.tool(self.tool).result
        assert model is not None  # checked when the run was made
        return model.model_validate(self.result)

    def findings(self) -> list[Finding]:
        return registry.tool(self.tool).findings(self.typed())


class SandboxResult(BaseModel):
    output: str = ""
    error: str | None = None
    truncated: bool = False  # the output went past the limit and was cut
    results: list[ToolRun] = Field(default_factory=list)
    duration: float = 0.0
    notes: list[str] = Field(default_factory=list)  # what the run could not do as asked
