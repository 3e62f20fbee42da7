"""Run a Code Mode snippet in a worker process it cannot leave.

Walls, from the outside in: the operating system's (agent/wall.py: bubblewrap, no network,
nothing of the filesystem but the workspace and the programs it runs, all read-only, and
its own process tree, killed whole at the time limit); a separate process with lowered
memory and CPU limits and a wall-clock alarm; inside it, a syntax-tree policy
(agent/policy.py) and a namespace holding only safe builtins and the typed tools, confined
to the workspace and giving back plain records, not models (agent/records.py). The server
and the user's files are never touched by the snippet; its findings come back as typed
results. docs/security.md says what each wall stops.

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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from punie_lsp.agent import policy, wall
from punie_lsp.agent.results import SandboxResult
from punie_lsp.tools.process import REAP_GRACE, exchange, kill_group, reap_later, signal_group


@dataclass(frozen=True)
class Limits:
    timeout: float = 60.0  # wall clock for the whole snippet, tool runs included
    memory_mb: int = 1024
    output_limit: int = 20_000  # characters of printed output kept
    tool_timeout: float = 30.0


def run_code(
    code: str,
    root: str | Path,
    limits: Limits | None = None,
    overlay: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> SandboxResult:
    """Check and run code with the workspace at root; never raises for anything the code does.
    overlay: file path -> text the tools see there instead of the disk's (the editor's unsaved
    buffers); it needs the OS wall, and is left out, saying so, where there is none. Setting
    cancel kills the run (its worker and everything it started) and returns an error."""
    limits = limits or Limits()
    try:
        policy.check(code)  # refuse early, with a clear message, without starting a process
    except (SyntaxError, policy.PolicyError) as exc:
        return SandboxResult(error=policy.describe(exc))
    except Exception as exc:  # whatever a model's reply holds, the caller gets a result
        return SandboxResult(error=f"refused: the code cannot be read ({type(exc).__name__})")
    request = {
        "code": code,
        "root": str(Path(root).resolve()),
        "timeout": limits.timeout,
        "memory_mb": limits.memory_mb,
        "output_limit": limits.output_limit,
        "tool_timeout": min(limits.tool_timeout, limits.timeout),
    }
    if not overlay:
        return _run(request, limits, None, cancel)
    if not wall.status().available:
        result = _run(request, limits, None, cancel)
        shown = ", ".join(sorted(Path(p).name for p in overlay))
        result.notes.append(f"unsaved changes not seen (no sandbox wall): {shown}")
        return result
    with tempfile.TemporaryDirectory(prefix="punie-overlay-") as folder:  # gone after the run
        return _run(request, limits, _write_overlay(overlay, Path(folder)), cancel)


def _write_overlay(overlay: Mapping[str, str], folder: Path) -> list[tuple[str, str]]:
    """Each buffer's text in a file of its own in folder: (file, workspace path) pairs."""
    binds = []
    for n, (path, text) in enumerate(sorted(overlay.items())):
        copy = folder / f"{n}{Path(path).suffix}"
        copy.write_text(text, encoding="utf-8")
        binds.append((str(copy), path))
    return binds


def _run(
    request: dict[str, object],
    limits: Limits,
    overlays: list[tuple[str, str]] | None,
    cancel: threading.Event | None = None,
) -> SandboxResult:
    """The snippet in a worker: the spare one, or one of its own to see an overlay."""
    root = str(request["root"])
    proc = _start_worker(root, overlays) if overlays else SPARE.take(root)
    started = time.monotonic()
    finished = threading.Event()
    if cancel is not None:
        threading.Thread(target=_kill_on, args=(cancel, finished, proc), daemon=True).start()
    try:
        # Its reply, without waiting for it to exit: it may still be seeing a tool out. It
        # keeps its own time (an alarm); this wait is for a worker that cannot answer.
        request_text = json.dumps(request).encode()
        out, _, _ = exchange(proc, request_text, timeout=limits.timeout + GRACE, line=True)
    except subprocess.TimeoutExpired:
        kill_group(proc)  # with the wall, everything it started goes with it
        took = time.monotonic() - started
        return SandboxResult(error=f"timed out after {limits.timeout:g} s", duration=took)
    finally:
        finished.set()
        prestart(root)
    if cancel is not None and cancel.is_set():
        kill_group(proc)
        return SandboxResult(error="cancelled", duration=time.monotonic() - started)
    if not out:  # it died: how
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        kill_group(proc)
        took = time.monotonic() - started
        return SandboxResult(error=_death(proc.returncode, limits), duration=took)
    reap_later(proc, REAP_GRACE + 5)  # the worker itself gives its tools REAP_GRACE
    try:
        return SandboxResult.model_validate_json(out)
    except ValidationError:
        return SandboxResult(error="the sandbox worker gave an unreadable reply")


GRACE = 2.0  # seconds past its time limit a worker has to send its reply


def _kill_on(cancel: threading.Event, finished: threading.Event, proc: subprocess.Popen) -> None:
    """Kill the run's worker (and, inside the wall, all it started) once cancel is set. Only
    the signal: its pipes then end, and the run's own thread, reading them, cleans up (closing
    them here would leave that thread's selector waiting on nothing)."""
    while not finished.is_set():
        if cancel.wait(0.05):
            signal_group(proc.pid)
            return


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
        """The worker waiting for root, or a new one when none waits for it or it died
        waiting (a walled worker sees only the workspace it was started for)."""
        with self._lock:
            proc, self._proc = self._proc, None
            matches = self._root == root
        if proc is not None and (not matches or proc.poll() is not None):
            kill_group(proc)
            proc = None
        return proc or _start_worker(root)

    def waiting(self) -> subprocess.Popen[bytes] | None:
        """The worker waiting now, if any."""
        return self._proc


SPARE = SpareWorker()


def prestart(root: str | Path | None = None) -> None:
    """Have a worker started and waiting for the next snippet (no-op when one is); with the
    workspace root, it also has that project's pytest started (tools/pytest.py: warm)."""
    SPARE.prestart(str(Path(root).resolve()) if root is not None else None)


def _start_worker(
    root: str | None, overlays: list[tuple[str, str]] | None = None
) -> subprocess.Popen[bytes]:
    # Absolute: the worker starts in /tmp, and a PATH entry may be relative.
    python = os.path.abspath(sys.executable)
    argv = [python, "-I", "-m", "punie_lsp.agent.worker", *([root] if root else [])]
    proc = subprocess.Popen(
        wall.command(argv, root, _environment(), overlays or ()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),  # it moves into the workspace once its request names it
        env=_environment(),
        start_new_session=True,
    )
    return proc


def _environment() -> dict[str, str]:
    """Only what the tools need: no tokens or credentials from the server's environment."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


def _death(returncode: int | None, limits: Limits) -> str:
    # Killed by a signal: a negative status, or 128 + the signal through bwrap.
    died = -returncode if returncode is not None and returncode < 0 else None
    if wall.status().available and returncode is not None and 128 < returncode < 128 + 65:
        died = returncode - 128
    if died in (signal.SIGXCPU, signal.SIGKILL):
        return f"timed out after {limits.timeout:g} s (CPU limit)"
    if died is not None:
        return f"the sandbox worker was killed by signal {died}"
    return f"the sandbox worker failed (exit code {returncode})"
