"""Work-done progress for long work (loading the model, an answer), thread-safe."""

import asyncio
import logging
import uuid
from collections.abc import Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class Progress:
    """Work-done progress for one answer, thread-safe (reports come from worker threads)."""

    def __init__(
        self, ls: LanguageServer, token: types.ProgressToken | None, created: bool = False
    ) -> None:
        self.ls, self.token = ls, token
        self.created = created  # the client made the token: do not ask it to create one
        self.loop = asyncio.get_running_loop()
        self.text = ""
        self.begun = False  # reports before begin (or after end) would confuse the client

    @classmethod
    def for_client(
        cls, ls: LanguageServer, supported: bool, token: types.ProgressToken | None = None
    ) -> "Progress":
        """Progress on the client's own token, else on a fresh one when the client shows
        work-done progress."""
        if token is not None:
            return cls(ls, token, created=True)
        return cls(ls, new_token() if supported else None)

    async def create(self) -> None:
        """Register the token with the client; a client that refuses gets none (the work goes
        on without progress rather than not at all)."""
        if self.token is None or self.created:
            return
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except Exception as exc:
            log.info("no progress for this work: %s", exc)
            self.token = None

    def begin(self, title: str, message: str) -> None:
        if self.token is not None:
            self.begun = True
            self.ls.work_done_progress.begin(
                self.token,
                types.WorkDoneProgressBegin(title=title, message=message, cancellable=True),
            )

    def report(self, message: str) -> None:
        self.loop.call_soon_threadsafe(self._report, message)

    def _report(self, message: str) -> None:
        if self.token is not None and self.begun:
            report = types.WorkDoneProgressReport(message=message)
            self.ls.work_done_progress.report(self.token, report)

    def stream(self, piece: str) -> None:
        self.text += piece
        self.report(self.text[-200:])  # editors show one line; keep the newest part

    def end(self, message: str) -> None:
        if self.token is not None:
            self.loop.call_soon_threadsafe(
                self.ls.work_done_progress.end,
                self.token,
                types.WorkDoneProgressEnd(message=message),
            )

    def on_cancel(self, callback: Callable[[], None]) -> None:
        if self.token is not None and (future := self.ls.work_done_progress.tokens.get(self.token)):
            future.add_done_callback(lambda f: callback() if f.cancelled() else None)


def new_token() -> str:
    return f"punie-{uuid.uuid4().hex[:12]}"
