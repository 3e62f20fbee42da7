"""The language server: pygls wiring, one module per feature."""
