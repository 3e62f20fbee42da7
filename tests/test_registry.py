"""The one list of typed tools: every consumer derives its tools from it, none lists its own."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from punie_lsp import prompt, report
from punie_lsp.agent import parse
from punie_lsp.agent.results import ToolRun
from punie_lsp.agent.sandbox import run_code
from punie_lsp.tools import registry

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"

# A process where one more typed tool is registered before any consumer is imported: a copy
# of pytest_run under the name probe_run (command "probe"). Every consumer must see it.
PROBE = r"""
import dataclasses, json, sys
from pathlib import Path
from punie_lsp.tools import registry
probe = dataclasses.replace(registry.tool("pytest_run"), name="probe_run", command="probe")
registry.TOOLS = (*registry.TOOLS, probe)
registry.NAMES = tuple(t.name for t in registry.TOOLS)
registry._BY_NAME = {t.name: t for t in registry.TOOLS}
registry._BY_COMMAND = {t.command: t for t in registry.TOOLS if t.result is not None}

from punie_lsp import cli, prompt
from punie_lsp.agent import parse, worker
from punie_lsp.agent.results import ToolRun
from punie_lsp.training import evaluate

root = Path(sys.argv[1])
runs = []
namespace = worker.namespace(root, worker.Output(100), runs, 60.0, worker.Deadline(60.0))
result = namespace["probe_run"]("tests")
print(json.dumps({
    "prompt": "probe_run(path)" in prompt.SYSTEM_PROMPT,
    "parse": parse.parse("```python\nprint(probe_run('tests').failed)\n```").kind,
    "evaluate": "probe_run" in evaluate.TOOLS,
    "cli": "probe" in cli._TOOLS,
    "ran": result.failed,
    "recorded": [run.tool for run in runs],
    "typed": type(ToolRun.model_validate(runs[0].model_dump()).typed()).__name__,
}))
"""


def test_every_consumer_derives_its_tools_from_the_registry() -> None:
    names = set(registry.NAMES)
    # Reached without the model choosing them: the editor's explain and fix actions.
    unprompted = {"explain_rule", "python_docs", "propose_edit"}
    assert names == {"typecheck", "ruff_check", "pytest_run", "read_file", *unprompted}
    assert set(parse.TOOLS) == names
    # The prompt lists what the shipped adapter was trained with, and only that.
    prompted = {t.name for t in registry.TOOLS if t.in_prompt}
    assert prompted == names - unprompted
    assert all(f"{name}(path)" in prompt.SYSTEM_PROMPT for name in prompted)
    assert not any(name in prompt.SYSTEM_PROMPT for name in unprompted)
    assert {"error_count", "violations", "outcome", "failure_line"} <= registry.result_fields()


def test_a_registered_tool_reaches_every_consumer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(SAMPLE)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen == {
        "prompt": True,
        "parse": "tool",
        "evaluate": True,
        "cli": True,
        "ran": 1,
        "recorded": ["probe_run"],
        "typed": "TestResult",
    }


def test_an_unregistered_tool_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a typed tool"):
        ToolRun(tool="grep", path=".", result={})
    with pytest.raises(ValueError, match="not a typed tool"):
        ToolRun(tool="read_file", path=".", result={})  # plain text: nothing to record


def test_one_finding_reads_the_same_for_every_consumer() -> None:
    ran = run_code('print(pytest_run("tests").failed)', SAMPLE)
    (run,) = ran.results
    (finding,) = run.findings()
    assert (finding.code, finding.kind, finding.line, finding.raised_line) == (
        "test_fee_rounds_up",
        "failed",
        11,
        12,
    )
    wording = finding.wording
    assert finding.text(wording.diagnostic) == "test test_fee_rounds_up failed: assert 1 == 2"
    assert finding.text(wording.report) == "failed  pytest[test_fee_rounds_up]: assert 1 == 2"
    assert report.summary(run.typed()) == "pytest: 1 failed, 0 errors, 4 passed, 0 skipped of 5"


def test_no_module_lists_the_tool_names_itself() -> None:
    """Two or more tool names written out together anywhere but the registry are a second
    list that a new tool would have to be added to."""
    names = set(registry.NAMES)
    package = Path(registry.__file__).parents[1]
    for path in package.rglob("*.py"):
        if path.name == "registry.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = {  # a package's __all__ names its functions, not a list of tools
            id(a.value)
            for a in ast.walk(tree)
            if isinstance(a, ast.Assign) and "__all__" in {getattr(t, "id", "") for t in a.targets}
        }
        for node in ast.walk(tree):
            if id(node) in exported:
                continue
            if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                listed = {e.value for e in items if isinstance(e, ast.Constant)}
                assert len(listed & names) < 2, f"{path}:{node.lineno} lists tools by hand"
