"""Where punie-lsp keeps what it can rebuild: $XDG_CACHE_HOME/punie-lsp (else ~/.cache)."""

import os
from pathlib import Path


def cache_dir(name: str) -> Path:
    """A folder of punie-lsp's cache (converted models, renamed training fixtures)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "punie-lsp" / name
