"""Where punie-lsp keeps what it can rebuild: $XDG_CACHE_HOME/punie-lsp (else ~/.cache)."""

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path


def cache_dir(name: str) -> Path:
    """A folder of punie-lsp's cache (converted models, renamed training fixtures)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "punie-lsp" / name


def keyed(folder: Path, key: bytes, stem: str = "", suffix: str = "") -> Path:
    """The cache file for what key describes (what the kept thing is made from)."""
    return folder / f"{stem}{hashlib.sha256(key).hexdigest()[:24]}{suffix}"


def keep(where: Path, write: Callable[[Path], object]) -> None:
    """write() a cache file aside, then rename it into place, so that a reader in another
    process sees all of it or none; a cache that cannot be written (read-only) only means
    doing the work again next time."""
    partial = where.with_name(f"{where.stem}.{os.getpid()}.partial{where.suffix}")
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        partial.replace(where)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
