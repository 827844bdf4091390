"""The memory estimate (phyassist.train.memory) against what bitsandbytes, transformers and peft really store."""

from __future__ import annotations

import pytest

from phyassist.models import load_model_and_tokenizer, resolve_base
from phyassist.train.memory import (
    GIB, estimate_memory, experts_in_4bit, nf4_bytes, optimizer_state_bytes, stored_bytes,
)
from phyassist.train.memory_cli import training_settings


def _plan(quantization: str, **training):
    plan = training_settings(training)
    plan.quantization = quantization
    return plan


@pytest.mark.parametrize("double_quant", [True, False])
@pytest.mark.parametrize("numel", [4096, 64 * 300 + 10, 64 * 256 * 3 + 64, 1001])
def test_nf4_bytes_are_what_quantize_4bit_stores(numel, double_quant):
    import torch
    from bitsandbytes.functional import quantize_4bit

    for storage in (torch.uint8, torch.bfloat16) if numel % 4 == 0 else (torch.uint8,):
        packed, state = quantize_4bit(torch.randn(numel), blocksize=64, compress_statistics=double_quant,
                                      quant_type="nf4", quant_storage=storage)
        stored = {"nf4": packed.nbytes}
        tensors = [state.absmax, state.code, state.offset]
        if state.state2 is not None:
            tensors += [state.state2.absmax, state.state2.code]
        for t in (t for t in tensors if t is not None):
            name = str(t.dtype).removeprefix("torch.")
            stored[name] = stored.get(name, 0) + t.nbytes
        assert stored == nf4_bytes(numel, double_quant)


def test_tiny_mixtral_in_4_bits_holds_what_the_estimate_says(tiny_mixtral_dir):
    """Part by part, the estimate against the tensors phyassist's 4-bit loading path really holds (weights,
    quantization states, buffers); the experts as that path stores them."""
    model, _ = load_model_and_tokenizer(str(tiny_mixtral_dir), quantization="nf4")
    real = stored_bytes(model)
    estimate = estimate_memory(resolve_base(str(tiny_mixtral_dir)), _plan("nf4", lora_dropout=0.0))
    assert experts_in_4bit() and estimate.experts_4bit  # the loader stores them in NF4 (phyassist.experts4bit)
    for part, n in real.items():
        assert abs(estimate.by_part[part] - n) <= 0.05 * n, (part, estimate.by_part[part], n)
    assert abs(estimate.base - sum(real.values())) <= 0.05 * sum(real.values())
    assert real["attention"] and real["experts"] and real["router"]  # every kind of layer was compared


def test_mixtral_production_recipe_fits_in_26_gib_with_experts_in_nf4():
    from phyassist.train.memory_cli import parse_args
    from phyassist.train.recipes import recipe_path

    cfg, _ = parse_args(["--config", str(recipe_path("mixtral-8x7b-instruct/qlora.yaml"))])
    nf4 = estimate_memory(cfg.base_preset, cfg.plan, experts_4bit=True)
    assert nf4.base <= 26 * GIB
    assert nf4.by_part["experts"] > 0.9 * nf4.base  # experts dominate
    # q, o: 4096 x 4096, k, v: 1024 x 4096 in NF4; embeddings and lm_head 32000 x 4096 in bf16, untied
    assert nf4.by_part["attention"] == 32 * sum(nf4_bytes(n, True)[k] for n in (4096 * 4096, 1024 * 4096) * 2
                                                for k in ("nf4", "uint8", "float32"))
    assert nf4.by_part["embeddings/lm_head"] == 2 * 32000 * 4096 * 2
    bf16 = estimate_memory(cfg.base_preset, cfg.plan, experts_4bit=False)
    assert 80 * GIB < bf16.base == nf4.bnb_alone_base  # bitsandbytes alone: fused experts stay bf16
    # 46.7 B parameters; experts: 32 layers x 8 experts x 3 x 4096 x 14336
    assert sum(nf4.params.values()) == 46_702_792_704 and nf4.params["experts"] == 32 * 8 * 3 * 4096 * 14336
    # LoRA r=32 on q, k, v, o (4096 -> 4096, 1024, 1024, 4096) and the router (4096 -> 8), 32 layers
    assert nf4.lora_params == 32 * 32 * (4096 * 4 + 4096 + 1024 * 2 + 4096 + 4096 + 8)
    assert nf4.optimizer_bytes == 8 * nf4.lora_params  # paged_adamw_32bit: 2 fp32 states
    assert "assumed" not in nf4.optimizer  # the recipe's optimizer is in the table, not a fallback
    cfg8, _ = parse_args(["--config", str(recipe_path("mixtral-8x7b-instruct/qlora.yaml")), "--optim", "paged_adamw_8bit"])
    eight = estimate_memory(cfg8.base_preset, cfg8.plan, experts_4bit=True)
    assert "8-bit" in eight.optimizer and eight.optimizer_bytes < nf4.optimizer_bytes / 3


def test_lora_and_adamw_state_match_peft_and_torch_on_a_tiny_llama(tiny_llama_dir):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    targets = ["q_proj", "v_proj", "down_proj"]
    estimate = estimate_memory(resolve_base(str(tiny_llama_dir)),
                               _plan("none", lora_r=8, lora_target_modules=targets, optim="adamw_torch"))
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_llama_dir),
                           LoraConfig(r=8, lora_alpha=16, target_modules=targets, task_type="CAUSAL_LM"))
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert estimate.lora_params == sum(p.numel() for p in trainable) > 0
    assert estimate.lora_bytes == estimate.gradient_bytes == sum(p.nbytes for p in trainable)
    for p in trainable:
        p.grad = torch.zeros_like(p)
    optimizer = torch.optim.AdamW(trainable)
    optimizer.step()
    states = sum(t.nbytes for s in optimizer.state.values() for k, t in s.items() if k != "step")
    assert estimate.optimizer_bytes == states
    # tied embeddings are counted once, and a full-precision base holds exactly its parameters and buffers
    real = stored_bytes(AutoModelForCausalLM.from_pretrained(tiny_llama_dir))
    assert estimate.by_part == real


def test_8bit_optimizer_state_is_what_bitsandbytes_allocates():
    import bitsandbytes as bnb
    import torch

    params = [torch.nn.Parameter(torch.randn(64, 128)), torch.nn.Parameter(torch.randn(16, 8))]  # 8-bit, fp32
    for p in params:
        p.grad = torch.randn_like(p)
    optimizer = bnb.optim.AdamW8bit(params)
    optimizer.step()
    keys = ("state1", "state2", "absmax1", "absmax2")
    real = sum(s[k].nbytes for s in optimizer.state.values() for k in keys if k in s)
    assert optimizer_state_bytes("paged_adamw_8bit", [p.numel() for p in params])[0] == real
    assert optimizer_state_bytes("paged_adamw_32bit", [10])[0] == 80
    assert "assumed as for AdamW" in optimizer_state_bytes("adafactor", [10])[1]


@pytest.mark.parametrize("double_quant", [True, False])
def test_4bit_experts_hold_what_the_estimate_says(tiny_mixtral_dir, double_quant):
    """The experts formula against ``phyassist.experts4bit``'s own storage and its ``projection_bytes``."""
    from phyassist.experts4bit import projection_bytes, quantize_experts
    from phyassist.models import bnb_config

    model, _ = load_model_and_tokenizer(str(tiny_mixtral_dir), quantization="nf4", double_quant=double_quant)
    quantize_experts(model, bnb_config("nf4", double_quant))  # a no-op once the loader quantizes them itself
    estimate = estimate_memory(resolve_base(str(tiny_mixtral_dir)),
                               _plan("nf4", double_quant=double_quant, lora_dropout=0.0), experts_4bit=True)
    assert estimate.by_part == stored_bytes(model)
    config = model.config  # 2 layers, gate_up_proj [4, 256, 64] and down_proj [4, 64, 128] each
    per_layer = (projection_bytes(4, 2 * config.intermediate_size, config.hidden_size, double_quant)
                 + projection_bytes(4, config.hidden_size, config.intermediate_size, double_quant))
    assert estimate.by_part["experts"] == 2 * per_layer
