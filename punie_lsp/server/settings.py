"""Every setting the server reads, resolved in one place.

Clients send them as `initializationOptions` and as the `punie` section of
`workspace/configuration`, in camelCase:

    {"sources": {"ruff": true, "ty": true}, "ruffPath": null, "tyPath": null,
     "debounceMs": 150, "toolTimeout": 30}
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

SECTION = "punie"


class _Camel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class Sources(_Camel):
    ruff: bool = True
    ty: bool = True


class Settings(_Camel):
    sources: Sources = Sources()
    ruff_path: str | None = None
    ty_path: str | None = None
    # Long enough to swallow a burst of keystrokes, short enough to feel immediate.
    debounce_ms: int = Field(default=150, ge=0, le=10_000)
    tool_timeout: float = Field(default=30.0, gt=0, le=600)


def resolve(*layers: Any) -> tuple[Settings, list[str]]:
    """Merge layers (later ones win) into Settings; invalid entries are dropped and reported.

    Returns the settings and one human-readable problem per dropped entry.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        if isinstance(layer, dict):
            merged = _deep_merge(merged, layer)
    problems: list[str] = []
    while True:
        try:
            return Settings.model_validate(merged), problems
        except ValidationError as exc:
            error = exc.errors()[0]
            problems.append(f"setting {'.'.join(map(str, error['loc']))}: {error['msg']}")
            key = str(error["loc"][0]) if error["loc"] else ""
            if key not in merged:  # cannot happen with extra="ignore"; never loop forever
                return Settings(), problems
            del merged[key]


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out
