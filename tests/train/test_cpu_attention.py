"""phyassist's CPU attention kernel (phyassist.train.cpu_attention) against transformers' eager attention."""

from __future__ import annotations

import pytest


def _tiny_llama(heads=8, kv_heads=2):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=heads, num_key_value_heads=kv_heads)
    return LlamaForCausalLM(cfg)


def _logits_and_grads(model, impl, ids, mask, autocast):
    import torch

    model.set_attn_implementation(impl)
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = model(input_ids=ids, attention_mask=mask).logits.float()
    (logits * mask[..., None]).square().mean().backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return logits.detach(), grads


@pytest.mark.parametrize("heads, kv_heads", [(8, 2), (4, 4), (8, 1)])
@pytest.mark.parametrize("autocast", [False, True])
def test_same_outputs_and_gradients_as_eager(heads, kv_heads, autocast):
    import torch

    from phyassist.train.cpu_attention import register

    name = register()
    model = _tiny_llama(heads, kv_heads)
    ids = torch.randint(0, 97, (3, 19))
    mask = torch.ones(3, 19, dtype=torch.long)
    mask[1, 11:] = 0  # right padding, as in training
    mask[2, 4:] = 0
    ref_logits, ref_grads = _logits_and_grads(model, "eager", ids, mask, autocast)
    logits, grads = _logits_and_grads(model, name, ids, mask, autocast)
    real = mask.bool()
    # bf16 scores keep ~3 significant digits; fp32 agrees to float rounding
    atol = 2e-2 if autocast else 1e-5
    assert torch.allclose(logits[real], ref_logits[real], atol=atol, rtol=atol)
    assert grads.keys() == ref_grads.keys() and grads
    for n, g in grads.items():
        rel = float((g - ref_grads[n]).norm() / ref_grads[n].norm().clamp(min=1e-12))
        assert rel < (2e-2 if autocast else 1e-5), (n, rel)


def test_returns_weights_that_sum_to_one_and_respect_the_mask():
    import torch

    from phyassist.train.cpu_attention import attention

    class Module:
        training = False

    torch.manual_seed(1)
    b, heads, kv_heads, t, d = 2, 6, 2, 5, 8
    q, k, v = torch.randn(b, heads, t, d), torch.randn(b, kv_heads, t, d), torch.randn(b, kv_heads, t, d)
    mask = torch.zeros(b, 1, t, t)
    mask[:, :, :, 3:] = torch.finfo(torch.float32).min  # keys 3 and 4 hidden
    out, weights = attention(Module(), q, k, v, mask, scaling=d ** -0.5)
    assert out.shape == (b, t, heads, d) and weights.shape == (b, heads, t, t)
    assert torch.allclose(weights.sum(-1), torch.ones(b, heads, t))
    assert float(weights[..., 3:].abs().max()) == 0.0
    # head 4 reads key/value head 4 // 3 = 1
    ref = torch.softmax((q[:, 4] @ k[:, 1].transpose(-1, -2)) * d ** -0.5 + mask[:, 0], -1) @ v[:, 1]
    assert torch.allclose(out[:, :, 4], ref, atol=1e-6)
