"""Run a tool's executable with a time limit; every way it can go wrong becomes ToolError."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# "error: ..." or "ERROR: ..." as a word, not inside a path such as test_usage_error.py
_ERROR_LINE = re.compile(r"(^|[\s:])error\b", re.IGNORECASE)


class ToolError(Exception):
    """The tool could not give an answer: missing, crashed, timed out or unreadable."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    def why(self) -> str:
        """The line of output that best says what went wrong: an error line, else the last."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        lines = lines or [line.strip() for line in self.stdout.splitlines() if line.strip()]
        errors = [line for line in lines if _ERROR_LINE.search(line)]
        return (errors or lines or ["no output"])[-1]


def find_executable(name: str, configured: str | None = None) -> str:
    """The executable to run for a tool.

    An explicit path wins; then the copy installed beside our own interpreter (the version
    punie-lsp was tested with); then whatever PATH offers.
    """
    if configured:
        path = shutil.which(configured)
        if path is None:
            raise ToolError(f"{name} not found at {configured!r}")
        return path
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found: install it or set its path in the settings")
    return path


def run(
    argv: list[str],
    *,
    cwd: str | Path | None = None,
    stdin: str | None = None,
    timeout: float,
    ok_codes: tuple[int, ...] = (0, 1),
    env: dict[str, str] | None = None,
) -> Completed:
    """Run argv to completion, killing its whole process group if it outlives timeout."""
    proc = start(argv, cwd=cwd, env=env, stdin=stdin is not None)
    return finish(proc, argv[0], stdin, timeout=timeout, ok_codes=ok_codes)


def start(
    argv: list[str],
    *,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    stdin: bool = False,
) -> subprocess.Popen[bytes]:
    """Start argv in its own process group, its output captured (see finish)."""
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a timeout also kills what the tool spawned
        )
    except OSError as exc:
        raise ToolError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc


def finish(
    proc: subprocess.Popen[bytes],
    name: str,
    stdin: str | None = None,
    *,
    timeout: float,
    ok_codes: tuple[int, ...] = (0, 1),
) -> Completed:
    """Feed a started process its input and wait for it; ToolError unless it exits with one
    of ok_codes within timeout (then its whole group is killed)."""
    try:
        out, err = proc.communicate(
            stdin.encode("utf-8", "surrogatepass") if stdin is not None else None, timeout
        )
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ToolError(f"{Path(name).name} timed out after {timeout:g} s") from None
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    done = Completed(proc.returncode, stdout, stderr)
    if proc.returncode not in ok_codes:
        raise ToolError(f"{Path(name).name} failed with exit code {proc.returncode}: {done.why()}")
    return done


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
