"""punie-lsp: a Python language server with ruff and ty diagnostics and a local model."""

import sys

__version__ = "0.1.0"

if sys.dont_write_bytecode and sys.pycache_prefix is None:
    # PYTHONDONTWRITEBYTECODE would have every start compile mlx-lm and transformers again
    # (about a second): our imports are compiled into our cache instead, as pytest's runs
    # are (tools/pytest.py), so nothing is written beside any source either way.
    from punie_lsp.cache import cache_dir

    sys.pycache_prefix = str(cache_dir("pycache"))
    sys.dont_write_bytecode = False
