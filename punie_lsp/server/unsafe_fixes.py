"""ruff's unsafe fixes, offered only once verified (agent/verify.py) to make nothing worse.

ruff marks a fix unsafe when it may change what the code does; its own server never offers
them. Here, once a buffer's diagnostics are out and typing has paused, each unsafe fix ruff
finds in it is applied to a copy of the buffer and checked: ty, ruff and the tests that
exercise the file, before and after, inside the sandbox. A fix that adds no problem and turns
no test worse is offered as a quick fix whose title says what was verified; the rest are not
offered. A newer version of the buffer cancels the checks of the older one.
"""

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from punie_lsp.agent.sandbox import Limits
from punie_lsp.agent.verify import Verification, verify_ruff_fix
from punie_lsp.server.code_actions import ActionContext, edit
from punie_lsp.server.diagnostics import Snapshot
from punie_lsp.server.positions import to_range
from punie_lsp.tools import RuffViolation, ToolError, ruff_check_text

log = logging.getLogger(__name__)

KINDS = [types.CodeActionKind.QuickFix.value]

PAUSE = 1.0  # seconds without a change before the checks start
MOST = 5  # unsafe fixes verified per buffer version


@dataclass(frozen=True)
class VerifiedFix:
    violation: RuffViolation
    after: str  # the buffer with the fix made
    verification: Verification


class UnsafeFixes:
    """The verified unsafe fixes of each open buffer, for its latest version only."""

    def __init__(self, limits: Callable[[], Limits]) -> None:
        self.limits = limits
        self._done: dict[str, tuple[int, list[VerifiedFix]]] = {}
        self._tasks: dict[str, tuple[asyncio.Task[None], threading.Event, int]] = {}

    def schedule(self, snap: Snapshot, root: str, others: Callable[[], Mapping[str, str]]) -> None:
        """Check snap's unsafe fixes after a pause, cancelling the checks of an older version;
        others() gives the other unsaved buffers when the checks begin."""
        if self._done.get(snap.uri, (None, []))[0] == snap.version:
            return  # checked already
        running = self._tasks.get(snap.uri)
        if running is not None and running[2] == snap.version:
            return  # being checked
        self.forget(snap.uri)
        cancel = threading.Event()
        task = asyncio.create_task(self._check_later(snap, root, others, cancel))
        self._tasks[snap.uri] = (task, cancel, snap.version)

    def forget(self, uri: str) -> None:
        self._done.pop(uri, None)
        if (running := self._tasks.pop(uri, None)) is not None:
            running[0].cancel()
            running[1].set()

    def offered(self, snap: Snapshot) -> list[VerifiedFix]:
        version, fixes = self._done.get(snap.uri, (None, []))
        return fixes if version == snap.version else []

    def stop(self) -> None:
        for uri in list(self._tasks):
            self.forget(uri)

    async def _check_later(
        self,
        snap: Snapshot,
        root: str,
        others: Callable[[], Mapping[str, str]],
        cancel: threading.Event,
    ) -> None:
        try:
            await asyncio.sleep(PAUSE)
            # Read on the loop, where the buffers live; verify() puts the fixed text over this
            # buffer's own entry.
            fixes = await asyncio.to_thread(self._check, snap, root, dict(others()), cancel)
        except asyncio.CancelledError:
            cancel.set()
            raise
        if not cancel.is_set():
            self._done[snap.uri] = (snap.version, fixes)
            self._tasks.pop(snap.uri, None)

    def _check(
        self, snap: Snapshot, root: str, others: dict[str, str], cancel: threading.Event
    ) -> list[VerifiedFix]:
        try:
            found = ruff_check_text(snap.text, snap.path)
        except ToolError as exc:
            log.warning("unsafe fixes not checked: %s", exc)
            return []
        candidates = [
            v for v in found.violations if v.fix is not None and v.fix.applicability == "unsafe"
        ]
        verified = []
        for violation in candidates[:MOST]:
            if cancel.is_set():
                break
            after, result = verify_ruff_fix(
                Path(root), snap.path, snap.text, violation,
                others=others, limits=self.limits(), cancel=cancel,
            )  # fmt: skip
            log.info("unsafe fix %s verified: %s", violation.code, result.summary())
            if result.fixes:
                verified.append(VerifiedFix(violation, after, result))
        return verified


def actions(context: ActionContext) -> list[types.CodeAction]:
    if not context.wants(types.CodeActionKind.QuickFix.value):
        return []
    snap, codec = context.snap, context.session.codec
    out = []
    for fix in context.verified_fixes:
        v = fix.violation
        where = to_range(codec, snap.lines, v.line, v.column, v.end_line, v.end_column)
        if not _overlaps(where, context.range):
            continue
        assert v.fix is not None
        edits = [
            types.TextEdit(
                range=to_range(codec, snap.lines, e.line, e.column, e.end_line, e.end_column),
                new_text=e.content,
            )
            for e in v.fix.edits
        ]
        title = f"Punie: apply unsafe fix {v.code}: {v.fix.message or v.message}"
        out.append(
            types.CodeAction(
                title=f"{title} (verified: {fix.verification.summary()})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d for d in context.diagnostics if d.code == v.code],
                edit=edit(snap, edits, context.session.capabilities.versioned_edits),
            )
        )
    return out


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
