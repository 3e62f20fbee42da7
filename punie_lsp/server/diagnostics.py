"""Diagnostics for open buffers: ruff on the buffer's text, ty through its own server.

Push clients get debounced `textDocument/publishDiagnostics` with the document version; a
newer change cancels the computation for an older one, so nothing stale is published. Pull
clients (`textDocument/diagnostic`) get the same diagnostics computed on request.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec, TextDocument

from punie_lsp.server.positions import range_json, to_range
from punie_lsp.server.settings import Settings
from punie_lsp.server.ty_server import TyError, TyServer
from punie_lsp.tools import RuffResult, RuffViolation, ruff_check_text

log = logging.getLogger(__name__)

# Rules whose findings are dead code: clients grey these out.
_UNNECESSARY = {"F401", "F841", "RUF100"}


@dataclass(frozen=True)
class Snapshot:
    """One version of a buffer, taken when it changed; computations never see a later one."""

    uri: str
    version: int
    text: str
    lines: list[str]
    path: Path

    @classmethod
    def of(cls, doc: TextDocument, root: str | None) -> "Snapshot":
        fs_path = to_fs_path(doc.uri)
        # Unsaved "untitled:" buffers are linted as a file in the workspace root.
        path = Path(fs_path) if fs_path else Path(root or ".") / "untitled.py"
        return cls(doc.uri, doc.version or 0, doc.source, list(doc.lines), path)


def ruff_diagnostics(
    result: RuffResult, snap: Snapshot, codec: PositionCodec
) -> list[types.Diagnostic]:
    return [_ruff_diagnostic(v, snap, codec) for v in result.violations]


def _ruff_diagnostic(v: RuffViolation, snap: Snapshot, codec: PositionCodec) -> types.Diagnostic:
    data: dict[str, object] = {"version": snap.version, "code": v.code, "noqaRow": v.noqa_row}
    if v.fix is not None:
        data["fix"] = {
            "title": v.fix.message or f"Fix {v.code}",
            "applicability": v.fix.applicability,
            "edits": [
                {
                    "range": range_json(
                        to_range(codec, snap.lines, e.line, e.column, e.end_line, e.end_column)
                    ),
                    "newText": e.content,
                }
                for e in v.fix.edits
            ],
        }
    syntax = v.code == "invalid-syntax"
    return types.Diagnostic(
        range=to_range(codec, snap.lines, v.line, v.column, v.end_line, v.end_column),
        message=v.message,
        severity=types.DiagnosticSeverity.Error if syntax else types.DiagnosticSeverity.Warning,
        code=v.code,
        code_description=types.CodeDescription(href=v.url) if v.url else None,
        source="ruff",
        tags=[types.DiagnosticTag.Unnecessary] if v.code in _UNNECESSARY else None,
        data=data,
    )


class DiagnosticsEngine:
    """Owns the per-document computations; knows nothing of the client but two callbacks."""

    def __init__(
        self,
        publish: Callable[[str, int | None, list[types.Diagnostic]], None],
        report_problem: Callable[[str], None],
    ) -> None:
        self.publish = publish
        self.report_problem = report_problem
        self.settings = Settings()
        self.codec = PositionCodec()
        self.ty: TyServer | None = None
        self._pending: dict[str, asyncio.Task[None]] = {}
        # Findings of model-run snippets (source "punie"), shown beside ruff's and ty's.
        self.extra: dict[str, list[types.Diagnostic]] = {}
        self._last: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}

    async def compute(self, snap: Snapshot) -> list[types.Diagnostic]:
        """Every enabled source's diagnostics for this version of the buffer."""
        jobs = []
        if self.settings.sources.ruff:
            jobs.append(self._ruff(snap))
        if self.settings.sources.ty and self.ty is not None:
            jobs.append(self._ty(snap, self.ty))
        found: list[types.Diagnostic] = []
        for part in await asyncio.gather(*jobs):
            found.extend(part)
        return found

    def schedule(self, snap: Snapshot) -> None:
        """Push mode: publish diagnostics for snap after the debounce, unless superseded."""
        if (old := self._pending.get(snap.uri)) is not None:
            old.cancel()
        self._pending[snap.uri] = asyncio.create_task(self._publish_later(snap))

    def forget(self, uri: str, push: bool) -> None:
        """The buffer closed: stop its work, drop it from ty, clear what was published."""
        if (old := self._pending.pop(uri, None)) is not None:
            old.cancel()
        if self.ty is not None:
            self.ty.close(uri)
        if push:
            self._last.pop(uri, None)
            self.publish(uri, None, list(self.extra.get(uri, [])))

    def set_extra(self, extra: dict[str, list[types.Diagnostic]], push: bool) -> None:
        """Replace the model-run findings; push clients get every touched file again."""
        touched = set(self.extra) | set(extra)
        self.extra = extra
        if push:
            for uri in sorted(touched):
                version, found = self._last.get(uri, (None, []))
                self.publish(uri, version, found + extra.get(uri, []))

    def _publish(self, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
        self._last[uri] = (version, found)
        self.publish(uri, version, found + self.extra.get(uri, []))

    async def _publish_later(self, snap: Snapshot) -> None:
        await asyncio.sleep(self.settings.debounce_ms / 1000)
        found = await self.compute(snap)
        # A newer change would have cancelled this task; this check guards the gap between
        # the computation finishing and this line running.
        if self._pending.get(snap.uri) is asyncio.current_task():
            del self._pending[snap.uri]
            self._publish(snap.uri, snap.version, found)

    async def _ruff(self, snap: Snapshot) -> list[types.Diagnostic]:
        result = await asyncio.to_thread(
            ruff_check_text,
            snap.text,
            snap.path,
            executable=self.settings.ruff_path,
            timeout=self.settings.tool_timeout,
        )
        if result.parse_error:
            self.report_problem(f"ruff: {result.parse_error}")
            return []
        return ruff_diagnostics(result, snap, self.codec)

    async def _ty(self, snap: Snapshot, ty: TyServer) -> list[types.Diagnostic]:
        try:
            ty.sync(snap.uri, snap.version, snap.text)
            return await ty.diagnostics(snap.uri, snap.lines)
        except TyError as exc:
            # A ty that hangs or dies is switched off until the settings change, so one bad
            # executable costs one message, not one per keystroke.
            self.report_problem(f"{exc}; ty diagnostics are off until the settings change")
            if self.ty is ty:
                self.ty = None
                await ty.stop()
            return []
