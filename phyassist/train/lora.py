"""LoRA/QLoRA plumbing: which modules to adapt, the peft config, and loading a base for training.

Targets come from the config, else from the base preset (presets; local folders by architecture:
Llama-like = attention + MLP projections, Mixtral-like MoE = attention + the router ``gate`` as in
the seed recipe; transformers fuses Mixtral's experts into 3-D parameters, which peft reaches only
through ``target_parameters``: ``lora_target_parameters``, on 16-bit bases only, since QLoRA stores them in
4 bits, see ``phyassist.experts4bit``). ``check_before_loading`` refuses what would fail after loading
before a run touches its folder. This module also keeps bitsandbytes' CPU 4-bit layers on their autograd
path during training (see ``keep_4bit_trainable``).
"""

from __future__ import annotations

import logging

from .. import lazy_bnb
from ..errors import UserError
from ..models import BasePreset, load_model_and_tokenizer, model_path
from .distributed import check_fsdp_targets

logger = logging.getLogger(__name__)

def _parameter_targets(model, targets: list[str]) -> list[str]:
    """Targets whose modules are not Linear layers (peft reaches them through their weight parameter)."""
    import torch

    linear = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Embedding)
    bnb = lazy_bnb.loaded()  # a model holds bitsandbytes layers only once it is imported; a LoRA run never does
    if bnb is not None:
        linear += (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)
    odd = {n.rsplit(".", 1)[-1] for n, m in model.named_modules()
           if n.rsplit(".", 1)[-1] in targets and not isinstance(m, linear)}
    return sorted(odd)


def _check_parameter_targets(model, modules: list[str], parameters: list[str], hub_id: str) -> None:
    """One-line errors for LoRA targets a base's parameters cannot take (fused experts among them)."""
    from ..experts4bit import PROJECTIONS, Experts4bit, fused_experts, refuse_lora_on_4bit_experts

    experts = [n for n, m in model.named_modules() if isinstance(m, Experts4bit)] + [n for n, _ in fused_experts(model)]
    examples = sorted({".".join(n.split(".")[-2:] + [p]) for n in experts for p in PROJECTIONS})
    as_modules = sorted({t for t in modules for n in experts if n.rsplit(".", 1)[-1] == t})
    if as_modules:
        raise UserError(f"`lora_target_modules` {as_modules}: fused experts are 3-D parameters, not layers; name them "
                        f"in `lora_target_parameters` instead ({', '.join(examples)})")
    refuse_lora_on_4bit_experts(model, parameters)
    params = dict(model.named_parameters())
    missing = [t for t in parameters if not any(n == t or n.endswith(f".{t}") for n in params)]
    if missing:
        examples = examples or sorted({".".join(n.split(".")[-2:]) for n in params if n.endswith("weight")})[:4]
        raise UserError(f"`lora_target_parameters` {missing} not found in {hub_id}; expected parameter names such as "
                        f"{examples}")
    flat = sorted({t for t in parameters for n, p in params.items() if (n == t or n.endswith(f".{t}")) and p.ndim < 2})
    if flat:
        raise UserError(f"`lora_target_parameters` {flat}: peft adapts 2-D and 3-D weights only, these are 1-D")


def lora_config(cfg, preset: BasePreset, model=None):
    """A ``peft.LoraConfig`` from a TrainConfig; checks that every target exists in ``model`` and can take LoRA."""
    from peft import LoraConfig

    targets = list(cfg.lora_target_modules or preset.lora_target_modules)
    parameters = list(getattr(cfg, "lora_target_parameters", None) or [])
    if model is not None:
        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        missing = [t for t in targets if t not in names]
        if missing:
            raise UserError(
                f"`lora_target_modules` {missing} not found in {preset.hub_id}; expected module names such as "
                f"{sorted(n for n in names if n.endswith(('proj', 'gate')))[:8]}"
            )
        _check_parameter_targets(model, targets, parameters, preset.hub_id)
    dropout = cfg.lora_dropout
    odd = (_parameter_targets(model, targets) + parameters) if model is not None else parameters
    if getattr(cfg, "launch", None) is not None:
        check_fsdp_targets(cfg.launch, odd)
    if dropout and odd:
        # peft wraps a target that is not a Linear (transformers 5's Mixtral router `gate`, a parameter target)
        # in a ParamWrapper, which refuses LoRA dropout: train without it rather than fail before the first step
        logger.warning("`lora_dropout` %s set to 0: targets %s are not Linear layers and peft cannot drop out "
                       "their inputs", dropout, odd)
        dropout = 0.0
    return LoraConfig(
        r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=dropout, target_modules=targets,
        target_parameters=parameters or None, bias="none", task_type="CAUSAL_LM",
    )


def check_before_loading(cfg, preset: BasePreset) -> None:
    """What ``load_base_for_training`` and ``lora_config`` would refuse after minutes of loading, refused now
    (before the run touches its output folder): fused experts that cannot be stored in 4 bits and LoRA targets
    the base cannot take, checked on the base's skeleton on the meta device (no weights read)."""
    if not (cfg.qlora or getattr(cfg, "lora_target_parameters", None)):
        return
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from .. import experts4bit
    from ..models import base_config_file, bnb_config

    try:
        config = AutoConfig.from_pretrained(str(base_config_file(preset)))
    except (OSError, ValueError):  # UserError too: loading the base says why, in its own words
        return
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    if cfg.qlora:
        experts4bit.check_quantizable(model, cfg.quantization)
        experts4bit.placeholders(model, bnb_config(cfg.quantization, cfg.double_quant))
    lora_config(cfg, preset, model)


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
        # a 4-bit base's placement and storage follow the launch (phyassist.train.distributed)
        device_map=cfg.hardware.device_map, quant_storage=getattr(torch, cfg.hardware.quant_storage),
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

