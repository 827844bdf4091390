"""Score only the answer positions in trl's fused LM head, on every device.

trl's SFTTrainer replaces the model's LM head + cross-entropy with a chunked log-probability kernel.
On Triton devices (CUDA) it projects only the positions that carry a label; everywhere else it
projects every position and masks afterwards, because on compiled backends such as Neuron a
varying number of positions would recompile the kernel. Eager CPU training has no such cost, and
with the loss on the answer only (``completion_only_loss``) the prompt positions are most of the
batch: projecting them onto SmolLM2's 49k-token vocabulary (forward, recomputed backward, and the
softmax statistics over each tile) was a quarter of a CPU training step. ``enable()`` makes the
kernel take the compact path on CPUs too. The loss, its gradients and the logged metrics are the
same (``tests/train/test_lm_head.py``); only the wasted work goes.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def enable() -> bool:
    """Patch trl so its fused LM head scores only labelled positions on CPUs. Idempotent.

    Returns True when the compact path is in effect, False when this trl has no such switch (the
    training still runs, at trl's own speed).
    """
    try:
        import trl.trainer.utils as trl_utils
    except ImportError:  # pragma: no cover - trl is a dependency
        return False
    original = getattr(trl_utils, "_use_triton", None)
    if original is None:
        logger.debug("this trl has no `_use_triton` switch; its LM head scores every position")
        return False
    if getattr(original, "_phyassist_compact", False):
        return True

    def _compact_on_cpu(device) -> bool:
        return getattr(device, "type", str(device)) == "cpu" or original(device)

    _compact_on_cpu._phyassist_compact = True
    _compact_on_cpu._phyassist_original = original
    trl_utils._use_triton = _compact_on_cpu
    return True


def disable() -> None:
    """Undo ``enable()`` (tests compare both paths)."""
    import trl.trainer.utils as trl_utils

    current = getattr(trl_utils, "_use_triton", None)
    if getattr(current, "_phyassist_compact", False):
        trl_utils._use_triton = current._phyassist_original

