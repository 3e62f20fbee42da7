"""A process that only copies bytes between an editor and a tool's server: the floor of what
any process in between costs (bench/diagnostics.py --peer relay). It parses nothing; each
direction is a thread doing os.read and os.write on the raw file descriptors.

    python bench/relay.py ruff server
"""

import os
import subprocess
import sys
import threading


def copy(source: int, target: int) -> None:
    while data := os.read(source, 1 << 20):
        view = memoryview(data)
        while view:
            view = view[os.write(target, view) :]


def main() -> None:
    child = subprocess.Popen(
        sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert child.stdin is not None and child.stdout is not None
    down = threading.Thread(target=copy, args=(child.stdout.fileno(), 1), daemon=True)
    down.start()
    try:
        copy(0, child.stdin.fileno())
    finally:
        child.stdin.close()
        child.wait()


if __name__ == "__main__":
    main()
