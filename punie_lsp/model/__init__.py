"""Model hosting: the embedded default model and (next) the thread that owns a loaded model.

Nothing here knows about LSP.
"""
