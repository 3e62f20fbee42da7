"""Diagnostics kept as the JSON the tools' servers sent, from their answer to our client's.

Structuring a ruff or ty report into lsprotocol's classes (cattrs, with a namedtuple made
per object on the way in) and back out costs more than the tool's whole answer on a big file
(docs/performance.md). What we change in a diagnostic (its data, source, severity, a range
in another encoding) is changed in the JSON, and the JSON goes out as it came.
"""

from typing import Any

import attrs
import cattrs
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.protocol import default_converter

RawDiagnostic = dict[str, Any]  # one LSP Diagnostic, as JSON

LSP = get_converter()  # lsprotocol's own, for the few typed values made or read here


class RawJson(dict[str, Any]):
    """JSON to send as it is: the converters below hand it to json.dumps untouched."""


@attrs.define
class RawResponse:
    """A response whose result stays plain JSON (pygls would make objects of it)."""

    id: int | str
    jsonrpc: str
    result: Any = None


def _raw_response(obj: dict[str, Any], _: type) -> RawResponse:
    return RawResponse(obj["id"], obj["jsonrpc"], obj.get("result"))


def raw_converter() -> cattrs.Converter:
    """pygls' converter, knowing RawJson and RawResponse."""
    converter = default_converter()
    converter.register_unstructure_hook(RawJson, lambda raw: raw)
    converter.register_structure_hook(RawResponse, _raw_response)
    return converter


def lsp_raw(diagnostics: list[types.Diagnostic]) -> list[RawDiagnostic]:
    """Typed diagnostics (the model's findings) as JSON, to go beside the tools'."""
    return [LSP.unstructure(d) for d in diagnostics]
