"""Code Mode: prompt, reply parsing, the sandbox, and the question -> answer loop.

Nothing here knows about LSP; the model is reached through a plain `generate` callable.
"""
