"""The sandbox's worker process: runs one checked snippet and reports as JSON.

Started by `sandbox.run_code` (or ahead of need by `sandbox.prestart`) as
`python -I -m punie_lsp.agent.worker`. With its imports done, it reads one request from
stdin, moves into the workspace, lowers its own limits (memory, CPU time, no new sockets),
runs the snippet with only the safe builtins and the typed tools in scope, and writes one
JSON SandboxResult to the stdout it was given. The snippet never sees sys, os or the real stdout.
"""

import builtins
import json
import os
import resource
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from punie_lsp.agent import policy
from punie_lsp.agent.records import to_record
from punie_lsp.agent.results import SandboxResult, ToolRun
from punie_lsp.tools import pytest as pytest_tool
from punie_lsp.tools.paths import WorkspaceError, missing
from punie_lsp.tools.registry import TOOLS, Tool

ERROR_LIMIT = 2_000  # characters of an error message kept


def plain_text(text: str) -> str:
    """text with lone surrogates escaped (\\udcxx), so that it can be written as UTF-8."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def cut(text: str, limit: int) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"... ({len(text) - limit:,} more characters)"
    )


class Timeout(BaseException):
    """The snippet ran past its time limit (a BaseException: `except Exception` in a snippet
    does not stop it)."""


class Deadline:
    """The snippet's wall-clock limit: an alarm that interrupts its own code, and the time
    left for each tool it calls (a tool is never interrupted mid-run, it is given less time)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.in_tool = False

    def start(self) -> None:
        signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise self._timeout()

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0.1)  # and again, if a bare except caught it
        if not self.in_tool:
            raise self._timeout()

    def _timeout(self) -> Timeout:
        return Timeout(f"timed out after {self.seconds:g} s")


class Output:
    """print() for the snippet: captured, and cut (silently) past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def print(self, *args: Any, sep: str | None = " ", end: str | None = "\n") -> None:
        if self.truncated:
            return
        text = (sep if sep is not None else " ").join(str(a) for a in args)
        text = plain_text(text + (end if end is not None else "\n"))
        room = self.limit - self.size
        if len(text) > room:
            text, self.truncated = text[:room], True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)


def safe_builtins(output: Output) -> dict[str, Any]:
    """The only builtins a snippet has: the safe ones, print into output, WorkspaceError."""
    safe = {name: getattr(builtins, name) for name in policy.SAFE_BUILTINS}
    return {**safe, "print": output.print, "WorkspaceError": WorkspaceError}


def namespace(
    root: Path, output: Output, runs: list[ToolRun], timeout: float, deadline: Deadline
) -> dict[str, Any]:
    """The snippet's whole world: safe builtins, print, and the registered tools, each
    confined to the workspace, each giving back plain records (agent/records.py)."""

    def inside(path: str | Path) -> str:
        target = (root / str(path)).resolve()
        if not target.is_relative_to(root):
            raise WorkspaceError(f"{path} is outside the workspace")
        return str(target.relative_to(root)) or "."

    def bind(tool: Tool) -> Any:
        def call(path: str | None = None, *edit: Any) -> Any:
            if edit and tool.argument != "edit":
                raise TypeError(f"{tool.name}() takes one argument")
            if tool.argument == "edit":  # a file, then its line and new text
                if len(edit) != 2:
                    raise TypeError(f"{tool.name}() takes a path, a line number and a text")
                where = inside(path or "")
            elif tool.argument in ("rule", "query"):  # a rule's code or words, not a path
                where = str(path or "")
            # No path: what the project's own configuration selects (not read_file's).
            elif path is None and tool.argument == "path":
                where = None
            else:
                where = inside(path or "")
                if tool.argument == "path" and not (root / where).exists():
                    raise WorkspaceError(missing(root, str(path)))
            deadline.check()
            deadline.in_tool = True
            try:
                result = tool.function(
                    where, *edit, cwd=root, timeout=min(timeout, deadline.left())
                )
            except WorkspaceError:
                raise
            except Exception as exc:  # only plain exceptions reach the snippet
                raise RuntimeError(f"{tool.name} failed: {type(exc).__name__}: {exc}") from None
            finally:
                deadline.in_tool = False
            deadline.check()
            if tool.result is None:  # plain text, not a typed result: nothing to record
                return plain_text(result)
            runs.append(ToolRun(tool=tool.name, path=where or ".", result=result.model_dump()))
            return to_record(result)

        call.__name__ = tool.name
        return call

    return {"__builtins__": safe_builtins(output), **{tool.name: bind(tool) for tool in TOOLS}}


def limit(memory_mb: int, cpu_seconds: float) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError("network access is not allowed in the sandbox")

    # The snippet cannot import socket; this stops a tool's Python helpers from reaching out.
    setattr(socket, "socket", no_network)  # noqa: B010 - a typed assignment would not type-check
    setattr(socket, "create_connection", no_network)  # noqa: B010


def run(request: dict[str, Any]) -> SandboxResult:
    root = Path(request["root"]).resolve()
    output = Output(int(request["output_limit"]))
    runs: list[ToolRun] = []
    start = time.monotonic()
    deadline = Deadline(float(request["timeout"]))
    try:
        os.chdir(root)
        tree = policy.check(request["code"])
        code = compile(tree, "<snippet>", "exec")
        limit(int(request["memory_mb"]), float(request["timeout"]))
        world = namespace(root, output, runs, float(request["tool_timeout"]), deadline)
        deadline.start()
        try:
            exec(code, world)
        finally:
            deadline.stop()
        error = None
    except Timeout as exc:
        error = str(exc)
    except (SyntaxError, policy.PolicyError) as exc:  # compile() can raise SyntaxError too
        error = policy.describe(exc)
    except MemoryError:
        error = "MemoryError: the snippet used more memory than the sandbox allows"
    except RecursionError:
        error = "RecursionError: maximum recursion depth exceeded"
    except Exception as exc:
        error = _describe(exc)
    return SandboxResult(
        output=output.text(),
        error=plain_text(cut(error, ERROR_LIMIT)) if error is not None else None,
        truncated=output.truncated,
        results=runs,
        duration=time.monotonic() - start,
    )


def _describe(exc: Exception) -> str:
    """The exception and the snippet line it came from (never the worker's own frames)."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<snippet>"]
    where = f" (line {lines[-1]})" if lines else ""
    return f"{type(exc).__name__}: {exc}{where}"


NICENESS = 10  # its imports run while the model may be answering: they yield


def main() -> None:
    os.nice(NICENESS)
    if len(sys.argv) > 1:  # the workspace it is likely to be asked about: its pytest, ready
        pytest_tool.warm(sys.argv[1])
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # Anything else that writes to fd 1 or 2 (a tool's stray output) must not corrupt the reply.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    text = sys.stdin.read()
    if not text:  # started ahead of need (sandbox.prestart) and never asked
        return
    result = run(json.loads(text))
    reply.write(result.model_dump_json() + "\n")  # one line: the caller reads up to its end
    # Closed now, so the caller has its answer while this process waits for a tool that is
    # still exiting (tools/process.py: reap_later) and tears down.
    reply.close()


if __name__ == "__main__":
    main()
