"""``CpuLogProb``: trl's chunked log-probability function (its fused LM head's kernel) rewritten for CPUs.

One bf16 projection of the answer positions against a head cast once per weight version, a log-softmax
over whole rows and a one-pass gradient, where trl's torch fallback casts the head again for every
32k-wide vocabulary tile and folds the tiles with fp32 passes. Same outputs and gradients within bf16
rounding; ``lm_head`` puts it in trl's place on CPUs.
"""

from __future__ import annotations

TOKEN_CHUNK = 1024  # answer positions per projection: 1024 x 49k vocabulary x 4 bytes = 200 MB of fp32 logits
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


def cpu_log_prob_class():
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
