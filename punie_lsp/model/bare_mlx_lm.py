"""mlx-lm's package without its `__init__` until something asks for what only it defines.

mlx-lm's `__init__` imports its converter, generator and loader, and with them transformers,
which scans all of its own model folders at import: most of the time `punie-lsp ask` takes
to start (docs/performance.md). The model host needs only `mlx_lm.models`, which imports
nothing of that. So the package is registered unexecuted, and its `__init__` runs on the
first attribute only it defines (`from mlx_lm import load`, `mlx_lm.__version__`): every
use of mlx-lm still works, the host's just does not pay for transformers.
"""

import importlib.util
import os
import sys
import threading

_lock = threading.RLock()  # the __init__ may read its own attributes


def install() -> None:
    """Register mlx-lm unexecuted, unless it is imported already or not installed."""
    with _lock:
        if "mlx_lm" in sys.modules:
            return
        spec = importlib.util.find_spec("mlx_lm")
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return
        loader = spec.loader
        module = importlib.util.module_from_spec(spec)
        executed = False

        def __getattr__(name: str) -> object:
            nonlocal executed
            with _lock:
                if not executed:
                    executed = True
                    try:
                        loader.exec_module(module)
                    except BaseException:
                        executed = False
                        raise
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(f"module 'mlx_lm' has no attribute {name!r}") from None

        module.__getattr__ = __getattr__
        # What the __init__ would have set, for transformers imported by mlx-lm's parts.
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        sys.modules["mlx_lm"] = module


def is_bare() -> bool:
    """Whether mlx-lm's __init__ has not run (yet)."""
    module = sys.modules.get("mlx_lm")
    return module is not None and "load" not in module.__dict__
