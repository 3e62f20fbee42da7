"""Tool positions (1-based lines, 1-based code-point columns) to LSP ranges in client units."""

from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace import PositionCodec


def to_range(
    codec: PositionCodec,
    lines: Sequence[str],
    line: int,
    column: int,
    end_line: int,
    end_column: int,
) -> types.Range:
    start = types.Position(line=max(line - 1, 0), character=max(column - 1, 0))
    end = types.Position(line=max(end_line - 1, 0), character=max(end_column - 1, 0))
    if _ascii(lines, start.line) and _ascii(lines, end.line):
        # Code points and UTF-8/16/32 units agree on ASCII lines, most of every real file.
        return types.Range(start=start, end=end)
    return codec.range_to_client_units(lines, types.Range(start=start, end=end))


def _ascii(lines: Sequence[str], line: int) -> bool:
    return line >= len(lines) or lines[line].isascii()


def whole_document(codec: PositionCodec, lines: Sequence[str]) -> types.Range:
    """A range over every character of the document.

    After a final newline the end is the start of the (empty) next line, a valid LSP position;
    otherwise it is the end of the last line.
    """
    start = types.Position(line=0, character=0)
    if not lines:
        return types.Range(start=start, end=start)
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return types.Range(start=start, end=types.Position(line=len(lines), character=0))
    end = types.Position(line=len(lines) - 1, character=codec.client_num_units(last))
    return types.Range(start=start, end=end)


def range_from_json(data: dict[str, Any]) -> types.Range:
    return types.Range(
        start=types.Position(
            line=int(data["start"]["line"]), character=int(data["start"]["character"])
        ),
        end=types.Position(line=int(data["end"]["line"]), character=int(data["end"]["character"])),
    )
