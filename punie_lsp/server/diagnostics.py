"""Diagnostics for open buffers, from `ruff server` and `ty server` run as children.

Push clients get debounced `textDocument/publishDiagnostics` with the document version; a
newer change cancels the computation for an older one, so nothing stale is published. Pull
clients (`textDocument/diagnostic`) get the same diagnostics computed on request.

Model-run findings (source "punie") are shown beside them, once: on an open buffer, what a
live source (ruff, ty) finds is the live diagnostics' to show, on the buffer's current text,
so only the rest (failing tests) is added; and an edit to a buffer drops its findings, which
were found on an older text.

The tools' diagnostics stay the JSON their servers sent (server/raw_json.py); the model's
findings, typed, join them as JSON when published.
"""

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from punie_lsp.server.child_server import ChildServer, ChildServerError
from punie_lsp.server.children import Child, Children
from punie_lsp.server.diagnostic_data import RuffDiagnosticData
from punie_lsp.server.edits import EditLog
from punie_lsp.server.findings import live_covers
from punie_lsp.server.raw_json import RawDiagnostic, lsp_raw
from punie_lsp.server.session import Session
from punie_lsp.tools.lines import split_lines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One version of a buffer, taken when it changed; computations never see a later one."""

    uri: str
    version: int
    text: str
    path: Path

    @classmethod
    def of(cls, doc: TextDocument, root: str | None) -> "Snapshot":
        fs_path = to_fs_path(doc.uri)
        # Unsaved "untitled:" buffers are linted as a file in the workspace root.
        path = Path(fs_path) if fs_path else Path(root or ".") / "untitled.py"
        return cls(doc.uri, doc.version or 0, doc.source, path)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines (tools/lines.py), split on first use: a keystroke's diagnostics
        need them only where a child speaks another position encoding."""
        return split_lines(self.text)


def ruff_data(d: RawDiagnostic, version: int, positions_ok: bool) -> RawDiagnostic:
    """Rewrite `ruff server`'s fix data into ours, which the quick fixes read
    (ruff_actions.py): the buffer version it belongs to, the safe fix's edits and the row
    for `# noqa`."""
    data = d.get("data")
    raw: dict = data if isinstance(data, dict) else {}
    code = str(d["code"]) if d.get("code") is not None else None
    edits = raw.get("edits") or []
    # ruff server only sends the edits of fixes it may apply unasked: safe ones.
    fix = (raw.get("title") or f"Fix {code}", edits) if edits and positions_ok else None
    noqa = raw.get("noqa_edit")
    row = int(noqa["range"]["start"]["line"]) + 1 if isinstance(noqa, dict) else None
    if code in ("invalid-syntax", None):
        d["severity"] = types.DiagnosticSeverity.Error.value
    d["data"] = RuffDiagnosticData.written(version, code, fix, row)
    return d


class DiagnosticsEngine:
    """Owns the per-document computations; knows nothing of the client but two callbacks."""

    def __init__(
        self,
        session: Session,
        children: Children,
        publish: Callable[[str, int | None, list[RawDiagnostic]], None],
        report_problem: Callable[[str], None],
        edits: EditLog,
    ) -> None:
        self.session = session
        self.children = children
        self.edits = edits  # the editor's changes, forwarded to the children as ranges
        self.publish = publish
        self.report_problem = report_problem
        self._pending: dict[str, asyncio.Task[None]] = {}
        # Findings of model-run snippets (source "punie"), shown beside ruff's and ty's.
        self.extra: dict[str, list[types.Diagnostic]] = {}
        self._last: dict[str, tuple[int | None, list[RawDiagnostic]]] = {}

    async def compute(self, snap: Snapshot) -> list[RawDiagnostic]:
        """Every enabled source's diagnostics for this version of the buffer."""
        jobs = []
        sources = self.session.settings.sources
        if sources.ruff and (ruff := self.children.get(Child.RUFF)) is not None:
            jobs.append(self._ruff(snap, ruff))
        if sources.ty and (ty := self.children.get(Child.TY)) is not None:
            jobs.append(self._ty(snap, ty))
        if len(jobs) == 1:  # gather would make it a task, a turn of the loop later
            return await jobs[0]
        found: list[RawDiagnostic] = []
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
        for child in Child:
            if (server := self.children.get(child)) is not None:
                server.close(uri)
        if push:
            self._last.pop(uri, None)
            self.publish(uri, None, lsp_raw(self.findings(uri, live=False)))

    def set_extra(self, extra: dict[str, list[types.Diagnostic]], push: bool) -> None:
        """Replace the model-run findings; push clients get every touched file again."""
        touched = set(self.extra) | set(extra)
        self.extra = extra
        if push:
            for uri in sorted(touched):
                version, found = self._last.get(uri, (None, []))
                live = uri in self._last
                self.publish(uri, version, found + lsp_raw(self.findings(uri, live)))

    def edited(self, uri: str) -> None:
        """A buffer changed: its findings are of an older text."""
        self.extra.pop(uri, None)

    def findings(self, uri: str, live: bool) -> list[types.Diagnostic]:
        """The model-run findings to show for uri; live: beside its live diagnostics."""
        found = self.extra.get(uri, [])
        if not live:
            return list(found)
        sources = self.live_sources()
        return [d for d in found if not live_covers(d, sources)]

    def live_sources(self) -> set[str]:
        """The tools whose live diagnostics are on and running."""
        sources = self.session.settings.sources
        on = {Child.RUFF: sources.ruff, Child.TY: sources.ty}
        return {c.value for c in Child if on[c] and self.children.get(c) is not None}

    def _publish(self, uri: str, version: int | None, found: list[RawDiagnostic]) -> None:
        self._last[uri] = (version, found)
        self.publish(uri, version, found + lsp_raw(self.findings(uri, live=True)))

    async def _publish_later(self, snap: Snapshot) -> None:
        if debounce := self.session.settings.debounce_ms:  # none: not even a turn of the loop
            await asyncio.sleep(debounce / 1000)
        found = await self.compute(snap)
        # A newer change would have cancelled this task; this check guards the gap between
        # the computation finishing and this line running.
        if self._pending.get(snap.uri) is asyncio.current_task():
            del self._pending[snap.uri]
            self._publish(snap.uri, snap.version, found)

    async def _ruff(self, snap: Snapshot, ruff: ChildServer) -> list[RawDiagnostic]:
        found = await self._pull(snap, ruff)
        return [ruff_data(d, snap.version, ruff.same_encoding) for d in found]

    async def _ty(self, snap: Snapshot, ty: ChildServer) -> list[RawDiagnostic]:
        # ty's server also sends hints without a rule code ("`x` is unused"); `ty check`
        # does not report those, and they are not type errors.
        return [d for d in await self._pull(snap, ty) if d.get("code") is not None]

    async def _pull(self, snap: Snapshot, child: ChildServer) -> list[RawDiagnostic]:
        try:
            child.sync(snap.uri, snap.version, snap.text, self.edits)
            return await child.diagnostics(snap.uri, lambda: snap.lines)
        except ChildServerError as exc:
            # A server that hangs or dies is switched off until the settings change, so one
            # bad executable costs one message, not one per keystroke.
            self.report_problem(
                f"{exc}; {child.name} diagnostics are off until the settings change"
            )
            await self.children.switch_off(child)
            return []
