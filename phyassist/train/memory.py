"""Training memory before renting a GPU: a base model's bytes by part and dtype, its LoRA adapter, gradients
and optimizer state, counted on the meta device from the model's ``config.json`` (no weights downloaded).

transformers' own bnb quantizer picks the 4-bit layers of the meta model; each is counted as bitsandbytes
stores it (``nf4_bytes``), and fused MoE experts as phyassist's loader stores them. ``stored_bytes(model)``
counts a loaded model's tensors by part, to check the estimate against.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass, field

GIB = 1024**3
PARTS = ("attention", "experts", "router", "mlp", "embeddings/lm_head", "norms", "other")
# bitsandbytes' quantize_4bit: 64 values per absmax block; double quantization packs 256 absmax per block
BLOCKSIZE, NESTED_BLOCKSIZE = 64, 256
EXPERTS_MODULE = "phyassist.experts4bit"  # phyassist's NF4 quantization of fused MoE experts
# optimizer -> (states per trainable parameter, bits per state value); bitsandbytes' 8-bit states (names below)
OPTIMIZER_STATES = {
    **{name: (2, 32) for name in ("adamw_torch", "adamw_torch_fused", "adamw_torch_xla", "adamw_torch_npu_fused",
                                  "paged_adamw_32bit", "stable_adamw", "grokadamw")},
    **{name: (2, 8) for name in ("adamw_bnb_8bit", "adamw_8bit", "paged_adamw_8bit")},
    "ademamix": (3, 32), "paged_ademamix_32bit": (3, 32), "ademamix_8bit": (3, 8), "paged_ademamix_8bit": (3, 8),
    "lion_32bit": (1, 32), "paged_lion_32bit": (1, 32), "lion_8bit": (1, 8), "paged_lion_8bit": (1, 8),
    "rmsprop": (1, 32), "rmsprop_bnb": (1, 32), "rmsprop_bnb_32bit": (1, 32), "rmsprop_bnb_8bit": (1, 8),
    "adagrad": (1, 32), "sgd": (0, 32),  # transformers' SGD runs without momentum unless optim_args set it
}
MIN_8BIT_SIZE, STATE_BLOCKSIZE = 4096, 256  # bitsandbytes keeps smaller tensors' states in fp32


def nf4_bytes(numel: int, double_quant: bool, quant_type: str = "nf4") -> dict[str, int]:
    """Bytes by dtype that ``bitsandbytes.functional.quantize_4bit`` stores for ``numel`` values (NF4 or FP4).

    The packed data is numel/2 bytes whatever ``bnb_4bit_quant_storage`` makes its dtype. Each block of 64
    values has a float32 absmax; with double quantization those absmax, less their mean (``offset``), are
    stored as uint8 with a float32 absmax per 256 blocks and the 8-bit code table (256 float32). The 4-bit
    code table is 16 float32.
    """
    blocks = -(-numel // BLOCKSIZE)
    code = 16 * 4
    if not double_quant:
        return {quant_type: (numel + 1) // 2, "float32": 4 * blocks + code}
    nested = -(-blocks // NESTED_BLOCKSIZE)
    return {quant_type: (numel + 1) // 2, "uint8": blocks, "float32": 4 * nested + 256 * 4 + 4 + code}


def experts_4bit_bytes(shape, double_quant: bool, quant_type: str = "nf4") -> dict[str, int]:
    """Bytes by dtype of a fused [E, O, I] expert tensor as ``phyassist.experts4bit`` stores it: each expert's
    codes, 2 per byte; with double quantization a uint8 scale per 64-value block, and float32 (kept as int32
    bits) scales' scales, one per 256 blocks, and one offset per expert; else a float32 scale per block. No code
    tables (bitsandbytes' constants): ``experts4bit.projection_layout``."""
    from ..experts4bit import projection_layout

    return projection_layout(*shape, double_quant, quant_type, blocksize=BLOCKSIZE)


def experts_in_4bit() -> bool:
    """Whether phyassist's loader stores fused MoE experts in 4 bits (``phyassist.experts4bit`` exists);
    bitsandbytes alone leaves them in the base dtype (bitsandbytes issue 1849)."""
    return importlib.util.find_spec(EXPERTS_MODULE) is not None


@dataclass
class Estimate:
    """Bytes of a base model and of what training adds to it, in the units of the printed table."""

    name: str
    dtype: str  # of the weights left unquantized
    quantization: str | None
    double_quant: bool
    experts_4bit: bool
    params: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    by_part: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    by_dtype: dict[str, int] = field(default_factory=dict)
    bnb_alone_base: int | None = None  # the base with 4-bit experts left as bitsandbytes alone leaves them
    lora_targets: list[str] = field(default_factory=list)
    lora_params: int = 0
    lora_bytes: int = 0
    gradient_bytes: int = 0
    optimizer: str = ""
    optimizer_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> int:
        return sum(self.by_part.values())

    @property
    def total(self) -> int:
        return self.base + self.lora_bytes + self.gradient_bytes + self.optimizer_bytes

    def add(self, part: str, numel: int, by_dtype: dict[str, int]) -> None:
        self.params[part] += numel
        self.by_part[part] += sum(by_dtype.values())
        for dtype, n in by_dtype.items():
            self.by_dtype[dtype] = self.by_dtype.get(dtype, 0) + n


def meta_model(config, dtype):
    """The model ``config`` describes, with every tensor on the meta device (no memory, no weights)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config, dtype=dtype)


def part_of(name: str, module, model) -> str:
    """Which part of the model the module ``name`` belongs to (one of ``PARTS``)."""
    if module is model.get_input_embeddings() or module is model.get_output_embeddings():
        return "embeddings/lm_head"
    path = name.split(".")
    if "experts" in path:
        return "experts"
    if path[-1] in ("gate", "router"):  # MoE routers (Mixtral's `gate`); dense MLPs have `gate_proj`
        return "router"
    if "norm" in type(module).__name__.lower() or "norm" in path[-1]:
        return "norms"
    if {"self_attn", "attention", "attn"} & set(path):
        return "attention"
    if {"mlp", "feed_forward"} & set(path):
        return "mlp"
    return "other"


def _dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def count_base(estimate: Estimate, model, experts_4bit: bool) -> None:
    """Add the bytes of ``model`` (a meta model, its 4-bit layers already swapped in) to ``estimate``."""
    from ..lazy_bnb import loaded

    bnb = loaded()  # imported when 4-bit layers were swapped in; a 16-bit estimate never needs it
    linear_4bit = bnb.nn.Linear4bit if bnb is not None else ()
    modules, quant, double_quant = dict(model.named_modules()), estimate.quantization, estimate.double_quant
    for name, param in model.named_parameters():  # tied weights once
        owner_name, _, attr = name.rpartition(".")
        owner = modules[owner_name]
        part = part_of(owner_name, owner, model)
        if isinstance(owner, linear_4bit) and attr == "weight":
            estimate.add(part, param.numel(), nf4_bytes(param.numel(), double_quant, quant))
        elif part == "experts" and experts_4bit and param.dim() == 3:
            estimate.add(part, param.numel(), experts_4bit_bytes(param.shape, double_quant, quant))
        else:
            estimate.add(part, param.numel(), {_dtype_name(param.dtype): param.numel() * param.element_size()})
    for name, buffer in model.named_buffers():
        owner_name = name.rpartition(".")[0]
        part = part_of(owner_name, modules[owner_name], model)
        estimate.add(part, 0, {_dtype_name(buffer.dtype): buffer.numel() * buffer.element_size()})


def stored_bytes(model) -> dict[str, int]:
    """Bytes a loaded model holds by part: its parameters, buffers and bitsandbytes quantization states
    (absmax, nested absmax, offset, code tables; on weights or on modules), each storage once."""
    import torch
    from bitsandbytes.functional import QuantState

    seen, out = set(), dict.fromkeys(PARTS, 0)

    def add(part, value):
        if isinstance(value, torch.Tensor):
            storage = value.untyped_storage()
            if storage.data_ptr() not in seen:
                seen.add(storage.data_ptr())
                out[part] += storage.nbytes()
        elif isinstance(value, QuantState):
            for tensor in (value.absmax, value.code, value.offset, value.state2):
                add(part, tensor)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(part, item)
        elif isinstance(value, dict):
            for item in value.values():
                add(part, item)

    for name, module in model.named_modules():
        part = part_of(name, module, model)
        for tensor in [*module.parameters(recurse=False), *module.buffers(recurse=False)]:
            add(part, tensor)
            add(part, getattr(tensor, "quant_state", None))
        for value in vars(module).values():
            if isinstance(value, (QuantState, list, tuple, dict)) and not isinstance(value, torch.nn.Module):
                add(part, value)
    return out


def optimizer_state_bytes(optim: str, sizes: list[int]) -> tuple[int, str]:
    """Bytes of the optimizer's state for trainable tensors of ``sizes`` values, and how it was counted."""
    states, bits = OPTIMIZER_STATES.get(optim, (2, 32))
    how = f"{states} float32 states per parameter" if bits == 32 else f"{states} {bits}-bit states per parameter"
    if optim not in OPTIMIZER_STATES:
        how += f" (assumed as for AdamW: {optim} is not in phyassist's table)"
    total = 0
    for n in sizes:
        if bits == 8 and n >= MIN_8BIT_SIZE:
            # bitsandbytes' 8-bit state: a byte per value plus a float32 absmax per 256 values
            total += states * (n + 4 * -(-n // STATE_BLOCKSIZE))
        else:
            total += states * 4 * n
    return total, how


def count_training(estimate: Estimate, cfg, preset, config, dtype) -> None:
    """Add the LoRA adapter of ``cfg`` (TrainConfig fields), its gradients and optimizer state to ``estimate``.

    The adapter is built by peft on a meta copy of the base with the LoraConfig training uses, so every
    target (Linear layers, routers through peft's parameter wrapper) counts as peft builds it.
    """
    from peft import get_peft_model

    from .lora import lora_config

    model = meta_model(config, dtype)
    if estimate.experts_4bit:  # as loaded: peft's target_parameters cannot reach 4-bit experts (a one-line error)
        from ..experts4bit import placeholders
        from ..models import bnb_config

        placeholders(model, bnb_config(estimate.quantization, estimate.double_quant))
    estimate.lora_targets = [*(cfg.lora_target_modules or preset.lora_target_modules),
                             *(getattr(cfg, "lora_target_parameters", None) or [])]
    with warnings.catch_warnings():  # peft asks for transformers' deprecated `is_gradient_checkpointing`
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(model, lora_config(cfg, preset, model))
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    estimate.lora_params = sum(p.numel() for p in trainable)
    estimate.lora_bytes = sum(p.numel() * p.element_size() for p in trainable)
    estimate.gradient_bytes = estimate.lora_bytes  # one gradient per trainable value, in its dtype
    optim = str(getattr(cfg.optim, "value", cfg.optim))  # TrainingArguments turns it into an OptimizerNames enum
    estimate.optimizer_bytes, how = optimizer_state_bytes(optim, [p.numel() for p in trainable])
    estimate.optimizer = f"{cfg.optim}: {how}"


def estimate_memory(preset, cfg, *, experts_4bit: bool | None = None) -> Estimate:
    """The estimate for base ``preset`` trained with ``cfg`` (an object with TrainConfig's fields, its
    ``quantization`` resolved to 'none', 'nf4' or 'fp4'). ``experts_4bit``: count fused MoE experts in 4 bits
    (default: as phyassist's loader stores them, ``experts_in_4bit()``)."""
    import torch
    from transformers import AutoConfig
    from transformers.integrations import replace_with_bnb_linear
    from transformers.quantizers import AutoHfQuantizer

    from ..errors import UserError
    from ..models import base_config_file, bnb_config

    path = base_config_file(preset)
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError, KeyError) as e:
        raise UserError(f"{path}: not a transformers model config ({str(e).strip().splitlines()[0]})") from None
    dtype = config.dtype if cfg.base_dtype == "auto" else getattr(torch, cfg.base_dtype)
    dtype = dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype or "float32"))
    quant = None if cfg.quantization in (None, "none") else cfg.quantization
    model = meta_model(config, dtype)
    has_experts = any("experts" in n.split(".") for n, _ in model.named_parameters())
    experts_4bit = bool(quant) and has_experts and (experts_in_4bit() if experts_4bit is None else experts_4bit)
    if experts_4bit:
        from ..experts4bit import check_quantizable

        check_quantizable(model, quant)  # a layout the loader refuses: the same one-line error here
    estimate = Estimate(preset.hub_id, _dtype_name(dtype), quant, bool(quant and cfg.double_quant), experts_4bit)
    if quant:
        bnb = bnb_config(quant, cfg.double_quant)
        # the layers transformers' bnb quantizer converts when it loads this model: nn.Linear but lm_head
        skip = AutoHfQuantizer.from_config(bnb).get_modules_to_not_convert(
            model, bnb.llm_int8_skip_modules, model._keep_in_fp32_modules)
        replace_with_bnb_linear(model, modules_to_not_convert=skip, quantization_config=bnb)
    count_base(estimate, model, experts_4bit)
    if has_experts and quant:
        how = "as phyassist's loader stores them" if experts_4bit == experts_in_4bit() else (
            "as bitsandbytes alone leaves them" if not experts_4bit else f"as {EXPERTS_MODULE} would store them")
        kind = (f"{quant}, each expert quantized on its own ({EXPERTS_MODULE})" if experts_4bit
                else f"{estimate.dtype} (bitsandbytes converts nn.Linear layers only)")
        estimate.notes.append(f"experts: {kind}, {how}")
    if experts_4bit:
        size = torch.empty(0, dtype=dtype).element_size()
        estimate.bnb_alone_base = estimate.base - estimate.by_part["experts"] + size * estimate.params["experts"]
    count_training(estimate, cfg, preset, config, dtype)
    return estimate
