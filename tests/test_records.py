"""Snippets get plain records, not pydantic models: nothing on them reaches code, and every
snippet the training data holds prints exactly what it printed with the models."""

from pathlib import Path
from typing import Any

import pytest

from punie_lsp.agent import records, worker
from punie_lsp.agent.records import to_record
from punie_lsp.tools import registry
from punie_lsp.tools.models import RuffResult, TestResult, TypeCheckError, TypeCheckResult
from punie_lsp.training import data

ERROR = TypeCheckError(
    file="a.py", line=1, column=2, end_line=1, end_column=3, severity="error", code="x", message="m"
)
RESULT = TypeCheckResult(success=False, error_count=1, errors=[ERROR])


def test_a_record_prints_as_its_model() -> None:
    record = to_record(RESULT)
    assert repr(record) == repr(RESULT) and str(record) == str(RESULT)
    assert str(record.errors[0]) == str(ERROR) and f"{record.errors}" == f"{RESULT.errors}"
    assert list(record) == list(to_record(RESULT))  # iterates as (name, value), as a model
    assert record == to_record(RESULT) and record != to_record(ERROR)
    assert type(record).__name__ == "TypeCheckResult"


def test_a_record_is_read_only_and_has_no_methods() -> None:
    record = to_record(RESULT)
    with pytest.raises(AttributeError):
        record.success = True
    with pytest.raises(AttributeError):
        record.extra = 1
    public = {name for name in dir(record) if not name.startswith("_")}
    assert public == set(TypeCheckResult.model_fields)  # the fields, and nothing callable
    for model in (RuffResult, TestResult, TypeCheckResult):
        kind = records.record_type(model)
        assert not [n for n in dir(kind) if not n.startswith("_") and n not in model.model_fields]


def test_only_plain_data_becomes_a_record() -> None:
    class Sneaky(str):
        pass

    with pytest.raises(TypeError, match="not plain data"):
        to_record({"k": Sneaky("x")})
    with pytest.raises(TypeError, match="not plain data"):
        to_record([open])


def test_the_pydantic_ways_out_are_gone() -> None:
    """The model API a snippet used to reach the interpreter with: each works on the model
    (so the attempt is real) and is not there on the record."""
    ways = ("parse_raw", "parse_file", "model_fields", "model_rebuild", "model_validate", "copy")
    for name in ways:
        assert hasattr(type(RESULT), name)  # on the class: pydantic warns on some from instances
        assert not hasattr(to_record(RESULT), name)


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str, str], Any]:
    return {}


def _run(code: str, root: Path, convert: bool, cache: dict[tuple[str, str, str], Any]) -> str:
    """code run in the snippet's scope, its tools giving models or (convert) records; tool
    results are computed once and shared, so only the objects handed over differ."""
    output = worker.Output(100_000)

    def bind(tool: registry.Tool) -> Any:
        def call(path: str = ".") -> Any:
            key = (tool.name, path, str(root))
            if key not in cache:
                cache[key] = tool.function(path, cwd=root, timeout=120)
            value = cache[key]
            if not convert:
                return value
            return worker.plain_text(value) if tool.result is None else to_record(value)

        return call

    scope = worker.safe_builtins(output)
    try:
        exec(code, {"__builtins__": scope, **{t.name: bind(t) for t in registry.TOOLS}})
    except Exception as exc:
        output.print(f"{type(exc).__name__}: {exc}")
    return output.text()


def test_every_training_snippet_prints_the_same(results: dict) -> None:
    runs = sorted({(c.code, c.project) for c in data.candidates(data.all_projects(6))})
    assert len(runs) > 500  # every idiom, on projects of several layouts
    changed, silent = [], 0
    for code, project in runs:
        root = data.project_root(project)
        before, after = _run(code, root, False, results), _run(code, root, True, results)
        silent += not before.strip()  # a module with no imports prints nothing
        if before != after:
            changed.append((project, code, before, after))
    assert not changed, changed[:3]
    assert silent < len(runs) // 20  # the rest printed something: comparisons that can fail
