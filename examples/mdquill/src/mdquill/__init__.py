"""A very small Markdown to HTML converter."""
