"""The host's own load (model/loading.py) against mlx-lm's: the same tokens, the same chat
text, the same model; and mlx-lm's package left unexecuted until asked (model/bare_mlx_lm.py)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlx.core as mx
import pytest

from punie_lsp import prompt
from punie_lsp.model.embedded import embedded_model_dir
from punie_lsp.model.host import default_adapter
from punie_lsp.model.loading import (
    PLAIN_TYPES,
    NotPlain,
    PlainTokenizer,
    load,
    load_plain,
    plain_folder,
)

TEXTS = [
    "Which tests fail in tests/?",
    'result = ruff_check("src/")\nfor v in result.violations:\n    print(v.code, v.line)',
    "<|im_start|>user\nnaïve café ✓ 😀 — 日本語<|im_end|>\n",
    "",
    "  leading and trailing spaces ,  ",
]


@pytest.fixture(scope="module")
def folder() -> Path:
    return embedded_model_dir()


@pytest.fixture(scope="module")
def theirs(folder: Path) -> tuple[Any, Any]:
    from mlx_lm import load as mlx_lm_load

    model, tokenizer, *_ = mlx_lm_load(str(folder), adapter_path=str(default_adapter()))
    return model, tokenizer


@pytest.fixture(scope="module")
def ours(folder: Path) -> PlainTokenizer:
    return PlainTokenizer(plain_folder(folder, default_adapter()))


def test_plain_types_load_the_module_mlx_lm_would() -> None:
    from mlx_lm.utils import _get_classes

    for model_type in PLAIN_TYPES:
        model, _ = _get_classes({"model_type": model_type})
        assert model.__module__ == f"mlx_lm.models.{model_type}"


def test_the_tokenizer_encodes_as_transformers_does(ours: PlainTokenizer, theirs: Any) -> None:
    tokenizer = theirs[1]
    for text in TEXTS:
        for special in (True, False):
            assert ours.encode(text, special) == tokenizer.encode(text, add_special_tokens=special)
    assert ours.bos_token == tokenizer.bos_token
    assert sorted(ours.eos_token_ids) == sorted(tokenizer.eos_token_ids)


def test_the_chat_template_renders_as_transformers_does(ours: PlainTokenizer, theirs: Any) -> None:
    tokenizer = theirs[1]
    conversations = [
        prompt.messages("Which tests fail in tests/?"),
        prompt.messages("Is café ok?", 'print(read_file("a.py").text)', "a = 1\n"),
        [{"role": "user", "content": "no system turn"}],
    ]
    for turns in conversations:
        assert prompt.render(ours, turns) == prompt.render(tokenizer, turns)
    assert prompt.system_prefix(ours) == prompt.system_prefix(tokenizer)


def test_streamed_text_is_the_decoded_text(ours: PlainTokenizer, theirs: Any) -> None:
    tokenizer = theirs[1]
    for text in TEXTS:
        ids = ours.encode(text, add_special_tokens=False)
        stream, pieces = ours.detokenizer, []
        stream.reset()
        for token in ids:
            stream.add_token(token)
            pieces.append(stream.last_segment)
            assert "\ufffd" not in pieces[-1]  # half a character is held back
        stream.finalize()
        pieces.append(stream.last_segment)
        assert "".join(pieces) == tokenizer.decode(ids) == ours.decode(ids)


def test_the_model_and_its_fused_adapter_are_mlx_lms(folder: Path, theirs: Any) -> None:
    """Plain-loaded and fused here against mlx-lm's load with the adapter's LoRA layers."""
    model = load_plain(plain_folder(folder, default_adapter()))
    tokens = mx.array(theirs[1].encode(prompt.render(theirs[1], prompt.messages("Hi?"))))[None]
    ours, mlx_lms = model(tokens), theirs[0](tokens)
    assert ours.shape == mlx_lms.shape
    assert mx.allclose(ours, mlx_lms, atol=1e-3).item()
    assert mx.array_equal(ours.argmax(-1), mlx_lms.argmax(-1)).item()


def _copy(folder: Path, to: Path, **config: Any) -> Path:
    to.mkdir()
    for file in folder.iterdir():
        (to / file.name).symlink_to(file)
    (to / "config.json").unlink()
    (to / "config.json").write_text(
        json.dumps({**json.loads((folder / "config.json").read_text()), **config})
    )
    return to


def test_what_is_not_plain_goes_to_mlx_lm(folder: Path, tmp_path: Path) -> None:
    """mistral is a model type mlx-lm maps to its llama module: the plain load does not know
    that, so mlx-lm loads it, and the answer is the same model."""
    remapped = _copy(folder, tmp_path / "remapped", model_type="mistral")
    with pytest.raises(NotPlain, match="mistral"):
        plain_folder(remapped, None)
    model, tokenizer = load(str(remapped), None)
    assert type(tokenizer).__name__ == "TokenizerWrapper"  # mlx-lm's
    assert type(model).__module__ == "mlx_lm.models.llama"
    quantized = _copy(folder, tmp_path / "quantized", quantization={"bits": 4, "group_size": 64})
    with pytest.raises(NotPlain, match="quantized"):
        plain_folder(quantized, None)
    training = _copy(folder, tmp_path / "masks")
    (training / "chat_template.jinja").write_text(
        "{% generation %}{{ messages }}{% endgeneration %}"
    )
    with pytest.raises(NotPlain, match="chat template"):
        PlainTokenizer(plain_folder(training, None))


def test_an_adapter_that_does_not_fit_is_a_clear_error(folder: Path, tmp_path: Path) -> None:
    shipped = default_adapter()
    assert shipped is not None
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").symlink_to(shipped / "adapter_config.json")
    weights = dict(mx.load(str(shipped / "adapters.safetensors")))  # ty: ignore[no-matching-overload]
    name = next(n for n in weights if n.endswith("lora_a"))
    weights[name] = mx.zeros((3, 8))
    mx.save_safetensors(str(adapter / "adapters.safetensors"), weights)
    with pytest.raises(ValueError, match="does not fit this model"):
        load_plain(plain_folder(folder, adapter))


def test_mlx_lm_is_imported_without_transformers_until_asked() -> None:
    script = """
import sys
import punie_lsp.model
from mlx_lm.models.cache import make_prompt_cache
import mlx_lm.models.llama
from punie_lsp.model.bare_mlx_lm import is_bare
assert is_bare() and "transformers" not in sys.modules, sorted(sys.modules)
from mlx_lm import load, generate
import mlx_lm
assert callable(load) and callable(generate) and mlx_lm.__version__ and not is_bare()
assert "transformers" in sys.modules
try:
    mlx_lm.no_such_thing
except AttributeError as exc:
    assert "no_such_thing" in str(exc)
else:
    raise AssertionError("no AttributeError")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
