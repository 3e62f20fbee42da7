"""The garbage collector, told what lives as long as the server.

CPython's collector starts a pass every so many allocations, and a full pass walks every
object it tracks. The server's long-lived objects (its imports, then the model) are many,
and a keystroke on a big file parses thousands of short-lived ones (the tool's diagnostics,
as JSON): profiled on a 5,000-line file, collections were most of the time spent reading the
child's answer (docs/performance.md). Frozen, the long-lived objects are no longer walked;
with a higher first threshold, one message's objects are freed by their reference counts
before a pass would look at them.
"""

import gc

# Allocations between passes over the youngest objects (CPython's default is 700): above
# what one big message makes, so typing seldom starts a pass.
YOUNG = 50_000


def tune() -> None:
    """At start, once the server's imports are done: they live as long as the server."""
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    gc.freeze()


def settle() -> None:
    """After a model loads: it lives as long as the server, or until the settings name
    another, whose load collects what this one left in cycles before freezing again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
