"""Run a tool's executable with a time limit; every way it can go wrong becomes ToolError."""

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
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
    pass_fds: Sequence[int] = (),
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
            pass_fds=pass_fds,
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
        kill_group(proc)
        raise ToolError(f"{Path(name).name} timed out after {timeout:g} s") from None
    return _checked(name, proc.returncode, out, err, ok_codes)


def _checked(
    name: str, returncode: int, out: bytes, err: bytes, ok_codes: tuple[int, ...]
) -> Completed:
    done = Completed(returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    if returncode not in ok_codes:
        raise ToolError(f"{Path(name).name} failed with exit code {returncode}: {done.why()}")
    return done


def finish_when_done(
    proc: subprocess.Popen[bytes],
    name: str,
    stdin: str,
    done: int,
    *,
    timeout: float,
    ok_codes: tuple[int, ...] = (0, 1),
) -> Completed:
    """finish() for a process that writes its exit status to the pipe `done` (this is the
    read end) once its work is done, before its own teardown (an interpreter's can take
    longer than the work). It finishes exiting in the background (reap_later). One that
    exits without a word is waited for as by finish()."""
    deadline = time.monotonic() + timeout
    try:
        out, err, said = exchange(proc, stdin.encode("utf-8", "surrogatepass"), timeout, done)
        if said:
            reap_later(proc)
            returncode = int(said) if said.strip().isdigit() else -1
        else:
            more_out, more_err, _ = exchange(proc, None, deadline - time.monotonic())
            out, err = out + more_out, err + more_err
            returncode = proc.wait(max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise ToolError(f"{Path(name).name} timed out after {timeout:g} s") from None
    finally:
        os.close(done)
    return _checked(name, returncode, out, err, ok_codes)


def exchange(
    proc: subprocess.Popen[bytes],
    data: bytes | None,
    timeout: float,
    done: int | None = None,
    *,
    line: bool = False,
) -> tuple[bytes, bytes, bytes]:
    """proc.communicate() without waiting for the exit: write data to stdin (then close it)
    and read stdout and stderr until both close. Given the read end of a pipe `done`, stop
    as soon as it says something or closes instead; with line, as soon as stdout holds a
    whole line (a process under bwrap shares its pipes with bwrap, which holds them open
    until everything inside has exited). Returns stdout, stderr and what done said (b""
    when it closed, or without one). Raises subprocess.TimeoutExpired past timeout."""
    deadline = time.monotonic() + timeout
    out: list[bytes] = []
    err: list[bytes] = []
    view = memoryview(data or b"")
    with selectors.DefaultSelector() as selector:
        for pipe, chunks in ((proc.stdout, out), (proc.stderr, err)):
            if pipe is not None and not pipe.closed:
                selector.register(pipe, selectors.EVENT_READ, chunks)
        if proc.stdin is not None and not proc.stdin.closed:
            if view:
                selector.register(proc.stdin, selectors.EVENT_WRITE)
            else:
                proc.stdin.close()
        if done is not None:
            selector.register(done, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            for key, _ in selector.select(remaining):
                if key.fd == done:
                    return b"".join(out), b"".join(err), os.read(done, 64)
                if key.data is None:  # stdin
                    try:
                        view = view[os.write(key.fd, view[:_PIPE_CHUNK]) :]
                    except BrokenPipeError:  # it stopped reading: nothing more to say
                        view = view[:0]
                    if not view:
                        selector.unregister(key.fileobj)
                        if proc.stdin is not None:
                            proc.stdin.close()
                elif chunk := os.read(key.fd, 65536):
                    key.data.append(chunk)
                    if line and key.data is out and b"\n" in chunk:
                        return b"".join(out), b"".join(err), b""
                else:
                    selector.unregister(key.fileobj)
    return b"".join(out), b"".join(err), b""


_PIPE_CHUNK = 512  # at most PIPE_BUF bytes per write to a pipe never blocks once writable
REAP_GRACE = 10.0  # seconds a finished tool may take to exit before its group is killed


def reap_later(proc: subprocess.Popen[bytes], grace: float = REAP_GRACE) -> None:
    """Let proc finish exiting in a thread: its output read and dropped (so it never blocks
    on a full pipe), its group killed if it is still there after grace seconds. The thread
    is not a daemon, so a process exiting waits for what it started (at most grace)."""

    def reap() -> None:
        deadline = time.monotonic() + grace
        with contextlib.suppress(subprocess.TimeoutExpired, OSError, ValueError):
            exchange(proc, None, grace)
            proc.wait(max(deadline - time.monotonic(), 0.001))
        if proc.returncode is None:
            kill_group(proc)

    threading.Thread(target=reap, name=f"reap-{proc.pid}").start()


def signal_group(pid: int) -> None:
    """SIGKILL to the process group that pid leads (started in a session of its own); a
    group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill proc with its whole process group (what it spawned, in its own session), reap
    it and close its pipes."""
    signal_group(proc.pid)
    proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
