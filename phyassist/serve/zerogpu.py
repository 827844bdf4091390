"""ZeroGPU: on a ZeroGPU Space the model call runs under ``spaces.GPU``; elsewhere as it is.

The launcher calls ``zero_gpu()`` before torch is imported (``spaces`` patches CUDA initialisation);
``on_gpu(fn, seconds)`` wraps a model call so that it holds a GPU while it runs. There the call runs in a
worker process that ``spaces`` forked at the first call and keeps, with its arguments pickled to it: what it
knows of the Space's own state (the queue) is a copy from that fork. ``outside_worker(read)`` is what such a
call is given for a question about that state: on ZeroGPU the answer, read in the Space's process.
"""

from __future__ import annotations

import math
import os
from typing import Callable

GPU_SLACK_SECONDS = 15  # ZeroGPU duration beyond the generation bound: adapter switch, prefill, transfer


def zero_gpu() -> bool:
    """A ZeroGPU Space: ``SPACES_ZERO_GPU`` is true (as ``spaces.config`` reads it: 1, t or true) and
    the ``spaces`` package imports."""
    if os.environ.get("SPACES_ZERO_GPU", "").strip().lower() not in ("1", "t", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


def outside_worker(read: Callable[[], bool]) -> bool | Callable[[], bool]:
    """On ZeroGPU, ``read()`` now, in the Space's process (inside the GPU worker it would read a stale copy);
    elsewhere ``read`` itself, which the call may ask again as it runs (no fork: the same state)."""
    return read() if zero_gpu() else read


def on_gpu(fn, seconds: float):
    """``fn`` under ``spaces.GPU(duration=seconds)`` on a ZeroGPU Space (it gets a GPU while it runs), else ``fn``."""
    if not zero_gpu():
        return fn
    import spaces

    return spaces.GPU(duration=math.ceil(seconds))(fn)
