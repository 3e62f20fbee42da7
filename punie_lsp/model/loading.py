"""Loading a model folder (and a LoRA adapter) for the host thread.

A plain folder is loaded with mlx-lm's model classes, the `tokenizers` library and jinja2,
which leaves transformers unimported (model/bare_mlx_lm.py says why that matters). Plain
means: an architecture known to load the same way here as in mlx-lm (`PLAIN_TYPES`),
unquantized safetensors weights, a `tokenizer.json` with a Jinja chat template, and a LoRA
adapter or none. Anything else goes through mlx-lm's own `load`. Either way the adapter is
fused into the weights it adapts.
"""

import importlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Architectures whose mlx-lm module is the model type's own name (mlx-lm remaps some types
# to another module; tests/test_loading.py checks these against its mapping).
PLAIN_TYPES = frozenset({"llama", "qwen2", "qwen3"})


class NotPlain(Exception):
    """The folder needs mlx-lm's own load; the message says why."""


@dataclass(frozen=True)
class Folder:
    """What a plain load reads, checked before anything is loaded."""

    path: Path
    weights: tuple[Path, ...]  # the model*.safetensors files
    config: dict[str, Any]
    tokenizer_config: dict[str, Any]
    chat_template: str
    adapter: Path | None
    adapter_config: dict[str, Any] | None


def load(path: str, adapter: str | None) -> tuple[Any, Any]:
    """The model, its adapter fused, and its tokenizer."""
    try:
        folder = plain_folder(Path(path), Path(adapter) if adapter else None)
        tokenizer = PlainTokenizer(folder)
    except NotPlain as reason:
        log.info("loading %s with mlx-lm: %s", path, reason)
        return _load_with_mlx_lm(path, adapter)
    return load_plain(folder), tokenizer


def plain_folder(path: Path, adapter: Path | None) -> Folder:
    """The folder's parts, or NotPlain."""
    config = _json(path / "config.json")
    if config.get("model_type") not in PLAIN_TYPES:
        raise NotPlain(f"model type {config.get('model_type')!r}")
    if {"quantization", "quantization_config", "model_file"} & config.keys():
        raise NotPlain("quantized or custom weights")
    weights = tuple(sorted(path.glob("model*.safetensors")))
    if not weights or not (path / "tokenizer.json").is_file():
        raise NotPlain("no safetensors weights or no tokenizer.json")
    tokenizer_config = _json(path / "tokenizer_config.json")
    template = tokenizer_config.get("chat_template")
    if (path / "chat_template.jinja").is_file():
        template = (path / "chat_template.jinja").read_text(encoding="utf-8")
    if not isinstance(template, str):
        raise NotPlain("no single chat template")
    adapter_config = None
    if adapter is not None:
        adapter_config = _json(adapter / "adapter_config.json")
        if adapter_config.get("fine_tune_type", "lora") != "lora":
            raise NotPlain(f"a {adapter_config.get('fine_tune_type')} adapter")
        if not (adapter / "adapters.safetensors").is_file():
            raise NotPlain("no adapters.safetensors")
    return Folder(path, weights, config, tokenizer_config, template, adapter, adapter_config)


def load_plain(folder: Folder) -> Any:
    """The model of a plain folder, its adapter fused."""
    import mlx.core as mx

    arch = importlib.import_module(f"mlx_lm.models.{folder.config['model_type']}")
    model = arch.Model(arch.ModelArgs.from_dict(folder.config))
    weights: dict[str, Any] = {}
    for file in folder.weights:
        weights.update(_tensors(file))
    if hasattr(model, "sanitize"):
        weights = model.sanitize(weights)
    model.eval()
    model.load_weights(list(weights.items()), strict=True)
    if folder.adapter is not None and folder.adapter_config is not None:
        _apply_lora(model, folder.adapter, folder.adapter_config)
    mx.eval(model.parameters())
    return model


def _apply_lora(model: Any, adapter: Path, config: dict[str, Any]) -> None:
    """Each adapted weight replaced by W + scale * B^T A^T, which is what mlx-lm's LoRA layer
    computes and its `fuse` writes (mlx-lm's tuner package imports transformers)."""
    import mlx.nn as nn

    weights = _tensors(adapter / "adapters.safetensors")
    scale = float(config.get("lora_parameters", {}).get("scale", 20.0))
    modules = dict(model.named_modules())
    fused = []
    for target in sorted({name.rsplit(".", 1)[0] for name in weights}):
        linear, a, b = (
            modules.get(target),
            weights.get(f"{target}.lora_a"),
            weights.get(f"{target}.lora_b"),
        )
        if not isinstance(linear, nn.Linear) or a is None or b is None:
            raise ValueError(f"the adapter at {adapter} has {target}, not a LoRA linear layer")
        weight = linear.weight
        rows, columns = weight.shape
        if a.shape != (columns, a.shape[1]) or b.shape != (a.shape[1], rows):
            raise ValueError(f"the adapter at {adapter} does not fit this model at {target}")
        fused.append((f"{target}.weight", weight + ((scale * b.T) @ a.T).astype(weight.dtype)))
    if len(fused) * 2 != len(weights):
        raise ValueError(f"the adapter at {adapter} holds more than LoRA layers")
    model.load_weights(fused, strict=False)


def _load_with_mlx_lm(path: str, adapter: str | None) -> tuple[Any, Any]:
    from mlx_lm import load as mlx_lm_load

    model, tokenizer, *_ = mlx_lm_load(path, adapter_path=adapter)
    if adapter is not None:
        _fuse_adapter(model)
    return model, tokenizer


def _fuse_adapter(model: Any) -> None:
    """Fold the LoRA adapter into the weights it adapts, as `mlx_lm.fuse` does: the same
    model, with less work per pass (no separate low-rank products). Quantized weights
    (nn.QuantizedLinear is no nn.Linear) stay apart: re-quantizing a fused weight would
    change the model."""
    import mlx.nn as nn
    from mlx.utils import tree_unflatten

    fused = [
        (name, module.fuse())
        for name, module in model.named_modules()
        if hasattr(module, "fuse") and isinstance(getattr(module, "linear", None), nn.Linear)
    ]
    if fused:
        model.update_modules(tree_unflatten(fused))


def _tensors(file: Path) -> dict[str, Any]:
    import mlx.core as mx

    tensors = mx.load(str(file))
    if not isinstance(tensors, dict):
        raise ValueError(f"{file} holds no named tensors")
    return tensors


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotPlain(f"{path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise NotPlain(f"{path.name} is not a JSON object")
    return data


def _token_text(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or {"content": ...}."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class PlainTokenizer:
    """What the host asks of a tokenizer, from `tokenizers` and jinja2: the same encoding,
    decoding and chat template as transformers' fast tokenizer on the same files
    (tests/test_loading.py compares them)."""

    def __init__(self, folder: Folder) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder.path / "tokenizer.json"))
        names = ("bos_token", "eos_token", "unk_token", "pad_token")
        self.special_tokens = {
            n: t for n in names if (t := _token_text(folder.tokenizer_config.get(n)))
        }
        self.bos_token = self.special_tokens.get("bos_token")
        self.eos_token_ids = _eos_ids(self._tokenizer, folder.config, self.special_tokens)
        self._template = _compile(folder.chat_template)
        self.detokenizer = Detokenizer(self)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=False)

    def apply_chat_template(
        self,
        messages: list[dict[str, str]],
        add_generation_prompt: bool = False,
        tokenize: bool = False,
        **kwargs: Any,
    ) -> str | list[int]:
        text = self._template.render(
            messages=messages,
            tools=None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **{**self.special_tokens, **kwargs},
        )
        return self.encode(text, add_special_tokens=False) if tokenize else text


def _eos_ids(tokenizer: Any, config: dict[str, Any], special: dict[str, str]) -> list[int]:
    """The model's end tokens, as mlx-lm counts them: config.json's and the tokenizer's."""
    found = config.get("eos_token_id")
    ids = set(found if isinstance(found, list) else [] if found is None else [found])
    eos = special.get("eos_token")
    if eos is not None and (i := tokenizer.token_to_id(eos)) is not None:
        ids.add(i)
    return sorted(int(i) for i in ids)


def _compile(template: str) -> Any:
    """The chat template in the sandboxed environment transformers renders it in (the
    `{% generation %}` extension, for training masks, aside: such a template is NotPlain)."""
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, **options: Any) -> str:
        # transformers' own: jinja's escapes HTML, and chat templates pass indent and the like
        return json.dumps(x, ensure_ascii=ensure_ascii, **options)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]
    )
    env.filters["tojson"] = tojson
    helpers: dict[str, Any] = {
        "raise_exception": raise_exception,
        "strftime_now": lambda fmt: datetime.now().strftime(fmt),
    }
    env.globals.update(helpers)
    try:
        return env.from_string(template)
    except jinja2.exceptions.TemplateSyntaxError as exc:
        raise NotPlain(f"chat template: {exc}") from None


class Detokenizer:
    """The streaming text of the tokens added since `reset`, as mlx-lm's naive detokenizer
    gives it: decoded whole again each time (replies are short), holding back an incomplete
    UTF-8 character until its last byte arrives."""

    def __init__(self, tokenizer: PlainTokenizer) -> None:
        self._tokenizer = tokenizer
        self.reset()

    def reset(self) -> None:
        self.tokens: list[int] = []
        self._given = 0
        self._final = False

    def add_token(self, token: int) -> None:
        self.tokens.append(token)

    def finalize(self) -> None:
        self._final = True

    @property
    def text(self) -> str:
        text = self._tokenizer.decode(self.tokens)
        return text if self._final else text.rstrip("\ufffd")

    @property
    def last_segment(self) -> str:
        text = self.text
        segment, self._given = text[self._given :], max(self._given, len(text))
        return segment
