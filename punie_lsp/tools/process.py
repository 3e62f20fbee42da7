"""Run a tool's executable with a time limit; every way it can go wrong becomes ToolError."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class ToolError(Exception):
    """The tool could not give an answer: missing, crashed, timed out or unreadable."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


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
) -> Completed:
    """Run argv to completion, killing its whole process group if it outlives timeout."""
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a timeout also kills what the tool spawned
        )
    except OSError as exc:
        raise ToolError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
    try:
        out, err = proc.communicate(
            stdin.encode("utf-8", "surrogatepass") if stdin is not None else None, timeout
        )
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ToolError(f"{Path(argv[0]).name} timed out after {timeout:g} s") from None
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    if proc.returncode not in ok_codes:
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
        raise ToolError(f"{Path(argv[0]).name} failed with exit code {proc.returncode}: {detail}")
    return Completed(proc.returncode, stdout, stderr)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
