"""A text's lines as Python, the tools and LSP count them: broken at \\n, \\r\\n and \\r only.

`str.splitlines` also breaks at form feeds, vertical tabs, \\x1c-\\x1e, \\x85 and
\\u2028/\\u2029. PEP 8 allows a form feed between sections, and to Python it is whitespace;
split there, every row after it is one off from the row ruff, ty, pytest, the ast and the
editor give, and an edit made at such a row lands on the wrong line.
"""

import re

# The breaks str.splitlines knows beyond \n and \r: where none is in a text, its split is ours.
# Looked for one by one (`in` is a fast search; a regex class walks every character).
_OTHER_BREAKS = ("\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def split_lines(text: str, keepends: bool = True) -> list[str]:
    """text's lines, each with its line break where keepends; like str.splitlines otherwise
    (no empty line after a final break)."""
    if not any(other in text for other in _OTHER_BREAKS):
        return text.splitlines(keepends)
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]
