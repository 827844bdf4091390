"""An attention kernel for training on CPUs: transformers' eager attention, minus its wasted passes.

On a CPU, the sdpa flash kernel is slow for these shapes (SmolLM2: head dim 64, a few hundred tokens):
with bf16 training, its forward and backward were a quarter of a training step
(``benchmarks/train_profile.py``). Eager attention (two batched matmuls and a softmax) is faster, but
transformers' version makes full-size ``[batch, heads, q, k]`` passes it does not need: it scales the
scores instead of the queries, computes the softmax into a new fp32 tensor and casts it back, and
copies each key/value head once per query head it serves (``repeat_kv``).

``attention`` scales the queries, lets the softmax read and write the scores' own dtype (PyTorch's CPU
softmax accumulates in fp32 internally either way), and runs the grouped query heads of a key/value
head as one matmul against that head, without copies. Same mathematics as eager attention; it
returns the attention weights too. ``register()`` makes it available as
``attn_implementation="phyassist_cpu"`` (with eager's additive mask).
"""

from __future__ import annotations

NAME = "phyassist_cpu"


def attention(module, query, key, value, attention_mask, scaling: float, dropout: float = 0.0, **kwargs):
    """``query``: [batch, heads, q, dim]; ``key``/``value``: [batch, kv_heads, k, dim]; an additive mask
    [batch, 1, q, >=k] or None. Returns the output [batch, q, heads, dim] and the weights [batch, heads, q, k]."""
    import torch

    b, heads, q_len, dim = query.shape
    kv_heads, k_len = key.shape[1], key.shape[2]
    group = heads // kv_heads
    # query head i reads key/value head i // group (repeat_kv's layout): the group's heads are consecutive
    q = (query * scaling).reshape(b, kv_heads, group * q_len, dim)
    scores = torch.matmul(q, key.transpose(2, 3))  # [b, kv_heads, group * q, k]
    if attention_mask is not None:
        scores = scores.view(b, kv_heads, group, q_len, k_len) + attention_mask[:, :, None, :, :k_len]
    weights = torch.softmax(scores, dim=-1)
    if dropout and module.training:
        weights = torch.nn.functional.dropout(weights, p=dropout, training=True)
    out = torch.matmul(weights.reshape(b, kv_heads, group * q_len, k_len).to(value.dtype), value)
    out = out.view(b, heads, q_len, dim).transpose(1, 2).contiguous()
    return out, weights.view(b, heads, q_len, k_len)


def register() -> str:
    """Register ``attention`` with transformers (idempotent); returns its ``attn_implementation`` name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, eager_mask

    AttentionInterface.register(NAME, attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, eager_mask)
    return NAME
