"""Run a Code Mode snippet in a worker process it cannot leave.

Walls, from the outside in: a separate process in its own session (killed with its whole
group at the time limit), with lowered memory and CPU limits and socket creation disabled;
inside it, a syntax-tree policy (agent/policy.py) and a namespace holding only safe builtins,
the typed tools and read_file, all confined to the workspace. The server and the user's
files are never touched by the snippet; its findings come back as typed results.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from punie_lsp.agent import policy
from punie_lsp.agent.results import SandboxResult


@dataclass(frozen=True)
class Limits:
    timeout: float = 60.0  # wall clock for the whole snippet, tool runs included
    memory_mb: int = 1024
    output_limit: int = 20_000  # characters of printed output kept
    tool_timeout: float = 30.0


def run_code(code: str, root: str | Path, limits: Limits | None = None) -> SandboxResult:
    """Check and run code with the workspace at root; never raises for anything the code does."""
    limits = limits or Limits()
    try:
        policy.check(code)  # refuse early, with a clear message, without starting a process
    except (SyntaxError, policy.PolicyError) as exc:
        return SandboxResult(error=policy.describe(exc))
    request = {
        "code": code,
        "root": str(Path(root).resolve()),
        "timeout": limits.timeout,
        "memory_mb": limits.memory_mb,
        "output_limit": limits.output_limit,
        "tool_timeout": min(limits.tool_timeout, limits.timeout),
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", "-m", "punie_lsp.agent.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=request["root"],
        env=_environment(),
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(json.dumps(request).encode(), timeout=limits.timeout + 5)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return SandboxResult(error=f"timed out after {limits.timeout:g} s", duration=limits.timeout)
    finally:
        _kill(proc)  # whatever the snippet's tools left running
    if proc.returncode != 0 or not out:
        return SandboxResult(error=_death(proc.returncode, limits))
    try:
        return SandboxResult.model_validate_json(out)
    except ValidationError:
        return SandboxResult(error="the sandbox worker gave an unreadable reply")


def _environment() -> dict[str, str]:
    """Only what the tools need: no tokens or credentials from the server's environment."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode is None:
        proc.wait()


def _death(returncode: int | None, limits: Limits) -> str:
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        return f"timed out after {limits.timeout:g} s (CPU limit)"
    if returncode is not None and returncode < 0:
        return f"the sandbox worker was killed by signal {-returncode}"
    return f"the sandbox worker failed (exit code {returncode})"
