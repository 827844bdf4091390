"""What the machine gets: the one place a training run's ``auto`` settings become this machine's values.

``resolve_hardware(config, preset)`` decides quantization, bf16, activation checkpointing, the frozen
base's dtype, the attention kernel, ``use_cpu``, pinned memory, and where and how a 4-bit base loads
(``device_map``, ``quant_storage``: they follow the launch, ``phyassist.train.distributed``) from what the
config asks, the base preset, the hardware and the launch, and logs its choice in one line. ``TrainConfig``
calls it once, when built.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from ..models import cpu_has_bf16  # noqa: F401 - resolve_hardware's, and this module's name for it
from .distributed import Launch, check_launch, detect_launch, device_map, quant_storage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hardware:
    """The resolved values; each is named after the ``TrainConfig`` field it resolves."""

    quantization: str  # 'none', 'nf4' or 'fp4'
    bf16: bool
    activation_checkpointing: bool
    base_dtype: str  # of the frozen base weights: 'float32', 'bfloat16' or 'float16'
    attn_implementation: str | None  # None: transformers' own choice
    use_cpu: bool
    dataloader_pin_memory: bool
    quant_storage: str  # the dtype bitsandbytes packs 4-bit weights in ('uint8', or the base's under FSDP)
    device_map: str | None  # where the base loads (None: the loader's default)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELDS = tuple(f.name for f in dataclasses.fields(Hardware))


def resolve_hardware(config, preset, launch: Launch | None = None) -> Hardware:
    """What ``config`` (a ``TrainConfig`` as asked: ``auto``/None where unset) runs with on this machine, under
    ``launch`` (default: this process's, ``detect_launch``)."""
    import torch

    launch = launch or detect_launch(config)

    cuda = torch.cuda.is_available()
    hardware_bf16 = torch.cuda.is_bf16_supported() if cuda else cpu_has_bf16()
    quantization = (preset.quantization or "none") if config.quantization == "auto" else config.quantization
    qlora = quantization in ("nf4", "fp4")
    bf16 = config.bf16
    if bf16 is None:
        bf16 = (not config.fp16) and hardware_bf16
    checkpointing = config.activation_checkpointing
    if checkpointing is None:
        # On a CPU with a small model the recompute costs time and memory is not the limit.
        checkpointing = cuda or qlora
    base_dtype = config.base_dtype
    if base_dtype == "auto":
        # GPUs: the training precision. CPUs: bf16 when training in bf16 (hardware bf16, see above): autocast
        # would otherwise cast every frozen weight and activation between fp32 and bf16 on each call. The LoRA
        # weights and their optimizer state stay fp32 either way (peft upcasts adapters); 4-bit bases compute
        # in this dtype.
        base_dtype = "bfloat16" if bf16 else "float16" if (cuda and config.fp16) else "float32"
    attention = config.attn_implementation
    if attention == "auto":
        # phyassist's CPU kernel (cpu_attention) for bf16 LoRA on CPUs, where sdpa's flash kernel is slow there;
        # 4-bit bases and GPUs keep transformers' choice.
        attention = "phyassist_cpu" if (bf16 and not qlora and not cuda) else None
    hardware = Hardware(
        quantization=quantization, bf16=bool(bf16), activation_checkpointing=bool(checkpointing), base_dtype=base_dtype,
        attn_implementation=attention,
        # CPU-only: a torchrun/accelerate launch becomes a gloo group (MULTI_CPU) instead of N lone processes
        use_cpu=bool(config.use_cpu) or not cuda,
        dataloader_pin_memory=bool(config.dataloader_pin_memory) and cuda,  # a CPU has nothing to pin to
        quant_storage=quant_storage(config.quant_storage, base_dtype, launch),
        device_map=device_map(config.device_map, launch, cuda, qlora),
    )
    check_launch(config, launch, cuda, qlora=qlora, base_dtype=base_dtype, storage=hardware.quant_storage,
                 checkpointing=hardware.activation_checkpointing)
    logger.info("Hardware (%s, bf16 in hardware: %s, %s): %s", "cuda" if cuda else "cpu", hardware_bf16,
                launch.describe(), ", ".join(f"{k}={v}" for k, v in hardware.as_dict().items()))
    return hardware


def resolved_recipe(saved: dict) -> dict:
    """A recipe saved from a run with each ``auto`` replaced by what it resolved to (its ``resolved`` mapping):
    the values the run trained with, for readers such as the model card and ``phyassist export``."""
    return {**saved, **(saved.get("resolved") or {})}
