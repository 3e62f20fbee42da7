"""The tools' own language servers (`ruff server`, `ty server`), run as our children.

One object owns them, keyed by an enum: started, restarted or stopped as the settings say,
and switched off (until the settings change) when one fails.
"""

import asyncio
import logging
from collections.abc import Callable
from enum import Enum

from lsprotocol import types

from punie_lsp.server.child_server import ChildServer, ChildServerError
from punie_lsp.server.settings import SECTION, Settings
from punie_lsp.tools import ToolError
from punie_lsp.tools.process import find_executable

log = logging.getLogger(__name__)


class Child(Enum):
    RUFF = "ruff"
    TY = "ty"

    def wanted(self, settings: Settings) -> tuple[bool, str | None]:
        """Whether settings turn this server on, and the executable they name for it."""
        if self is Child.RUFF:
            return settings.sources.ruff, settings.ruff_path
        return settings.sources.ty, settings.ty_path


class Children:
    def __init__(self, report_problem: Callable[[str], None]) -> None:
        self.report_problem = report_problem
        self._running: dict[Child, ChildServer] = {}

    def get(self, child: Child) -> ChildServer | None:
        return self._running.get(child)

    async def apply(
        self,
        settings: Settings,
        old: Settings,
        root_uri: str | None,
        encoding: str,
        editor: types.ClientCapabilities | None = None,
    ) -> None:
        """(Re)start or stop each server as the settings say; one that failed earlier is
        tried again on every settings change."""

        async def one(child: Child) -> None:
            wanted, path = child.wanted(settings)
            if (wanted, path) != child.wanted(old):
                await self.stop(child)
            if wanted and child not in self._running:
                server = await self._start(child, path, root_uri, encoding, settings, editor)
                if server is not None:
                    self._running[child] = server

        await asyncio.gather(*(one(child) for child in Child))

    async def _start(
        self,
        child: Child,
        path: str | None,
        root_uri: str | None,
        encoding: str,
        settings: Settings,
        editor: types.ClientCapabilities | None,
    ) -> ChildServer | None:
        name = child.value
        try:
            server = ChildServer(
                name, find_executable(name, path), root_uri, encoding, settings.tool_timeout,
                editor,
            )  # fmt: skip
            await server.start()
            return server
        except (ToolError, ChildServerError) as exc:
            self.report_problem(f"{exc}; {name} diagnostics are off (set {SECTION}.{name}Path)")
            return None

    async def stop(self, child: Child) -> None:
        server = self._running.pop(child, None)
        if server is not None:
            await server.stop()

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(child) for child in Child))

    async def switch_off(self, server: ChildServer) -> None:
        """A server that hung or died: off until the settings change."""
        for child, running in list(self._running.items()):
            if running is server:
                del self._running[child]
        await server.stop()
