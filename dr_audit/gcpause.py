"""Bulk work that builds many objects and frees almost none runs with Python's cyclic garbage collector paused:
each collection would only walk again everything made so far, which grows a large run's cost faster than its size."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block. With `freeze`, what exists when the block ends is set aside for the
    rest of the process (`gc.freeze`) before collection resumes, so no later collection walks it again: for what
    lives as long as the run, such as a loaded estate and its findings. The CLI gives it back when a command ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()
