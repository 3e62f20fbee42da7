"""The tests that run the model in the pytest process itself get OpenBLAS as the model's
thread gets it (punie_lsp/model/blas.py), before any test module imports mlx: `uv run pytest`
needs nothing set by hand."""

from punie_lsp.model import blas

blas.load()
