"""Training across processes: what the launcher set up, and the settings that must follow it.

``detect_launch(config)`` reads what ``accelerate launch`` (or ``torchrun``) put in the environment: the
process count (``WORLD_SIZE``), this process's GPU (``LOCAL_RANK``) and FSDP with its version
(``ACCELERATE_USE_FSDP``, ``FSDP_VERSION``: an accelerate config's ``distributed_type: FSDP``;
TrainingArguments' own ``fsdp`` counts too). ``phyassist.train.hardware`` asks ``quant_storage`` and
``device_map`` what a 4-bit base loads with, and ``check_launch`` turns a combination that cannot train into
one line naming the field to change. Without a launcher: one process, no FSDP, nothing changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UserError

# transformers' optimizers implemented by bitsandbytes (its trainer_optimizer._BITSANDBYTES_OPTIMIZERS; a test
# compares): their kernels take plain tensors, not FSDP2's sharded DTensor parameters
BNB_OPTIMIZERS = (
    "adamw_bnb_8bit", "adamw_8bit", "paged_adamw_32bit", "paged_adamw_8bit", "ademamix", "ademamix_8bit",
    "paged_ademamix_32bit", "paged_ademamix_8bit", "lion_32bit", "lion_8bit", "paged_lion_32bit", "paged_lion_8bit",
    "rmsprop_bnb", "rmsprop_bnb_8bit", "rmsprop_bnb_32bit",
)
QUANT_STORAGES = ("auto", "uint8", "bfloat16", "float16", "float32")
FSDP_CONFIG = "recipes/accelerate_configs/fsdp.yaml"


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Launch:
    """How this run was started: ``processes`` of them, this one's GPU index, FSDP's version (None: no FSDP)."""

    processes: int = 1
    local_rank: int = 0
    fsdp_version: int | None = None
    fsdp_activation_checkpointing: bool = False

    @property
    def fsdp(self) -> bool:
        return self.fsdp_version is not None

    def describe(self) -> str:
        kind = f"FSDP{self.fsdp_version}" if self.fsdp else "DDP" if self.processes > 1 else "one process"
        return f"{kind}, {self.processes} process{'es' if self.processes > 1 else ''}"


def detect_launch(config=None, environ=None) -> Launch:
    """The launch of this process, from the launcher's environment (and ``config.fsdp``, TrainingArguments')."""
    env = os.environ if environ is None else environ
    version = None
    if _flag(env.get("ACCELERATE_USE_FSDP", "")):
        version = int(env.get("FSDP_VERSION") or 1)  # accelerate's default when the config names none
    elif getattr(config, "fsdp", None):
        options = config.fsdp_config if isinstance(config.fsdp_config, dict) else {}
        version = int(options.get("version", options.get("fsdp_version", 2)))  # transformers 5's default: 2
    return Launch(processes=int(env.get("WORLD_SIZE") or 1), local_rank=int(env.get("LOCAL_RANK") or 0),
                  fsdp_version=version,
                  fsdp_activation_checkpointing=_flag(env.get("FSDP_ACTIVATION_CHECKPOINTING", "")))


def quant_storage(asked: str, base_dtype: str, launch: Launch) -> str:
    """The dtype bitsandbytes packs 4-bit weights in: ``auto`` is its uint8, and the base's dtype under FSDP,
    which shards only floating-point tensors and, in one unit, only of one dtype (FSDP-QLoRA)."""
    if asked != "auto":
        return asked
    return base_dtype if launch.fsdp else "uint8"


def device_map(asked: str | None, launch: Launch, cuda: bool, qlora: bool) -> str | None:
    """Where the base loads. One process: what was asked, else a 4-bit base spread over every visible GPU
    ('auto'). Several: a 4-bit base whole on each process's own GPU (DDP's copy; FSDP shards it from there)."""
    if launch.processes > 1:
        return f"cuda:{launch.local_rank}" if cuda and qlora else None
    if asked is not None:
        return asked
    return "auto" if cuda and qlora else None


def check_launch(config, launch: Launch, cuda: bool, *, qlora: bool, base_dtype: str, storage: str,
                 checkpointing: bool) -> None:
    """A ``UserError`` naming the field for a combination of this launch and ``config`` that cannot train."""
    if launch.processes > 1 and config.device_map is not None:
        raise UserError(f"`device_map` {config.device_map!r} places one model over this machine's GPUs, but this "
                        f"launch runs {launch.processes} processes, each with its own GPU: drop `device_map`, or run "
                        "one process (`phyassist train` without accelerate launch) to spread the model")
    if not launch.fsdp:
        return
    if launch.processes > 1 and not cuda:
        raise UserError("the accelerate config's `distributed_type: FSDP` runs on GPUs only; on this machine each of "
                        f"the {launch.processes} processes would train a whole copy: launch with "
                        "recipes/accelerate_configs/cpu.yaml instead")
    if qlora and storage != base_dtype:
        raise UserError(f"`quant_storage` {storage!r} under FSDP: FSDP shards a layer's weights as one tensor of one "
                        f"floating dtype, and this base's is {base_dtype!r} (`base_dtype`): set `quant_storage: auto` "
                        "(it follows the base under FSDP)")
    optim = str(getattr(config.optim, "value", config.optim))
    if launch.fsdp_version >= 2 and optim in BNB_OPTIMIZERS:
        raise UserError(f"`optim` {optim!r} is a bitsandbytes optimizer, which cannot update FSDP2's sharded "
                        "parameters: pass --optim adamw_torch (the LoRA weights' optimizer state is small, and "
                        "FSDP shards it)")
    if launch.fsdp_activation_checkpointing and checkpointing:
        raise UserError("`activation_checkpointing` and the accelerate config's `fsdp_activation_checkpointing` would "
                        "both recompute activations: set `fsdp_activation_checkpointing: false` (as "
                        f"{FSDP_CONFIG} does) or `activation_checkpointing: false`")


def check_fsdp_targets(launch: Launch, parameter_targets: list[str]) -> None:
    """FSDP1 cannot train LoRA on a target peft reaches through its weight (Mixtral's router ``gate``)."""
    if parameter_targets and launch.fsdp_version == 1:
        raise UserError(f"LoRA targets {parameter_targets} (`lora_target_modules`, `lora_target_parameters`) are not "
                        "Linear layers: peft adapts them through a parametrization of their weight, which FSDP1's "
                        f"flattened parameters break; launch with {FSDP_CONFIG} (FSDP2), or leave them out")
