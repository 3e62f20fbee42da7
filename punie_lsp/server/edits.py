"""The editor's changes to each open buffer, by version.

A child server (`ruff server`, `ty server`) that has seen version n of a buffer can then be
sent the editor's own ranged changes since n instead of the whole text: a keystroke in a
5,000-line file is a few bytes to encode and parse, not the 150 KB buffer. Where the changes
since n are no longer all here (a child that fell far behind, a reopened buffer), the caller
sends the whole text, which is always right.
"""

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.workspace import PositionCodec

from punie_lsp.tools.lines import split_lines

Change = types.TextDocumentContentChangeEvent

# Keystrokes between two diagnostics runs are few (the debounce batches them); a child
# further behind than this gets the whole text.
KEEP = 64


@dataclass
class _Buffer:
    base: int  # the version before the first change kept: when opened, or the last dropped
    changes: deque[tuple[int, list[Change]]] = field(default_factory=deque)


class EditLog:
    def __init__(self) -> None:
        self._buffers: dict[str, _Buffer] = {}

    def opened(self, uri: str, version: int) -> None:
        self._buffers[uri] = _Buffer(version)

    def changed(self, uri: str, version: int, changes: Sequence[Change]) -> None:
        buffer = self._buffers.get(uri)
        if buffer is None:  # a change to a buffer never opened: nothing to chain it to
            return
        if len(buffer.changes) == KEEP:
            buffer.base = buffer.changes.popleft()[0]
        buffer.changes.append((version, list(changes)))

    def closed(self, uri: str) -> None:
        self._buffers.pop(uri, None)

    def since(self, uri: str, known: int, version: int) -> list[Change] | None:
        """The changes that turn version `known` into `version`, in the order the editor sent
        them; None where they are not all here."""
        buffer = self._buffers.get(uri)
        if buffer is None or known >= version:
            return None
        found: list[Change] = []
        chained = buffer.base == known
        for v, changes in buffer.changes:
            if chained:
                found.extend(changes)
                if v == version:
                    return found
            elif v == known:
                chained = True
        return None


def apply_change(text: str, change: Change, codec: PositionCodec) -> str:
    """text after one of the editor's changes: the whole text, or a range replaced, its lines
    counted as LSP counts them (tools/lines.py). A position past the end of its line is at
    the line's end, and one past the last line at the text's end, as LSP says."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text
    lines = split_lines(text)
    start = _offset(text, lines, change.range.start, codec)
    end = max(start, _offset(text, lines, change.range.end, codec))
    return text[:start] + change.text + text[end:]


def _offset(text: str, lines: list[str], position: types.Position, codec: PositionCodec) -> int:
    if position.line >= len(lines):
        return len(text)
    body = len(lines[position.line].rstrip("\r\n"))
    column = codec.position_from_client_units(lines, position).character
    return sum(map(len, lines[: position.line])) + min(column, body)
