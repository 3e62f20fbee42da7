"""What travels in `Diagnostic.data` and `CodeAction.data`: typed, written and read here only.

The client hands these back unchanged in `codeAction` and `codeAction/resolve` requests, as
plain JSON; reading them back validates them, so an action is never built from data another
server (or an older version of ours) wrote.
"""

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

D = TypeVar("D", bound="_Data")


class _Data(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def write(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)

    @classmethod
    def read(cls: type[D], data: object) -> D | None:
        """The data as written by write(), or None for anything else."""
        if not isinstance(data, dict):
            return None
        try:
            return cls.model_validate(data)
        except ValidationError:
            return None


class RuffFixData(_Data):
    title: str
    applicability: Literal["safe"]  # ruff server sends only the fixes it may apply unasked
    edits: list[dict[str, Any]]  # LSP TextEdits, as ruff server sent them


class RuffDiagnosticData(_Data):
    """A ruff diagnostic's quick fixes, for the buffer version it was computed on."""

    version: int
    code: str | None = None
    fix: RuffFixData | None = None
    noqa_row: int | None = None  # the 1-based row where a noqa comment goes

    @staticmethod
    def written(
        version: int, code: str | None, fix: tuple[str, list[Any]] | None, noqa_row: int | None
    ) -> dict[str, Any]:
        """What write() gives for these fields (fix: the safe fix's title and edits), without
        building the model: it is done for every ruff diagnostic on every keystroke, where
        pydantic's own costs as much as the rest of the forwarding (tests check both agree)."""
        data: dict[str, Any] = {"version": version}
        if code is not None:
            data["code"] = code
        if fix is not None:
            data["fix"] = {"title": fix[0], "applicability": "safe", "edits": fix[1]}
        if noqa_row is not None:
            data["noqaRow"] = noqa_row
        return data


class FindingData(_Data):
    """A model-run finding: which tool found it, so that an open buffer shows ruff's and ty's
    findings once, from the live diagnostics (server/diagnostics.py)."""

    source: str  # the tool's executable: ty, ruff, pytest
    code: str | None = None  # the finding's own code: a failing test's name


class ResolveData(_Data):
    """A code action whose edit is computed in codeAction/resolve."""

    uri: str
    version: int
    kind: str
