"""Model hosting: the embedded default model and (next) the thread that owns a loaded model.

Nothing here knows about LSP.
"""

from punie_lsp.model import bare_mlx_lm

bare_mlx_lm.install()  # before any of mlx-lm's parts is imported: see that module
