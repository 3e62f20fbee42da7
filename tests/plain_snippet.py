"""A snippet run as it ran before issue 14, with none of the sandbox's walls: the tools'
pydantic models in scope, no syntax policy, no worker limits, no OS wall. Only the attack
corpus (tests/test_sandbox_walls.py) uses it, to show each attack is a real one."""

import sys
from pathlib import Path
from typing import Any

from punie_lsp.agent import worker
from punie_lsp.tools import registry


def bind(tool: registry.Tool, root: Path) -> Any:
    def call(path: str = ".") -> Any:
        return tool.function(path, cwd=root, timeout=60)

    return call


def main() -> None:
    root = Path(sys.argv[1])
    output = worker.Output(10**6)
    scope = worker.safe_builtins(output)
    try:
        exec(
            sys.stdin.read(),
            {"__builtins__": scope, **{t.name: bind(t, root) for t in registry.TOOLS}},
        )
    except Exception as exc:
        output.print(repr(exc))
    sys.stdout.write(output.text())


if __name__ == "__main__":
    main()
