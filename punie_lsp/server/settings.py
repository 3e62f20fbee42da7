"""Every setting the server reads, resolved in one place.

Clients send them as `initializationOptions` and as the `punie` section of
`workspace/configuration`, in camelCase:

    {"sources": {"ruff": true, "ty": true}, "ruffPath": null, "tyPath": null,
     "debounceMs": 150, "toolTimeout": 30, "verifyUnsafeFixes": true,
     "model": {"enabled": true, "path": null, "adapter": null, "finalAnswer": false,
               "maxTokens": 256, "snippetTimeout": 60}}
"""

import copy
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


class ModelSettings(_Camel):
    enabled: bool = True  # load the model at startup (in the background)
    path: str | None = None  # an mlx-lm folder or Hugging Face id; None: the embedded model
    adapter: str | None = None  # a LoRA adapter folder; "none" to use none
    final_answer: bool = False  # let the model sum up the snippet's output
    max_tokens: int = Field(default=256, ge=16, le=4096)
    snippet_timeout: float = Field(default=60.0, gt=0, le=600)


class Settings(_Camel):
    sources: Sources = Sources()
    model: ModelSettings = ModelSettings()
    ruff_path: str | None = None
    ty_path: str | None = None
    # Long enough to swallow a burst of keystrokes, short enough to feel immediate.
    debounce_ms: int = Field(default=150, ge=0, le=10_000)
    tool_timeout: float = Field(default=30.0, gt=0, le=600)
    # Offer ruff's unsafe fixes once ty, ruff and the file's tests show they make nothing
    # worse (server/unsafe_fixes.py); the checks run in the background after typing pauses.
    verify_unsafe_fixes: bool = True


def resolve(*layers: Any) -> tuple[Settings, list[str]]:
    """Merge layers (later ones win) into Settings; invalid entries are dropped and reported.

    Returns the settings and one human-readable problem per dropped entry.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        if isinstance(layer, dict):
            merged = _deep_merge(merged, layer)
    merged = copy.deepcopy(merged)  # entries are dropped below; the layers stay as sent
    problems: list[str] = []
    while True:
        try:
            return Settings.model_validate(merged), problems
        except ValidationError as exc:
            error = exc.errors()[0]
            problems.append(f"setting {'.'.join(map(str, error['loc']))}: {error['msg']}")
            if not _drop(merged, [str(part) for part in error["loc"]]):
                return Settings(), problems  # cannot happen with extra="ignore"; never loop


def _drop(tree: dict[str, Any], path: list[str]) -> bool:
    """Delete the entry at path (only it: its siblings keep their values)."""
    node: Any = tree
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and path and path[-1] in node:
        del node[path[-1]]
        return True
    return False


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out
