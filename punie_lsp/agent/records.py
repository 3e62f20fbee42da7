"""Tool results as a snippet sees them: frozen records of plain values, not pydantic models.

A pydantic model's public API reaches the interpreter without a single underscore (its
deserialising class methods, mutable `model_fields` plus `model_rebuild`, `model_validate`
with `from_attributes`). A snippet therefore gets a Record instead: one slot per documented
field, read-only, no public method at all, and values that are themselves plain (str, int,
float, bool, None, lists, and records). Its repr and str are pydantic's, so what a snippet
prints is what it printed before (tests/test_records.py runs every training snippet both ways).
"""

import functools
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

_PLAIN = (str, int, float, bool, type(None))


class Record:
    """A tool result's fields, read-only. Subclassed once per result model (record_type)."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # as a pydantic model iterates
        return ((name, getattr(self, name)) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and list(self) == list(other)  # type: ignore[call-overload]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._fields(', ')})"

    def __str__(self) -> str:
        return self._fields(" ")

    def _fields(self, sep: str) -> str:
        return sep.join(f"{name}={value!r}" for name, value in self)


@functools.cache
def record_type(model: type[BaseModel]) -> type[Record]:
    """The record class standing for a result model: same name, same fields, same order."""
    return type(model.__name__, (Record,), {"__slots__": tuple(model.model_fields)})


def to_record(value: Any) -> Any:
    """value with every model turned into a record and every container into a plain one;
    anything that is not plain data is refused, so nothing else can reach a snippet."""
    if isinstance(value, BaseModel):
        kind = record_type(type(value))
        return kind(**{name: to_record(getattr(value, name)) for name in kind.__slots__})
    kind = type(value)  # exactly, not a subclass: a subclass brings its own methods
    if kind is list or kind is tuple:
        return kind(to_record(item) for item in value)
    if kind is dict:
        return {to_record(k): to_record(v) for k, v in value.items()}
    if kind in _PLAIN:
        return value
    return _refuse(value)


def _refuse(value: Any) -> Any:
    raise TypeError(f"a tool result held a {type(value).__name__}, which is not plain data")
