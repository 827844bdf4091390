"""ZeroGPU: on a ZeroGPU Space the model call runs under ``spaces.GPU``; elsewhere as it is.

The launcher calls ``zero_gpu()`` before torch is imported (``spaces`` patches CUDA initialisation);
``on_gpu(fn, seconds)`` wraps a model call so that it holds a GPU while it runs.
"""

from __future__ import annotations

import math
import os

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


def on_gpu(fn, seconds: float):
    """``fn`` under ``spaces.GPU(duration=seconds)`` on a ZeroGPU Space (it gets a GPU while it runs), else ``fn``."""
    if not zero_gpu():
        return fn
    import spaces

    return spaces.GPU(duration=math.ceil(seconds))(fn)
