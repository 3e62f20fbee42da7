"""punie-lsp: a Python language server with ruff and ty diagnostics and a local model."""

__version__ = "0.1.0"
