"""Where the server logs: a file the user can find, and warnings on stderr for the editor."""

import logging
import os
from pathlib import Path


def default_log_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "punie-lsp" / "punie-lsp.log"


def setup(log_file: Path | None, level: str) -> Path | None:
    """Log to log_file (or the default) and warnings to stderr; returns the file in use."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    # pygls logs every message body at INFO: far too much for a 20,000-line buffer.
    logging.getLogger("pygls").setLevel(max(root.level, logging.WARNING))
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    path = log_file or default_log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:  # a read-only home must not stop the server
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    return path
