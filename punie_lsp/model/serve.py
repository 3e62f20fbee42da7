"""`punie-lsp serve-model`: one model server for a team, on an existing engine (mlx_lm.server).

No engine of our own: mlx_lm.server ships with mlx-lm, a dependency already. It serves the
embedded model with the shipped adapter by default, fused once into a model folder in the
cache (`mlx_lm fuse`, the same fold the in-process host makes at load), so every editor that
points at it gets the adapter's answers with no model name to know: a request that names no
model gets the one the engine was started with (model/remote.py).
"""

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from punie_lsp.cache import cache_dir

DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--model", default=None, help="an mlx-lm model folder (default: embedded)")
    parser.add_argument("--adapter", default=None, help="a LoRA adapter folder, or 'none'")


def served_model(model: str | None, adapter: str | None) -> Path:
    """The model folder the engine serves: the model with the adapter fused into it (made
    once into the cache), or the model itself with no adapter."""
    from punie_lsp.model.embedded import embedded_model_dir
    from punie_lsp.model.host import default_adapter

    base = Path(model).expanduser() if model else embedded_model_dir()
    if adapter is None and model is None and (shipped := default_adapter()) is not None:
        adapter = str(shipped)
    if adapter is None or adapter.lower() == "none":
        return base
    weights = Path(adapter) / "adapters.safetensors"
    key = f"{base.resolve()} {Path(adapter).resolve()} {weights.stat().st_mtime_ns}"
    fused = cache_dir("served") / hashlib.sha256(key.encode()).hexdigest()[:16]
    if not (fused / "config.json").is_file():
        partial = fused.with_name(f"{fused.name}.{os.getpid()}.partial")
        subprocess.run(
            [sys.executable, "-m", "mlx_lm", "fuse", "--model", str(base),
             "--adapter-path", str(adapter), "--save-path", str(partial)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        partial.replace(fused)
    return fused


def engine_command(folder: Path, host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "mlx_lm", "server", "--model", str(folder),
        "--host", host, "--port", str(port),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Print how editors reach it, then become the engine (its signals, its exit)."""
    try:
        folder = served_model(args.model, args.adapter)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"punie-lsp: could not prepare the model: {exc}", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{args.port}/v1"
    print(f"punie-lsp: serving {folder} with mlx_lm.server at {url}", file=sys.stderr)
    print(f'punie-lsp: editors: set "punie.model.path": "{url}"', file=sys.stderr)
    print(f"punie-lsp: terminal: punie-lsp ask QUESTION --model {url}", file=sys.stderr)
    sys.stderr.flush()
    command = engine_command(folder, args.host, args.port)
    from punie_lsp.model.blas import environment

    os.execve(command[0], command, environment())  # with OpenBLAS for the engine's mlx
