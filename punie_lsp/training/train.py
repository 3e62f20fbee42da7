"""LoRA fine-tuning of the embedded model with mlx-lm, then fuse and quantize.

The recipe is one dictionary (RECIPE) written beside the adapter with the exact command, so
an adapter says how it was made. Training shows mlx-lm's progress bar, saves a checkpoint
every `save_every` iterations and appends every train/validation loss report to loss.jsonl
(docs/model.md plots it). Fuse and quantize are mlx-lm's own commands, run as they are.

    uv run punie-lsp data /tmp/cm-data
    uv run punie-lsp train /tmp/cm-data /tmp/adapter [--seed 0] [--iters 100]
    uv run punie-lsp train /tmp/cm-data /tmp/adapter --fuse /tmp/fused --quantize 4 8
"""

import argparse
import contextlib
import functools
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest import mock

RECIPE: dict[str, Any] = {
    "fine_tune_type": "lora",
    "num_layers": 8,
    "lora_parameters": {"rank": 8, "dropout": 0.0, "scale": 20.0},
    "batch_size": 4,
    # About 2.5 passes over `punie-lsp data --count 4000`; 1,000 scored lower. What it costs
    # on a CPU and a GPU: docs/model.md.
    "iters": 2000,
    "learning_rate": 3e-4,
    "mask_prompt": True,  # learn the reply, not the question
    "max_seq_length": 1024,
    "steps_per_report": 10,
    "steps_per_eval": 250,
    # 8 batches of the validation split: a full pass costs ~4 minutes on the 2-core CPU
    "val_batches": 8,
    "test_batches": -1,  # the whole test split, once at the end
    "save_every": 500,
    "seed": 0,
    # The frozen layers' activations computed once per example (training/prefix.py): the
    # same loss and gradients, fewer FLOPs an iteration (docs/model.md measures it).
    "frozen_prefix": True,
}


def loss_log(path: Path) -> Any:
    """mlx-lm's training callback, writing one JSON line per loss report (made here so that
    importing this module for its arguments does not import mlx)."""
    from mlx_lm.tuner.callbacks import TrainingCallback

    from punie_lsp.model import blas

    def write(record: dict[str, Any]) -> None:
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({**record, "time": time.time()}) + "\n")

    class LossLog(TrainingCallback):
        def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
            write({"kind": "train", **train_info})
            # Between steps nothing is being multiplied: the moment to leave OpenBLAS only
            # the cores the user's other work is not using (model/blas.py).
            blas.fit_threads()

        def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
            write({"kind": "valid", **val_info})

    path.write_text("", encoding="utf-8")
    return LossLog()


def train(
    data: Path, out: Path, model: str | None = None, command: str = "", **overrides: Any
) -> dict[str, Any]:
    """Train an adapter into out; return the recipe it was made with (the command that ran
    it, test loss and device included)."""
    from punie_lsp.model import blas

    blas.load()  # before mlx
    from mlx_lm.lora import CONFIG_DEFAULTS, train_model
    from mlx_lm.tuner.datasets import load_dataset
    from mlx_lm.utils import load

    from punie_lsp.model.embedded import embedded_model_dir

    model_path = model or str(embedded_model_dir())
    recipe = {**RECIPE, **{k: v for k, v in overrides.items() if v is not None}}
    out.mkdir(parents=True, exist_ok=True)
    args = argparse.Namespace(
        **{
            **CONFIG_DEFAULTS,
            **recipe,
            "model": model_path,
            "data": str(data),
            "train": True,
            "test": True,
            "adapter_path": str(out),
        }
    )
    loaded, tokenizer, *_ = load(model_path)
    # mlx-lm annotates a transformers tokenizer but passes its own wrapper, as here.
    train_set, valid_set, test_set = load_dataset(args, tokenizer)  # ty: ignore[invalid-argument-type]
    start = time.perf_counter()
    # mlx-lm's own run() drops a callback passed to it, so its two steps are called here.
    with _frozen_prefix(loaded, recipe):
        train_model(args, loaded, train_set, valid_set, loss_log(out / "loss.jsonl"))
    recipe["train_seconds"] = round(time.perf_counter() - start)
    recipe["test_loss"] = _test_loss(args, loaded, test_set)
    _carry_over(data, out, overrides.get("resume_adapter_file"), recipe)
    recipe["base_model"] = Path(model_path).name if model is None else model
    recipe["device"] = _device()
    recipe["command"] = command
    (out / "recipe.json").write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
    return recipe


@contextlib.contextmanager
def _frozen_prefix(model: Any, recipe: dict[str, Any]) -> Generator[None]:
    """mlx-lm's train_model with training/prefix.py's loss and batches where the recipe asks
    for them and the model allows: train_model takes neither, so the trainer it calls is
    given them for the call."""
    from mlx_lm import lora

    from punie_lsp.training import prefix

    if not recipe["frozen_prefix"] or not prefix.supported(model, recipe["num_layers"]):
        recipe["frozen_prefix"] = False
        yield
        return
    cached = prefix.FrozenPrefix(model, recipe["num_layers"])
    ours = functools.partial(lora.train, loss=cached.loss, iterate_batches=cached.iterate_batches)
    with mock.patch.object(lora, "train", ours):
        yield


def _carry_over(data: Path, out: Path, resumed: str | None, recipe: dict[str, Any]) -> None:
    """The data's manifest, the reply vocabulary the host drafts from, and for a resumed
    adapter the stages before: their replies merged in, their recipe kept in this one's."""
    from punie_lsp.model import replies

    if (data / "manifest.json").is_file():  # what `punie-lsp data` made it from
        recipe["data"] = json.loads((data / "manifest.json").read_text("utf-8"))
    known = [data / "replies.json"] if (data / "replies.json").is_file() else []
    if resumed is not None:
        before = Path(resumed).parent
        if (before / "recipe.json").is_file():
            recipe["resumed_from"] = json.loads((before / "recipe.json").read_text("utf-8"))
        if (before / "replies.json").is_file():
            known.insert(0, before / "replies.json")
    if known:
        replies.write(out / "replies.json", replies.merge(*(replies.read(p) for p in known)))


def _device() -> str:
    """What trained the adapter: mlx's device and, for a GPU, its name."""
    import mlx.core as mx

    device = mx.default_device()
    if device.type == mx.gpu:
        name = mx.device_info().get("device_name", "")
        return f"gpu {name}".strip()
    return "cpu"


def _test_loss(args: argparse.Namespace, model: Any, test_set: Any) -> float:
    """The whole test split's loss, as mlx-lm's `--test` computes it (called directly: its
    evaluate_model only prints the figure)."""
    from mlx_lm.tuner.datasets import CacheDataset
    from mlx_lm.tuner.trainer import evaluate

    loss = evaluate(
        model=model,
        dataset=CacheDataset(test_set),
        batch_size=args.batch_size,
        num_batches=args.test_batches,
        max_seq_length=args.max_seq_length,
    )
    print(f"test loss {loss:.3f}")
    return round(float(loss), 3)


def fuse(adapter: Path, out: Path, model: str | None = None) -> Path:
    """The base model with the adapter merged in (mlx-lm fuse), replies.json carried along."""
    from punie_lsp.model.embedded import embedded_model_dir

    base = model or str(embedded_model_dir())
    _mlx_lm("fuse", "--model", base, "--adapter-path", str(adapter), "--save-path", str(out))
    if (adapter / "replies.json").is_file():
        shutil.copy(adapter / "replies.json", out / "replies.json")
    return out


def quantize(fused: Path, out: Path, bits: int, group_size: int = 64) -> Path:
    """A bits-bit copy of a fused model (mlx-lm convert -q)."""
    if out.exists():
        shutil.rmtree(out)  # mlx-lm convert refuses to write into an existing folder
    _mlx_lm(
        "convert",
        "--hf-path",
        str(fused),
        "--mlx-path",
        str(out),
        "-q",
        "--q-bits",
        str(bits),
        "--q-group-size",
        str(group_size),
    )
    if (fused / "replies.json").is_file():
        shutil.copy(fused / "replies.json", out / "replies.json")
    return out


def _mlx_lm(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "mlx_lm", *args], check=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="a folder from `punie-lsp data`")
    parser.add_argument("out", type=Path, help="where the adapter goes")
    parser.add_argument("--model", default=None, help="base model (default: the embedded one)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--iters", type=int, default=None)
    parser.add_argument("--num-layers", type=int, default=None)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="examples per iteration (recipe: 4)"
    )
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument(
        "--plain-loss",
        action="store_true",
        help="run every layer forward on every iteration, as mlx-lm does (to compare)",
    )
    parser.add_argument(
        "--resume", default=None, help="start from this adapters.safetensors (fresh optimizer)"
    )
    parser.add_argument("--fuse", type=Path, default=None, help="also fuse into this folder")
    parser.add_argument(
        "--quantize", type=int, nargs="*", default=[], help="bits: also write FUSE-qBITS"
    )


def run(args: argparse.Namespace) -> int:
    recipe = train(
        args.data,
        args.out,
        args.model,
        "punie-lsp train " + " ".join(sys.argv[2:]),
        seed=args.seed,
        iters=args.iters,
        num_layers=args.num_layers,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        resume_adapter_file=args.resume,
        frozen_prefix=False if args.plain_loss else None,
    )
    print(json.dumps(recipe, indent=2))
    if args.fuse:
        fuse(args.out, args.fuse, args.model)
        for bits in args.quantize:
            quantize(args.fuse, args.fuse.with_name(f"{args.fuse.name}-q{bits}"), bits)
    return 0
