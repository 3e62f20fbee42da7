"""What the agent answers: the Answer that `punie-lsp ask --json` prints, and its timings."""

from typing import Literal

from pydantic import BaseModel, Field

from punie_lsp.agent.results import ToolRun


class Timings(BaseModel):
    load: float = 0.0  # waiting for the model to finish loading
    prompt: float = 0.0  # prompt processing, until the first token
    generation: float = 0.0
    tool: float = 0.0  # the sandbox run, typed tools included
    total: float = 0.0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generation_tokens: int = 0
    corrected_tokens: int = 0  # greedy tokens the grammar turned down
    grammar: float = 0.0  # writing the workspace's grammar (its paths listed)
    constraint: float = 0.0  # compiling and applying it while decoding (model/constraint.py)
    constraint_build: float = 0.0  # of which compiling it
    blas_threads: int = 0  # the last generation's OpenBLAS threads; 0: another BLAS


class Answer(BaseModel):
    """What `punie-lsp ask --json` prints and `punie.ask` returns."""

    question: str
    kind: Literal["tool", "direct"]
    code: str | None = None
    output: str | None = None
    answer: str = ""
    error: str | None = None
    results: list[ToolRun] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. unsaved changes the tools did not see
    timings: Timings = Field(default_factory=Timings)
    reply: str = ""  # the model's raw first reply, for debugging and evaluation
