"""The frozen layers' activations, computed once per example instead of once per iteration.

LoRA trains only the last `num_layers` layers; every layer below them is frozen, so what
they make of an example is the same in every epoch. mlx-lm's trainer runs them forward on
every iteration anyway. Here they run once per distinct example, the result is kept, and
each iteration runs only the trained layers and the output head, the head only from the
first position whose token is learned (the prompt's logits are masked out of the loss).
The loss and its gradients are mlx-lm's `default_loss`'s (tests/test_training.py compares
them); mlx-lm's trainer, its batching and its progress display are used as they are, through
their `loss` and `iterate_batches` arguments.
"""

from collections.abc import Iterator
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import numpy as np
from mlx_lm.models.base import create_attention_mask
from mlx_lm.tuner.trainer import iterate_batches

# The head's start is rounded down to this, so that few shapes reach the compiled step.
ALIGN = 32


def supported(model: Any, num_layers: int) -> bool:
    """Whether the model has the plain decoder layout this relies on: an embedding, one list
    of full-attention layers and a final norm (SmolLM2 and the other llama-style models)."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    return (
        isinstance(layers, list)
        and 0 < num_layers < len(layers)
        and hasattr(inner, "embed_tokens")
        and hasattr(inner, "norm")
        and not any(getattr(layer, "use_sliding", False) for layer in layers)
    )


class FrozenPrefix:
    def __init__(self, model: Any, num_layers: int) -> None:
        self.model = model
        self.split = len(model.model.layers) - num_layers
        self._hidden: dict[bytes, mx.array] = {}  # an example's tokens -> its activations

    def _run(self, layers: list[Any], h: mx.array) -> mx.array:
        mask = create_attention_mask(h, None)
        for layer in layers:
            h = layer(h, mask, cache=None)
        return h

    def _compute(self, rows: list[np.ndarray]) -> None:
        """The frozen layers' output for these examples, padded into one batch."""
        longest = max(row.size for row in rows)
        padded = mx.array(np.stack([np.pad(row, (0, longest - row.size)) for row in rows]))
        inner = self.model.model
        h = mx.stop_gradient(self._run(inner.layers[: self.split], inner.embed_tokens(padded)))
        # Causal attention: a row's own positions never see the padding after them.
        found = [h[i, : row.size] for i, row in enumerate(rows)]
        mx.eval(found)
        for row, hidden in zip(rows, found, strict=True):
            self._hidden[row.tobytes()] = hidden

    def batch(self, tokens: mx.array, lengths: mx.array) -> tuple[mx.array, mx.array, mx.array]:
        """mlx-lm's batch (tokens, (offset, length) rows) as (activations, targets, lengths):
        the activations of its inputs, the targets from the first position learned on."""
        width = tokens.shape[1] - 1  # the inputs: every token but the last
        array, spans = np.array(tokens), np.array(lengths)
        rows = [array[i, :length] for i, length in enumerate(spans[:, 1].tolist())]
        missing = [row for row in rows if row.tobytes() not in self._hidden]
        if missing:
            self._compute(missing)
        hidden = []
        for row in rows:
            h = self._hidden[row.tobytes()][:width]
            hidden.append(mx.pad(h, [(0, width - h.shape[0]), (0, 0)]))
        first = max(int(spans[:, 0].min()) - 1, 0)
        start = min(first // ALIGN * ALIGN, width - 1)
        return mx.stack(hidden), tokens[:, 1:][:, start:], lengths

    def iterate_batches(self, *args: Any, **kwargs: Any) -> Iterator[tuple[mx.array, ...]]:
        """mlx-lm's iterate_batches (the same batches in the same order), each made into
        `batch`'s three arrays."""
        for tokens, lengths in iterate_batches(*args, **kwargs):
            yield self.batch(tokens, lengths)

    def loss(
        self, model: Any, hidden: mx.array, targets: mx.array, lengths: mx.array
    ) -> tuple[mx.array, mx.array]:
        """mlx-lm's default_loss, run from the frozen layers' output."""
        h = self._run(model.model.layers[self.split :], hidden)
        width = h.shape[1]
        start = width - targets.shape[1]
        h = model.model.norm(h[:, start:])
        head = getattr(model, "lm_head", None)  # absent where the embedding is tied to it
        logits = head(h) if head is not None else model.model.embed_tokens.as_linear(h)
        steps = mx.arange(start + 1, width + 1)
        mask = mx.logical_and(steps >= lengths[:, 0:1], steps <= lengths[:, 1:])
        ce = nn.losses.cross_entropy(logits, targets) * mask
        ntoks = mask.sum()
        return ce.astype(mx.float32).sum() / ntoks, ntoks
