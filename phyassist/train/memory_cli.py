"""``phyassist models memory``: what a base model and its training need in memory, before renting a GPU.

Its flags are ``MemoryConfig``'s and every ``phyassist train`` flag (``TrainConfig`` fields, also as keys of
the ``--config`` recipe; without one, the base's own recipe applies as in ``phyassist train``). The table
comes from ``phyassist.train.memory`` and ends with the lines ``base: X GiB`` and ``total: Y GiB``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field
from types import SimpleNamespace

from ..cli_utils import format_table
from ..errors import UserError
from ..models import DEFAULT_BASE, BasePreset, resolve_base
from .memory import GIB, PARTS, Estimate, estimate_memory

# the TrainConfig fields the estimate reads; the others (learning rate, steps, ...) change no byte of it
USED = ("double_quant", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_parameters",
        "optim", "base_dtype", "per_device_train_batch_size", "max_length")


@dataclass
class MemoryConfig:
    """``phyassist models memory``: the base's bytes by part and dtype, the LoRA adapter, gradients and
    optimizer state of the training recipe, and the total."""

    base_model: str = field(default=DEFAULT_BASE, metadata={"help": "Preset, Hub id or local model folder."})
    quantization: str = field(default="auto", metadata={
        "help": "'auto' (the preset's default), 'none', 'nf4' or 'fp4' (4-bit base)."})
    experts_bf16: bool = field(default=False, metadata={
        "help": "Count fused MoE experts as bitsandbytes alone leaves them (the base dtype, bfloat16 for Mixtral), "
                "not as phyassist's loader stores them."})
    # TrainConfig fields from the recipe and the flags (the command line fills it)
    training: InitVar[dict | None] = None
    base_preset: InitVar[BasePreset | None] = None

    def __post_init__(self, training: dict | None = None, base_preset: BasePreset | None = None):
        self.quantization = str(self.quantization).lower()
        if self.quantization not in ("auto", "none", "nf4", "fp4"):
            raise UserError(f"`quantization` must be 'auto', 'none', 'nf4' or 'fp4', got {self.quantization!r}.")
        self.base_preset = base_preset or resolve_base(self.base_model)
        self.plan = training_settings(training or {})
        self.plan.quantization = ((self.base_preset.quantization or "none") if self.quantization == "auto"
                                  else self.quantization)


def training_settings(given: dict) -> SimpleNamespace:
    """The ``USED`` TrainConfig fields: their defaults < ``given``, checked as TrainConfig checks them."""
    from transformers.training_args import OptimizerNames

    from .config import TrainConfig, _default, _positive

    defaults = {f.name: _default(f) for f in dataclasses.fields(TrainConfig) if f.name in USED}
    plan = SimpleNamespace(**{**defaults, **{k: v for k, v in given.items() if k in USED}})
    for name in ("lora_r", "lora_alpha", "per_device_train_batch_size"):
        _positive(plan, name)
    if plan.max_length is not None:
        _positive(plan, "max_length")
    if not 0 <= plan.lora_dropout < 1:
        raise UserError(f"`lora_dropout` must be in [0, 1), got {plan.lora_dropout}.")
    plan.base_dtype = str(plan.base_dtype).lower()
    if plan.base_dtype not in ("auto", "float32", "bfloat16", "float16"):
        raise UserError(f"`base_dtype` must be one of 'auto', 'float32', 'bfloat16', got {plan.base_dtype!r}.")
    try:
        plan.optim = OptimizerNames(getattr(plan.optim, "value", plan.optim)).value
    except ValueError:
        raise UserError(f"`optim` must be one of {', '.join(o.value for o in OptimizerNames)}, "
                        f"got {plan.optim!r}.") from None
    for name in ("lora_target_modules", "lora_target_parameters"):
        if isinstance(getattr(plan, name, None), str):
            setattr(plan, name, [m.strip() for m in getattr(plan, name).split(",") if m.strip()])
    return plan


def parse_args(argv, prog: str = "phyassist models memory") -> tuple[MemoryConfig, bool]:
    """MemoryConfig's flags and every other TrainConfig field, as flags and keys of the one ``--config`` YAML."""
    from ..config import Nested, construct, field_names, parse_values
    from .config import TrainConfig, own_fields
    from .recipes import find_recipe

    looked_up: dict[str, BasePreset] = {}

    def default_recipe(values: dict):
        name = values.get("base_model") or DEFAULT_BASE
        looked_up[name] = resolve_base(name)
        return find_recipe(looked_up[name], values.get("dataset"))

    training = Nested("training", TrainConfig, "Every `phyassist train` flag (and recipe key); the LoRA, "
                                               "optimizer and dtype ones change the estimate.")
    values, verbose = parse_values(
        MemoryConfig, argv, prog=prog, nested=training, own=[*field_names(MemoryConfig), *own_fields()],
        default_recipe=default_recipe, description="Estimate a base model's training memory without its weights.")
    return construct(MemoryConfig, values, base_preset=looked_up.get(values.get("base_model"))), verbose


def _count(n: int) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def _gib(n: int) -> str:
    return f"{n / GIB:.2f}"


def format_estimate(e: Estimate, plan) -> str:
    """The table a person reads; its last two lines are ``base: X GiB`` and ``total: Y GiB``."""
    quant = f"{e.quantization}{' with double quantization' if e.double_quant else ''}" if e.quantization else "none"
    parts = [[p, _count(e.params[p]), _gib(e.by_part[p])] for p in PARTS if e.by_part[p]]
    dtypes = [[d, _gib(b)] for d, b in sorted(e.by_dtype.items(), key=lambda item: -item[1])]
    lines = [f"{e.name}: {_count(sum(e.params.values()))} parameters; 4-bit: {quant}; unquantized weights: {e.dtype}",
             "", format_table(["part", "params", "GiB"], parts), "", format_table(["dtype", "GiB"], dtypes), ""]
    targets = ", ".join(e.lora_targets)
    lines.append(format_table(["training", "params", "GiB"], [
        [f"LoRA r={plan.lora_r} on {targets}", _count(e.lora_params), _gib(e.lora_bytes)],
        ["gradients", "", _gib(e.gradient_bytes)],
        [f"optimizer state ({e.optimizer})", "", _gib(e.optimizer_bytes)],
    ]))
    lines.append("")
    lines += e.notes
    if e.bnb_alone_base is not None:
        lines.append(f"experts as bitsandbytes alone leaves them ({e.dtype}): base {_gib(e.bnb_alone_base)} GiB "
                     "(--experts-bf16 shows that table)")
    lines.append(f"activations: not in the total (they grow with per_device_train_batch_size "
                 f"{plan.per_device_train_batch_size} x max_length {plan.max_length or 'from the data'})")
    lines += [f"base: {_gib(e.base)} GiB", f"total: {_gib(e.total)} GiB"]
    return "\n".join(lines)


def main(cfg: MemoryConfig) -> int:
    estimate = estimate_memory(cfg.base_preset, cfg.plan, experts_4bit=False if cfg.experts_bf16 else None)
    print(format_estimate(estimate, cfg.plan))
    return 0


ACTIONS = {"memory": (parse_args, main)}
