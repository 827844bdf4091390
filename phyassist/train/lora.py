"""LoRA/QLoRA plumbing: which modules to adapt, the peft config, and loading a base for training.

Targets come from the config, else from the base preset (presets; local folders by architecture:
Llama-like = attention + MLP projections, Mixtral-like MoE = attention + the router ``gate`` as in
the seed recipe; transformers fuses Mixtral's experts into 3-D parameters, which peft reaches only
through ``target_parameters``, so experts stay frozen as the seed left them). This module also keeps
bitsandbytes' CPU 4-bit layers on their autograd path during training (see ``keep_4bit_trainable``).
"""

from __future__ import annotations

import logging

from ..errors import UserError
from ..models import BasePreset, load_model_and_tokenizer, model_path

logger = logging.getLogger(__name__)

def _parameter_targets(model, targets: list[str]) -> list[str]:
    """Targets whose modules are not Linear layers (peft reaches them through their weight parameter)."""
    import torch

    linear = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Embedding)
    try:
        import bitsandbytes as bnb

        linear += (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)
    except ImportError:
        pass
    odd = {n.rsplit(".", 1)[-1] for n, m in model.named_modules()
           if n.rsplit(".", 1)[-1] in targets and not isinstance(m, linear)}
    return sorted(odd)


def lora_config(cfg, preset: BasePreset, model=None):
    """A ``peft.LoraConfig`` from a TrainConfig; checks that every target exists in ``model``."""
    from peft import LoraConfig

    targets = list(cfg.lora_target_modules or preset.lora_target_modules)
    if model is not None:
        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        missing = [t for t in targets if t not in names]
        if missing:
            raise UserError(
                f"`lora_target_modules` {missing} not found in {preset.hub_id}; expected module names such as "
                f"{sorted(n for n in names if n.endswith(('proj', 'gate')))[:8]}"
            )
    dropout = cfg.lora_dropout
    if model is not None and dropout and _parameter_targets(model, targets):
        # peft wraps a target that is not a Linear (transformers 5's Mixtral router `gate`) in a ParamWrapper,
        # which refuses LoRA dropout: train without it rather than fail before the first step
        logger.warning("`lora_dropout` %s set to 0: targets %s are not Linear layers and peft cannot drop out "
                       "their inputs", dropout, _parameter_targets(model, targets))
        dropout = 0.0
    return LoraConfig(
        r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=dropout, target_modules=targets,
        bias="none", task_type="CAUSAL_LM",
    )


def base_dtype(cfg):
    """The frozen base's torch dtype, as ``phyassist.train.hardware`` chose it for this machine."""
    import torch

    return getattr(torch, cfg.hardware.base_dtype)


def attention_kernel(cfg) -> str | None:
    """The ``attn_implementation`` to load with (None: transformers' choice), as ``phyassist.train.hardware``
    chose it; phyassist's CPU kernel is registered with transformers when chosen."""
    name = cfg.hardware.attn_implementation
    if name == "phyassist_cpu":
        from .cpu_attention import register

        register()
    return name


def load_base_for_training(cfg, preset: BasePreset):
    """Base model + fixed tokenizer in ``base_dtype(cfg)`` (bf16 autocast, if on, wraps the matmuls);
    bf16/fp16 on GPUs; 4-bit NF4/FP4 when ``cfg.qlora``."""
    import torch

    quant = cfg.quantization if cfg.qlora else None
    dtype = base_dtype(cfg)
    model, tokenizer = load_model_and_tokenizer(
        preset, quantization=quant, double_quant=cfg.double_quant,
        dtype=dtype, attn_implementation=attention_kernel(cfg),
    )
    if cfg.qlora and not torch.cuda.is_available():
        keep_4bit_trainable(model)
    model.config.use_cache = False
    logger.info("Loaded %s from %s (%s, %s)", preset.hub_id, model_path(preset), quant or "full precision", dtype)
    return model, tokenizer


def keep_4bit_trainable(model) -> int:
    """Stop bitsandbytes from repacking CPU 4-bit weights for its inference kernel.

    On CPUs with AVX512-BF16, ``Linear4bit.forward`` in eval mode without grad (the Trainer's
    evaluation loop) converts the weight in place to a packed layout whose ``gemv_4bit`` op has no
    autograd kernel; later training steps would then run through it and the gradient would stop at
    every base layer. Disabling the conversion keeps the dequantize-then-matmul path whose
    backward is exact (tests/train/test_trainer.py compares it against a dequantized fp32 model).
    """
    import bitsandbytes as bnb

    n = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
            n += 1
    return n

