"""A pytest started ahead of need, run by the project's interpreter as a script.

`python pytest_warm.py FD` (by path: the project's interpreter need not have punie-lsp)
imports pytest and what its plugins import (the plugin modules themselves are forgotten again,
so that pytest imports them under its assertion rewriter as it always does); then it waits
for one line of JSON, takes the resource limits the caller has at that moment, and runs as
`python -m pytest ARGS` would, writing the exit status to the pipe FD once the session (and
its report) is done: the caller need not wait for the interpreter's teardown.

Nothing here imports punie_lsp.
"""

import contextlib
import json
import os
import resource
import runpy
import sys
import types


def preload() -> None:
    import pytest  # noqa: F401 - imported for its cost, now rather than when asked

    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return
    from importlib.metadata import entry_points

    plugins = list(entry_points(group="pytest11"))
    before = set(sys.modules)
    for plugin in plugins:
        with contextlib.suppress(Exception):  # pytest reports it for real when it runs
            plugin.load()
    tops = {plugin.value.split(":")[0].split(".")[0] for plugin in plugins}
    for name in set(sys.modules) - before:
        if name.split(".")[0] in tops:
            del sys.modules[name]


def done_plugin(fd: int) -> list[str]:
    """A plugin that writes the session's exit status to fd once the report is written."""
    import pytest

    @pytest.hookimpl(trylast=True)  # after the junit report is written
    def pytest_sessionfinish(session: object, exitstatus: int) -> None:
        os.write(fd, str(int(exitstatus)).encode())
        os.close(fd)

    plugin = types.ModuleType("punie_done", "PYTEST_DONT_REWRITE")
    setattr(plugin, "pytest_sessionfinish", pytest_sessionfinish)  # noqa: B010
    sys.modules[plugin.__name__] = plugin
    return ["-p", plugin.__name__]


def main() -> None:
    # Run as a script, this folder is first on sys.path, where tools/pytest.py would shadow
    # pytest; the project's folder goes there instead, as with `python -m pytest`.
    sys.path[0] = ""
    with contextlib.suppress(Exception):  # pytest reports it for real when it runs
        preload()
    done = int(sys.argv[1])
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    request = json.loads(line)
    for name, value in request["limits"].items():
        resource.setrlimit(getattr(resource, name), tuple(value))
    sys.argv = ["pytest", *done_plugin(done), *request["args"]]
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
