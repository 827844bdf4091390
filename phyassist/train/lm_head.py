"""The one patch of trl's private code: its fused LM head scores only the answer positions on CPUs too.

trl projects only the labelled positions where ``_use_triton`` says so (CUDA) and every position
elsewhere; with the loss on the answer only, the prompt positions are most of a CPU batch. ``enable()``
(called by ``trainer.build_trainer``) makes CPUs take the compact path and swaps trl's log-probability
function for ``cpu_logprob.CpuLogProb`` on CPU tensors; other devices keep trl's own. ``TRL_EXPECTED`` is
what the patch was written against; ``trl_mismatches`` says what differs in the installed trl.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math

logger = logging.getLogger(__name__)

TRL_MODULE = "trl.trainer.utils"
# What the patch relies on in TRL_MODULE; tests/train/test_lm_head.py fails when one changes. After a trl
# upgrade: read the new code, check the patch still holds, then update these.
TRL_EXPECTED = {
    # replaced: True on CPUs, else trl's answer; the patch keeps trl's meaning for every other device
    "_use_triton": {"parameters": ["device"],
                    "sha256": "f0510984e05ac05ca2f579b67776cafaf22c0602a9810e4f28c808896864f095"},
    # wrapped: CpuLogProb takes these arguments, positionally, and returns the same five outputs
    "_ChunkedLogProbFunction.forward": {"parameters": [
        "ctx", "hidden", "weight", "bias", "targets", "temperature", "chunk_size", "final_logit_softcapping",
        "logit_scale", "outputs"]},
    # the caller: looks both names up in TRL_MODULE at every call, so patching the module attributes is enough
    "add_fused_lm_head": {"calls": ["_use_triton(hidden_states.device)", "_ChunkedLogProbFunction.apply("]},
}


def _source_sha256(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()


def trl_mismatches(sources: bool = True) -> list[str]:
    """What differs between the installed trl and ``TRL_EXPECTED`` (empty when the patch fits); ``sources=False``
    checks names and parameters only, without reading trl's source files."""
    import importlib

    module = importlib.import_module(TRL_MODULE)
    out = []
    for name, expected in TRL_EXPECTED.items():
        first, *rest = name.split(".")
        obj = getattr(module, first, None)
        obj = getattr(obj, "_phyassist_original", obj)  # trl's own, also while the patch is on
        for part in rest:
            obj = getattr(obj, part, None)
        if obj is None:
            out.append(f"{TRL_MODULE}.{name} is gone")
            continue
        if "parameters" in expected and list(inspect.signature(obj).parameters) != expected["parameters"]:
            out.append(f"{TRL_MODULE}.{name} takes {list(inspect.signature(obj).parameters)}, "
                       f"not {expected['parameters']}")
        if sources and "sha256" in expected and _source_sha256(obj) != expected["sha256"]:
            out.append(f"{TRL_MODULE}.{name} has new source (sha256 {_source_sha256(obj)})")
        if sources and "calls" in expected:
            source = inspect.getsource(obj)
            out += [f"{TRL_MODULE}.{name} no longer calls `{call}`" for call in expected["calls"] if call not in source]
    return out


_CPU_LOG_PROB = None


def _dispatching(original):
    """trl's function on other devices or with a bias / soft-capping; ``CpuLogProb`` on CPUs."""
    global _CPU_LOG_PROB
    if _CPU_LOG_PROB is None:
        from .cpu_logprob import cpu_log_prob_class

        _CPU_LOG_PROB = cpu_log_prob_class()
    cpu = _CPU_LOG_PROB

    class Dispatch:
        _phyassist_original = original

        @staticmethod
        def apply(hidden, weight, bias, targets, temperature, chunk_size, softcap=None, logit_scale=1.0, *rest):
            if hidden.device.type == "cpu" and bias is None and softcap is None and math.isfinite(logit_scale):
                return cpu.apply(hidden, weight, bias, targets, temperature, chunk_size, softcap, logit_scale, *rest)
            return original.apply(hidden, weight, bias, targets, temperature, chunk_size, softcap, logit_scale, *rest)

    return Dispatch


def enable() -> bool:
    """Patch trl so its fused LM head scores only labelled positions on CPUs. Idempotent.

    Returns True when the compact path is in effect, False when this trl's names or parameters are not
    the ones in ``TRL_EXPECTED`` (the training still runs, at trl's own speed).
    """
    try:
        import trl.trainer.utils as trl_utils
    except ImportError:  # pragma: no cover - trl is a dependency
        return False
    original = getattr(trl_utils, "_use_triton", None)
    if getattr(original, "_phyassist_compact", False):
        return True
    changed = trl_mismatches(sources=False)
    if changed:
        logger.warning("trl's LM head is not the one phyassist patches (%s); it scores every position",
                       "; ".join(changed))
        return False

    def _compact_on_cpu(device) -> bool:
        return getattr(device, "type", str(device)) == "cpu" or original(device)

    _compact_on_cpu._phyassist_compact = True
    _compact_on_cpu._phyassist_original = original
    trl_utils._use_triton = _compact_on_cpu
    if not hasattr(trl_utils._ChunkedLogProbFunction, "_phyassist_original"):
        trl_utils._ChunkedLogProbFunction = _dispatching(trl_utils._ChunkedLogProbFunction)
    return True


def disable() -> None:
    """Undo ``enable()`` (tests and benchmarks compare both paths)."""
    import trl.trainer.utils as trl_utils

    current = getattr(trl_utils, "_use_triton", None)
    if getattr(current, "_phyassist_compact", False):
        trl_utils._use_triton = current._phyassist_original
    function = getattr(trl_utils, "_ChunkedLogProbFunction", None)
    if hasattr(function, "_phyassist_original"):
        trl_utils._ChunkedLogProbFunction = function._phyassist_original
