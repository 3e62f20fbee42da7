"""The training pipeline end to end on the real embedded model, kept tiny: a few LoRA steps,
the loss log and recipe, fuse, quantize, and the fused model answering through the host."""

import json
import shutil
from pathlib import Path

import pytest

from punie_lsp import prompt
from punie_lsp.model import replies
from punie_lsp.model.generation import GenerateRequest
from punie_lsp.training import train
from punie_lsp.training.plot import loss_curves, read_loss


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    call = prompt.tool_call('result = pytest_run("tests")\nprint(result.failed, "failed")')
    examples = [
        {
            "messages": [
                *prompt.messages(f"Which tests fail? ({i})"),
                {"role": "assistant", "content": call},
            ]
        }
        for i in range(4)
    ]
    for name in ("train", "valid", "test"):
        lines = [json.dumps(e) for e in examples]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    replies.write(folder / "replies.json", replies.from_examples(examples))
    return folder


def test_train_fuse_quantize_and_answer(tiny_data: Path, tmp_path: Path) -> None:
    from punie_lsp.model.host import ModelHost, ModelSpec

    adapter = tmp_path / "adapter"
    recipe = train.train(
        tiny_data,
        adapter,
        iters=4,
        batch_size=2,
        val_batches=1,
        test_batches=1,
        steps_per_report=2,
        steps_per_eval=2,
        save_every=2,
        seed=7,
    )
    assert recipe["seed"] == 7 and recipe["num_layers"] == train.RECIPE["num_layers"]
    assert recipe["frozen_prefix"]  # the embedded model has the layout training/prefix.py needs
    assert recipe["test_loss"] > 0
    for name in ("adapters.safetensors", "adapter_config.json", "replies.json", "recipe.json"):
        assert (adapter / name).is_file(), name
    records = read_loss(adapter / "loss.jsonl")
    assert [r["iteration"] for r in records if r["kind"] == "train"] == [2, 4]
    assert {r["kind"] for r in records} == {"train", "valid"}
    assert loss_curves({"tiny": adapter / "loss.jsonl"}, tmp_path / "loss.png").stat().st_size

    fused = train.fuse(adapter, tmp_path / "fused")
    quantized = train.quantize(fused, tmp_path / "fused-q4", 4)
    assert (quantized / "replies.json").is_file()
    config = json.loads((quantized / "config.json").read_text())
    assert config["quantization"]["bits"] == 4

    # A second stage from the first adapter: both stages' replies, the first stage's recipe.
    second_data = tmp_path / "second"
    shutil.copytree(tiny_data, second_data)
    lint = prompt.tool_call('print(ruff_check("src"))')
    replies.write(
        second_data / "replies.json", replies.KnownReplies([lint], [("Lint src/ please.", 0)])
    )
    second = train.train(
        second_data, tmp_path / "second-adapter", iters=2, batch_size=2, val_batches=1,
        test_batches=1, steps_per_report=2, steps_per_eval=2, save_every=2, seed=8,
        resume_adapter_file=str(adapter / "adapters.safetensors"),
    )  # fmt: skip
    assert second["resumed_from"]["seed"] == 7
    both = replies.read(tmp_path / "second-adapter" / "replies.json")
    assert lint in both.replies and set(replies.read(adapter / "replies.json").replies) < set(
        both.replies
    )

    host = ModelHost(ModelSpec(model=str(quantized), adapter="none")).start()
    host.wait_loaded(600)
    assert host.replies  # the fused model's own reply vocabulary is used for drafting
    assert host.recall is not None  # and its questions, to guess whole replies
    reply = host.generate(GenerateRequest(prompt.messages("Which tests fail?"), 8, prompt.STOP))
    host.stop()
    assert reply.generation_tokens > 0


def test_the_cached_prefix_gives_mlx_lm_s_loss_and_gradients() -> None:
    """training/prefix.py: the same loss and LoRA gradients as mlx-lm's default_loss, on the
    real model, for a batch mixing lengths and prompt lengths (head cut from the first
    learned position), and for the same batch again (activations from the cache)."""
    from punie_lsp.model import blas

    blas.load()
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten, tree_map
    from mlx_lm.tuner.trainer import default_loss
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load

    from punie_lsp.model.embedded import embedded_model_dir
    from punie_lsp.training.prefix import FrozenPrefix, supported

    model, tokenizer, *_ = load(str(embedded_model_dir()))
    model.freeze()
    linear_to_lora_layers(model, 4, {"rank": 4, "dropout": 0.0, "scale": 20.0})
    mx.random.seed(3)  # LoRA's B starts at zero, which would make A's gradients zero
    model.update(tree_map(lambda p: mx.random.normal(p.shape) * 0.01, model.trainable_parameters()))
    assert supported(model, 4)
    short = tokenizer.encode("Which tests fail? Run pytest_run on tests/ and print it.")
    long = tokenizer.encode("A longer prompt about ruff_check and typecheck. " * 6)
    rows = [long + short, long[:40] + short]
    width = 1 + 32 * ((max(map(len, rows)) + 31) // 32)
    tokens = mx.array([row + [0] * (width - len(row)) for row in rows])
    lengths = mx.array([[len(long) + 3, len(rows[0])], [42, len(rows[1])]])

    def grads_of(loss, *batch):
        (value, ntoks), grads = nn.value_and_grad(model, loss)(model, *batch)
        return value, ntoks, dict(tree_flatten(grads))

    expected, ntoks, grads = grads_of(default_loss, tokens, lengths)
    prefix = FrozenPrefix(model, 4)
    for _ in range(2):  # computed, then from the cache
        hidden, targets, same = prefix.batch(tokens, lengths)
        assert targets.shape[1] < tokens.shape[1] - 1  # the prompts' head positions cut
        value, count, cached = grads_of(prefix.loss, hidden, targets, same)
        assert count.item() == ntoks.item()
        assert abs(value.item() - expected.item()) < 1e-4 * expected.item()
        assert cached.keys() == grads.keys() and len(grads) == 4 * 7 * 2  # every LoRA A and B
        for name, grad in grads.items():
            scale = float(mx.abs(grad).max())
            assert scale > 0, name
            assert float(mx.abs(cached[name] - grad).max()) < 1e-3 * scale, name
