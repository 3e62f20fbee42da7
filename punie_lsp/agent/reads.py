"""Which attributes a Code Mode snippet may read, and where.

A snippet is a run of segments, each opened by a statement at the top level that calls a
tool (`result = ruff_check(...)`, `print(pytest_run())`, `for e in typecheck().errors:`).
Until the next such statement, what is read after a dot is a field of that tool's result
(or of the models nested in it) or a method of the plain values a result holds. The
training idioms all read a result right after calling its tool, reusing `result`, so this
is what a right snippet does; the rule makes a blend of two idioms impossible (the CPU
recipe's first seed wrote `result = ruff_check(...)` and then the type checker's
`result.error_count`, which only failed in the sandbox). The grammar (agent/grammar.py)
decodes under this rule; the training data and the evaluation audit snippets with it.
"""

import ast

from punie_lsp.agent.policy import FORBIDDEN_ATTRIBUTES
from punie_lsp.tools.registry import NAMES, fields_of

# The public methods of the plain values a snippet handles, minus the forbidden ones.
METHODS: frozenset[str] = frozenset(
    {n for kind in (str, list, dict, set) for n in dir(kind) if not n.startswith("_")}
    - FORBIDDEN_ATTRIBUTES
)


def readable(tool: str) -> frozenset[str]:
    """What a snippet may read after a dot in a segment the tool opened."""
    return frozenset(fields_of(tool)) | METHODS


def opening_tool(statement: ast.stmt) -> str | None:
    """The tool a top-level statement calls first (in source order), if any."""
    calls = [
        node
        for node in ast.walk(statement)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMES
    ]
    if not calls:
        return None
    first = min(calls, key=lambda node: (node.lineno, node.col_offset))
    assert isinstance(first.func, ast.Name)
    return first.func.id


def unreadable(code: str) -> list[str]:
    """Each attribute the snippet reads that its segment's tool does not give, as a
    sentence. The code must parse."""
    problems = []
    tool: str | None = None
    allowed = METHODS
    for statement in ast.parse(code).body:
        opened = opening_tool(statement)
        if opened is not None and (tool is None or opened != "read_file"):
            # read_file's text only opens a snippet: later, it is read inside a segment.
            tool, allowed = opened, readable(opened)
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute) and node.attr not in allowed:
                owner = f"{tool}'s result" if tool else "the value"
                problems.append(f"line {node.lineno}: {owner} has no field {node.attr!r}")
    return problems
