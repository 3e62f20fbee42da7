"""What every model backend returns, and how it fails."""

from dataclasses import dataclass


class ModelError(Exception):
    """The model could not be loaded or could not answer."""


class Cancelled(Exception):
    """The caller cancelled the generation."""


@dataclass
class Generation:
    text: str
    prompt_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, taken from the system prompt's cache
    generation_tokens: int = 0
    prompt_seconds: float = 0.0  # until the first generated token
    generation_seconds: float = 0.0
