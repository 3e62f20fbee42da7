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
    return codec.range_to_client_units(lines, types.Range(start=start, end=end))


def whole_document(codec: PositionCodec, lines: Sequence[str]) -> types.Range:
    """A range over every character, ending on the last real line (some clients reject more)."""
    if not lines:
        return types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    last = len(lines) - 1
    end = types.Position(line=last, character=codec.client_num_units(lines[last]))
    return types.Range(start=types.Position(0, 0), end=end)


def range_json(r: types.Range) -> dict[str, Any]:
    """A range as plain JSON, to carry inside Diagnostic.data."""
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def range_from_json(data: dict[str, Any]) -> types.Range:
    return types.Range(
        start=types.Position(
            line=int(data["start"]["line"]), character=int(data["start"]["character"])
        ),
        end=types.Position(line=int(data["end"]["line"]), character=int(data["end"]["character"])),
    )
