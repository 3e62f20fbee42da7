"""Run a Code Mode snippet in a worker process it cannot leave.

Walls, from the outside in: a separate process in its own session (killed with its whole
group at the time limit), with lowered memory and CPU limits and socket creation disabled;
inside it, a syntax-tree policy (agent/policy.py) and a namespace holding only safe builtins,
the typed tools and read_file, all confined to the workspace. The server and the user's
files are never touched by the snippet; its findings come back as typed results.

A worker serves one snippet and exits. The next one is started as soon as a run ends (and
by prestart(), when the server or the CLI starts), so that it has done its imports (~0.15 s
of a tool answer) before the model has written the snippet; it waits for its request on
stdin, and exits when that closes unread (the server went away).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from punie_lsp.agent import policy
from punie_lsp.agent.results import SandboxResult
from punie_lsp.tools.process import REAP_GRACE, exchange, kill_group, reap_later


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
    proc = SPARE.take(request["root"])
    try:
        # Its reply, without waiting for it to exit: it may still be seeing a tool out.
        out, _, _ = exchange(proc, json.dumps(request).encode(), timeout=limits.timeout + 5)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        return SandboxResult(error=f"timed out after {limits.timeout:g} s", duration=limits.timeout)
    finally:
        prestart(request["root"])
    if not out:  # it died: how
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        kill_group(proc)
        return SandboxResult(error=_death(proc.returncode, limits))
    reap_later(proc, REAP_GRACE + 5)  # the worker itself gives its tools REAP_GRACE
    try:
        return SandboxResult.model_validate_json(out)
    except ValidationError:
        return SandboxResult(error="the sandbox worker gave an unreadable reply")


SPARE_NICENESS = 10


class SpareWorker:
    """At most one worker started ahead of need, for one workspace root (or none)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._root: str | None = None
        self._lock = threading.Lock()

    def prestart(self, root: str | None) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and self._root == root:
                return
            if self._proc is not None:
                kill_group(self._proc)
            self._proc, self._root = _start_worker(root), root

    def take(self, root: str) -> subprocess.Popen[bytes]:
        """The waiting worker, or a new one when none waits or it died waiting."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            proc = _start_worker(root)
        return proc

    def waiting(self) -> subprocess.Popen[bytes] | None:
        """The worker waiting now, if any."""
        return self._proc


SPARE = SpareWorker()


def prestart(root: str | Path | None = None) -> None:
    """Have a worker started and waiting for the next snippet (no-op when one is); with the
    workspace root, it also has that project's pytest started (tools/pytest.py: warm)."""
    SPARE.prestart(str(Path(root).resolve()) if root is not None else None)


def _start_worker(root: str | None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-I", "-m", "punie_lsp.agent.worker", *([root] if root else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),  # it moves into the workspace once its request names it
        env=_environment(),
        start_new_session=True,
    )
    # Its imports run while the model may be answering the next question: they yield.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, SPARE_NICENESS)
    return proc


def _environment() -> dict[str, str]:
    """Only what the tools need: no tokens or credentials from the server's environment."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


def _death(returncode: int | None, limits: Limits) -> str:
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        return f"timed out after {limits.timeout:g} s (CPU limit)"
    if returncode is not None and returncode < 0:
        return f"the sandbox worker was killed by signal {-returncode}"
    return f"the sandbox worker failed (exit code {returncode})"
