"""The tools' diagnostics kept as JSON (server/raw_json.py): what is rewritten in them is what
the typed path wrote, and the converters pass the JSON through untouched."""

import itertools
import json

import pytest
from lsprotocol import types
from pygls.protocol import JsonRPCNotification

from punie_lsp.server.diagnostic_data import RuffDiagnosticData, RuffFixData
from punie_lsp.server.diagnostics import ruff_data
from punie_lsp.server.raw_json import RawJson, RawResponse, lsp_raw, raw_converter

EDIT = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
        "newText": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "fix", "row"),
    list(itertools.product(["F401", None], [("Remove import", [EDIT]), None], [3, None])),
)
def test_the_fast_write_is_the_model_s_write(code, fix, row) -> None:
    typed = RuffDiagnosticData(
        version=7,
        code=code,
        fix=RuffFixData(title=fix[0], applicability="safe", edits=fix[1]) if fix else None,
        noqa_row=row,
    )
    fast = RuffDiagnosticData.written(7, code, fix, row)
    assert fast == typed.write()
    assert RuffDiagnosticData.read(fast) == typed


def test_ruff_server_s_json_is_rewritten_in_place() -> None:
    sent = {
        "range": {"start": {"line": 2, "character": 7}, "end": {"line": 2, "character": 9}},
        "severity": 2, "code": "F401", "source": "Ruff", "message": "`os` imported but unused",
        "data": {"title": "Remove unused import: `os`", "edits": [EDIT],
                 "noqa_edit": {"range": EDIT["range"], "newText": "  # noqa: F401"}},
    }  # fmt: skip
    out = ruff_data(json.loads(json.dumps(sent)), 4, positions_ok=True)
    data = RuffDiagnosticData.read(out["data"])
    assert data is not None and data.version == 4 and data.code == "F401"
    assert data.fix is not None and data.fix.edits == [EDIT] and data.noqa_row == 1
    assert out["severity"] == 2 and out["range"] == sent["range"]
    # Positions in another encoding than the edits': no fix offered; a syntax error is one.
    syntax = ruff_data({**sent, "code": "invalid-syntax"}, 4, positions_ok=False)
    read = RuffDiagnosticData.read(syntax["data"])
    assert read is not None and read.fix is None
    assert syntax["severity"] == types.DiagnosticSeverity.Error.value


def test_the_converters_pass_json_through() -> None:
    converter = raw_converter()
    items = [{"range": EDIT["range"], "message": "m", "data": {"anything": [1, {"x": None}]}}]
    note = JsonRPCNotification(
        method="m", params=RawJson(uri="u", diagnostics=items), jsonrpc="2.0"
    )
    assert converter.unstructure(note)["params"]["diagnostics"] is items
    answer = {"id": 3, "jsonrpc": "2.0", "result": {"kind": "full", "items": items}}
    response = converter.structure(answer, RawResponse)
    assert response.result["items"] is items  # not made into objects
    typed = types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(1, 0)),
                             message="m", severity=types.DiagnosticSeverity.Warning)  # fmt: skip
    assert lsp_raw([typed]) == [{"range": EDIT["range"], "message": "m", "severity": 2}]
