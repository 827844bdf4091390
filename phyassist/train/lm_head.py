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

On CPUs ``enable()`` also replaces trl's tiled log-probability function with ``CpuLogProb``: trl's
torch fallback (written for devices without Triton) projects 32k-wide vocabulary tiles, casts the
frozen head to bf16 again for every tile in forward and backward, folds each tile into five running
statistics with a dozen fp32 element-wise passes, and accumulates the gradient with fp32 matmuls
(a third of the bf16 rate on AVX512-BF16 CPUs). ``CpuLogProb`` projects the answer positions in one
bf16 matmul against a head cast once per weight version, takes a log-softmax over whole rows, and
forms the gradient in one pass; same outputs (log-probabilities, entropy, log of the summed squared
probabilities, mean logit, top-1 hit) and the same gradients within bf16 rounding
(``benchmarks/train_profile.py`` shows where the step time went).
"""

from __future__ import annotations

import logging
import math

logger = logging.getLogger(__name__)

TOKEN_CHUNK = 1024  # answer positions per projection: bounds the fp32 logits to ~200 MB for a 49k vocabulary
_head_cache: dict = {}  # (id, version, dtype) of the head weight -> its cast copy (the head is frozen in LoRA)


def _cast_head(weight, dtype):
    if weight.dtype == dtype:
        return weight
    key = (id(weight), weight._version, dtype)
    cast = _head_cache.get(key)
    if cast is None:
        _head_cache.clear()
        cast = _head_cache[key] = weight.detach().to(dtype)
    return cast


def _cpu_log_prob_class():
    import torch

    class CpuLogProb(torch.autograd.Function):
        """trl's ``ChunkedLogProbFunction`` for CPUs (same arguments and outputs; no bias or soft-capping)."""

        @staticmethod
        def forward(ctx, hidden, weight, bias, targets, temperature, chunk_size, softcap=None, logit_scale=1.0,
                    outputs=("entropy", "log_sum_sq_probs", "mean_logits", "is_top1")):
            ctx.set_materialize_grads(False)
            dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else hidden.dtype
            w = _cast_head(weight, dtype)
            scale = logit_scale / temperature
            n = hidden.shape[0]
            logp = torch.empty(n, dtype=torch.float32)
            extra = {k: torch.empty(n, dtype=torch.bool if k == "is_top1" else torch.float32) for k in outputs}
            saved_logp = []
            for start in range(0, n, TOKEN_CHUNK):
                end = min(start + TOKEN_CHUNK, n)
                with torch.autocast("cpu", enabled=False):
                    z = torch.mm(hidden[start:end].to(dtype), w.t()).float()
                if scale != 1.0:
                    z.mul_(scale)
                t = targets[start:end].unsqueeze(-1)
                if "mean_logits" in extra:
                    extra["mean_logits"][start:end] = z.mean(-1)
                if "is_top1" in extra:
                    extra["is_top1"][start:end] = z.argmax(-1) == targets[start:end]
                log_p = torch.log_softmax(z, -1)
                del z
                logp[start:end] = log_p.gather(-1, t).squeeze(-1)
                if "entropy" in extra or "log_sum_sq_probs" in extra:
                    p = log_p.exp()
                    if "entropy" in extra:
                        extra["entropy"][start:end] = -(p * log_p).sum(-1)
                    if "log_sum_sq_probs" in extra:
                        extra["log_sum_sq_probs"][start:end] = torch.logsumexp(2 * log_p, -1)
                    del p
                saved_logp.append(log_p)
            ctx.save_for_backward(hidden, weight, targets)
            ctx.logp, ctx.dtype, ctx.scale = saved_logp, dtype, scale
            ctx.entropy = extra.get("entropy")
            ctx.mark_non_differentiable(*(extra[k] for k in ("log_sum_sq_probs", "mean_logits", "is_top1") if k in extra))
            return (logp, extra.get("entropy"), extra.get("log_sum_sq_probs"), extra.get("mean_logits"),
                    extra.get("is_top1"))

        @staticmethod
        def backward(ctx, grad_logp, grad_entropy, *_):
            hidden, weight, targets = ctx.saved_tensors
            dtype, scale = ctx.dtype, ctx.scale
            w = _cast_head(weight, dtype)
            need_h, need_w = ctx.needs_input_grad[:2]
            grad_h = torch.empty(hidden.shape, dtype=hidden.dtype) if need_h else None
            grad_w = torch.zeros(weight.shape, dtype=torch.float32) if need_w else None
            for i, start in enumerate(range(0, hidden.shape[0], TOKEN_CHUNK)):
                log_p = ctx.logp[i]
                end = start + log_p.shape[0]
                p = log_p.exp()
                g = torch.zeros_like(p)
                if grad_logp is not None:  # d log p_t / dz_j = 1[j = t] - p_j
                    gl = grad_logp[start:end].float().unsqueeze(-1)
                    g.sub_(p * gl).scatter_add_(-1, targets[start:end].unsqueeze(-1), gl)
                if grad_entropy is not None:  # d H / dz_j = -p_j (log p_j + H)
                    ge = grad_entropy[start:end].float().unsqueeze(-1)
                    g.sub_(ge * p * (log_p + ctx.entropy[start:end].unsqueeze(-1)))
                if scale != 1.0:
                    g.mul_(scale)
                g = g.to(dtype)
                with torch.autocast("cpu", enabled=False):
                    if need_h:
                        grad_h[start:end] = torch.mm(g, w).to(hidden.dtype)
                    if need_w:
                        grad_w.add_(torch.mm(g.t(), hidden[start:end].to(dtype)).float())
            ctx.logp = ctx.entropy = None
            return (grad_h, grad_w.to(weight.dtype) if need_w else None, None, None, None, None, None, None, None)

    return CpuLogProb


_CPU_LOG_PROB = None


def _dispatching(original):
    """trl's function on other devices or with a bias / soft-capping; ``CpuLogProb`` on CPUs."""
    global _CPU_LOG_PROB
    if _CPU_LOG_PROB is None:
        _CPU_LOG_PROB = _cpu_log_prob_class()
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
    function = getattr(trl_utils, "_ChunkedLogProbFunction", None)
    if function is not None and not hasattr(function, "_phyassist_original"):
        trl_utils._ChunkedLogProbFunction = _dispatching(function)
    return True


def disable() -> None:
    """Undo ``enable()`` (tests compare both paths)."""
    import trl.trainer.utils as trl_utils

    current = getattr(trl_utils, "_use_triton", None)
    if getattr(current, "_phyassist_compact", False):
        trl_utils._use_triton = current._phyassist_original
    function = getattr(trl_utils, "_ChunkedLogProbFunction", None)
    if hasattr(function, "_phyassist_original"):
        trl_utils._ChunkedLogProbFunction = function._phyassist_original

