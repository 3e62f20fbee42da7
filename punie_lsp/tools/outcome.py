"""A typed tool never raises: what went wrong becomes its result's `parse_error`.

Two decorators, one for each way a tool fails: `reports_tool_errors` for a run that could not
give an answer (ToolError: missing, crashed, timed out), `reports_unreadable` for output that
does not parse into the result model.
"""

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from punie_lsp.tools.process import ToolError


class Failed(Protocol):
    """A result model that can say it failed."""

    def __init__(self, *, success: bool, parse_error: str | None) -> None: ...


R = TypeVar("R", bound=Failed)

_UNREADABLE = (ValueError, TypeError, KeyError, ValidationError)


def reports_tool_errors(model: type[R]) -> Callable[[Callable[..., R]], Callable[..., R]]:
    def decorate(run: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(run)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            try:
                return run(*args, **kwargs)
            except ToolError as exc:
                return model(success=False, parse_error=str(exc))

        return wrapper

    return decorate


def reports_unreadable(model: type[R], tool: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    def decorate(parse: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(parse)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            try:
                return parse(*args, **kwargs)
            except _UNREADABLE as exc:
                return model(success=False, parse_error=f"unreadable {tool} output: {exc}")

        return wrapper

    return decorate
