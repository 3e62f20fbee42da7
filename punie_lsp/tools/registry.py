"""The one list of typed tools: what a snippet may call, and how each result reads.

Everything that names a tool derives from TOOLS: the sandbox worker's namespace, the tool
names a ToolRun accepts, the reply parser, the system prompt, the evaluation, the `punie-lsp
tool` command, the training data's field check, and every projection of a result to plain
findings (editor diagnostics, the linter-style report, final answers). A new typed tool is
its module, one entry here, and its training idioms.
"""

import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from punie_lsp.tools import docs, edits, files, pytest, ruff, rules, ty
from punie_lsp.tools.models import (
    DocsResult,
    EditProposal,
    Finding,
    RuffResult,
    RuleDoc,
    TestResult,
    TypeCheckResult,
    Wording,
)


@dataclass(frozen=True)
class Tool:
    name: str  # what a snippet calls
    command: str  # `punie-lsp tool COMMAND`
    source: str  # the executable's own name, as findings and reports give it
    function: Callable[..., Any]  # function(path, *, cwd, timeout)
    # The pydantic result, recorded for every call a snippet makes; None for a tool that
    # returns plain text (read_file), whose results are not findings.
    result: type[BaseModel] | None = None
    findings: Callable[[Any], list[Finding]] = lambda result: []
    summary: Callable[[Any], str] = lambda result: ""
    wording: Wording = field(default_factory=Wording)
    # What the argument is: a workspace path (a file or folder; none: the project's
    # configuration), a workspace file, a rule's code, a question in words, or an edit (a
    # file, a line number and the line's new text). The sandbox checks a path exists, and
    # the grammar offers only existing ones (agent/grammar.py).
    argument: Literal["path", "file", "rule", "query", "edit"] = "path"
    # In the system prompt. The prompt is what the shipped adapter was trained with, so a
    # tool joins it when the adapter is retrained on data that uses it; until then it is
    # reached without the model (explain_rule: the editor's "explain" action; python_docs:
    # what grounds a direct answer, agent/loop.py).
    in_prompt: bool = True


TOOLS: tuple[Tool, ...] = (
    Tool(
        "typecheck", "typecheck", "ty", ty.typecheck, TypeCheckResult,
        ty.findings, ty.summary, ty.WORDING,
    ),
    Tool(
        "ruff_check", "ruff", "ruff", ruff.ruff_check, RuffResult,
        ruff.findings, ruff.summary, ruff.WORDING,
    ),
    Tool(
        "pytest_run", "pytest", "pytest", pytest.pytest_run, TestResult,
        pytest.findings, pytest.summary, pytest.WORDING,
    ),
    Tool("read_file", "read", "read_file", files.read_file, argument="file"),
    Tool(
        "explain_rule", "rule", "explain_rule", rules.explain_rule, RuleDoc,
        summary=rules.summary, wording=rules.WORDING, argument="rule", in_prompt=False,
    ),
    Tool(
        "python_docs", "docs", "python_docs", docs.python_docs, DocsResult,
        summary=docs.summary, wording=docs.WORDING, argument="query", in_prompt=False,
    ),
    # Asked for by the editor's "fix this" action (agent/fixing.py), which decodes the call
    # under a grammar that fixes its file and line.
    Tool(
        "propose_edit", "edit", "propose_edit", edits.propose_edit, EditProposal,
        summary=edits.summary, argument="edit", in_prompt=False,
    ),
)  # fmt: skip

NAMES: tuple[str, ...] = tuple(tool.name for tool in TOOLS)
_BY_NAME = {tool.name: tool for tool in TOOLS}
# What `punie-lsp check` runs and `punie-lsp tool` offers: the typed tools over a path.
_BY_COMMAND = {t.command: t for t in TOOLS if t.result is not None and t.argument == "path"}


def tool(name: str) -> Tool:
    """The tool a snippet calls by name; KeyError for one that is not registered."""
    return _BY_NAME[name]


def commands() -> dict[str, Tool]:
    """The typed tools that check a path, by their command-line name."""
    return dict(_BY_COMMAND)


def of_result(result: BaseModel) -> Tool:
    """The tool that produced result."""
    for entry in TOOLS:
        if entry.result is not None and isinstance(result, entry.result):
            return entry
    raise KeyError(type(result).__name__)


def findings(result: BaseModel) -> list[Finding]:
    return of_result(result).findings(result)


def result_fields() -> set[str]:
    """Every field name of the result models and of the models nested in them: the
    attributes a snippet may read of some result."""
    return {name for t in TOOLS for name in fields_of(t.name)}


def fields_of(name: str) -> set[str]:
    """The field names of the tool's result model and of the models nested in it: what a
    snippet may read of what that tool returned (none for read_file's text)."""
    result = _BY_NAME[name].result
    return {field for model in _models(result) for field in model.model_fields} if result else set()


def _models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for info in model.model_fields.values():
            for inner in _inner_types(info.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    todo.append(inner)


def _inner_types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _inner_types(argument)
