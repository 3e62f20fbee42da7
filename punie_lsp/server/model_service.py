"""The model's lifecycle in the server: loaded in the background once per distinct model
setting, replaced when the setting changes, its state told to clients that ask for it.

Loading waits until the first diagnostics are out and typing has paused (or an answer needs
the model): the load holds the interpreter in stretches of up to a quarter second (imports,
llguidance's index of the vocabulary), and an editor that just opened a file is waiting for
its diagnostics, then for each edit's (bench/startup.py).
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pygls.lsp.server import LanguageServer

from punie_lsp.agent import sandbox, wall
from punie_lsp.model.generation import Backend
from punie_lsp.model.host import ModelSpec, make_host
from punie_lsp.server import heap
from punie_lsp.server.progress import Progress
from punie_lsp.server.session import Session
from punie_lsp.server.settings import SECTION

log = logging.getLogger(__name__)

# The model's state, for clients that show it (a status bar) and say so in their
# capabilities as `experimental.punieStatus` (the way rust-analyzer offers serverStatus).
STATUS = "punie/status"

# Seconds: how long loading waits for the first diagnostics when no file is opened; the pause
# in typing it waits for; and the most it waits for one in continuous typing.
_WAIT_FOR_DIAGNOSTICS = 3.0
_PAUSE = 1.0
_MOST_WAIT = 20.0


class ModelService:
    def __init__(
        self, ls: LanguageServer, session: Session, report_problem: Callable[[str], None]
    ) -> None:
        self.ls, self.session, self.report_problem = ls, session, report_problem
        self.host: Backend | None = None  # once the settings say which model
        self.log_file: Path | None = None
        self._spec: ModelSpec | None = None
        self._applied = False
        self._load_task: asyncio.Task[None] | None = None
        self._may_load = asyncio.Event()  # the first diagnostics are out
        self._needed = asyncio.Event()  # an answer waits for the model: no more waiting
        self._last_edit = 0.0

    def apply(self) -> None:
        """Load the model the settings name, in the background (once per distinct one)."""
        wanted = self.session.settings.model
        spec = ModelSpec(model=wanted.path, adapter=wanted.adapter) if wanted.enabled else None
        if spec == self._spec and self._applied:
            return
        self._applied = True  # a model off from the start is said to be off, once
        if self.host is not None:
            old = self.host
            threading.Thread(target=old.stop, daemon=True).start()  # never block the loop
        self._spec, self.host = spec, None
        if spec is None:
            self.send_status("off", f"the model is off ({SECTION}.model.enabled)")
            return
        progress = Progress.for_client(self.ls, self.session.capabilities.work_done_progress)
        loop = asyncio.get_running_loop()

        def on_status(message: str) -> None:  # on the model's thread
            progress.report(message)
            loop.call_soon_threadsafe(self.send_status, "loading", message, spec)

        self.send_status("loading", "waiting for the first diagnostics", spec)
        self.host = make_host(spec, on_status=on_status)
        self._load_task = asyncio.create_task(self._load(self.host, progress))

    def may_load(self) -> None:
        """The first diagnostics are out: loading may begin at the next pause in typing."""
        self._may_load.set()

    def edited(self) -> None:
        """A buffer changed: the user is typing."""
        self._last_edit = time.monotonic()

    def needed(self) -> None:
        """An answer waits for the model: load now."""
        self._needed.set()
        self._may_load.set()

    async def _load(self, host: Backend, progress: Progress) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._may_load.wait(), _WAIT_FOR_DIAGNOSTICS)
        deadline = time.monotonic() + _MOST_WAIT
        while not self._needed.is_set() and (now := time.monotonic()) < deadline:
            if (pause := now - self._last_edit) >= _PAUSE:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._needed.wait(), _PAUSE - pause)
        if host is not self.host:  # replaced by a settings change while waiting
            return
        host.start()
        sandbox.prestart(self.session.root)  # the first answer's worker, ready while it loads
        if warning := wall.status().warning():
            self.report_problem(warning)
        await self._announce_load(host, progress)

    def send_status(self, state: str, message: str, spec: ModelSpec | None = None) -> None:
        """Tell a client that asked for it what the model is doing; a model replaced by a
        settings change no longer speaks."""
        if not self.session.capabilities.punie_status or (spec is not None and spec != self._spec):
            return
        log_file = str(self.log_file) if self.log_file else None
        self.ls.protocol.notify(STATUS, {"model": state, "message": message, "logFile": log_file})

    async def _announce_load(self, host: Backend, progress: Progress) -> None:
        await progress.create()
        progress.begin("punie: loading the model", "starting")
        await asyncio.to_thread(host.loaded.wait)
        current = host is self.host  # not replaced by a settings change while loading
        if host.load_error:
            progress.end(host.load_error)
            if current:
                self.send_status("error", host.load_error)
                self.report_problem(host.load_error)
        else:
            ready = f"ready: {host.description} ({host.load_seconds:.1f} s)"
            progress.end(ready)
            heap.settle()  # the model's objects live as long as it does
            if current:
                self.send_status("ready", ready)
            log.info("model loaded in %.1f s: %s", host.load_seconds, host.description)

    async def stop(self) -> None:
        if self.host is not None:
            await asyncio.to_thread(self.host.stop)  # joins the model thread: not on the loop
