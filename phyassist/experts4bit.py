"""Fused mixture-of-experts weights in 4 bits (NF4/FP4): the part of an MoE that bitsandbytes' loading misses.

bitsandbytes' 4-bit loading replaces ``nn.Linear`` modules, and transformers 5 holds the experts of a
Mixtral-like layer as two fused 3-D parameters (``experts.gate_up_proj`` [E, 2I, H], ``experts.down_proj``
[E, H, I]), so they stayed 16-bit (Mixtral-8x7B: 45 of its 46.7B weights). Here each such module becomes an
``Experts4bit``: every expert quantized on its own with ``bitsandbytes.functional.quantize_4bit``, and the
forward runs one routed expert at a time through ``bitsandbytes.matmul_4bit``, which dequantizes that
expert's weights in forward and again in backward, so only one expert is ever 16-bit at once.

API (``models.load_model_and_tokenizer`` calls the first two; export calls ``dequantize_experts``):

- ``quantizing_on_load()``: a context in which transformers' bitsandbytes 4-bit loader also quantizes fused
  experts as their tensors are read (peak memory: one layer's experts in 16 bits, not the whole model).
- ``quantize_experts(model, quantization_config) -> int``: the same after loading (a no-op for experts
  already in 4 bits); ``quantization_config`` is a ``BitsAndBytesConfig``. Returns how many fused expert
  tensors it quantized (two per MoE layer).
- ``dequantize_experts(model, dtype=None) -> int``: back to the model's own experts class with plain
  dequantized weights (in ``dtype``, default the compute dtype), e.g. to merge an adapter and save.
- ``check_quantizable(model, quantization)``: a ``UserError`` naming the first fused experts module whose
  layout this cannot store (transposed, biased, interleaved, ...); ``fused_experts(model)`` lists them.
- ``placeholders(model, quantization_config) -> int``: ``Experts4bit`` shells around a (meta) skeleton's experts,
  which loading fills; ``phyassist.train.lora.check_before_loading`` checks LoRA targets against them.
- ``refuse_lora_on_4bit_experts(model, targets, field)``: a ``UserError`` when peft's ``target_parameters``
  name 4-bit experts (peft adds its delta to the parameter itself, which here holds packed codes); should peft
  wrap them anyway (its API used directly), ``Experts4bit.forward`` raises the same line.
- ``projection_bytes(num_experts, out_features, in_features, double_quant, blocksize=64) -> int``, and
  ``projection_layout(...)``: the same by dtype.

Storage of one projection ``P`` (``gate_up_proj`` or ``down_proj``) of logical shape [E, O, I], n = O*I
weights per expert, nb = ceil(n / 64) blocks (bitsandbytes' blocksize, recorded in ``blocksize``)::

    P            uint8 [E, O, I/2]           two 4-bit codes per byte
    P_absmax     uint8 [E, nb]               double quant: 8-bit block scales
                 int32 [E, nb]               single quant: the float32 block scales' bits
    P_absmax2    int32 [E, ceil(nb / 256)]   double quant only: float32 bits of the scales' scales
    P_offset     int32 [E]                   double quant only: float32 bits of the scales' mean

All are frozen ``nn.Parameter``s of integer dtypes: a dtype cast (``.to(bf16)``, autocast, peft's upcasting)
cannot round them and DDP does not broadcast them every step as it would buffers. Float32 values are kept as
their bits (``.view(torch.float32)`` reads them). The codebooks (16 values, and 256 for double quant) are
bitsandbytes' constants, not stored. A quantized model is not saveable with ``save_pretrained``; dequantize it.

Layouts: transformers' default fused experts (gate and up concatenated, [out, in] per expert, no biases; Mixtral,
Qwen2/3-MoE, OLMoE, ...). Others (gpt-oss: transposed, biased, interleaved) are refused, never left 16-bit.
Multi-GPU: ``device_map`` placement and DDP work (frozen parameters are neither reduced nor broadcast). FSDP1
cannot: the codes stay uint8/int32 whatever ``bnb_4bit_quant_storage`` says, so they cannot share a flat
parameter with 16-bit weights; FSDP2 shards parameter by parameter (along experts) and is untested here.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading

import torch
from torch import nn

from .errors import UserError

logger = logging.getLogger(__name__)

PROJECTIONS = ("gate_up_proj", "down_proj")
NESTED_BLOCKSIZE = 256  # bitsandbytes' double quantization: 256 block scales per float32 scale
_FIX = "adapt them on a 16-bit base (`quantization: none`) or leave them out"


def projection_layout(num_experts: int, out_features: int, in_features: int, double_quant: bool,
                      quant_type: str = "nf4", blocksize: int = 64) -> dict[str, int]:
    """Bytes by dtype of one 4-bit projection in the layout above (float32 values kept as int32 bits count as
    float32): the memory estimator's figures."""
    n = out_features * in_features
    blocks = math.ceil(n / blocksize)
    if not double_quant:
        return {quant_type: num_experts * (n // 2), "float32": num_experts * 4 * blocks}
    nested = math.ceil(blocks / NESTED_BLOCKSIZE)
    return {quant_type: num_experts * (n // 2), "uint8": num_experts * blocks,
            "float32": num_experts * 4 * (nested + 1)}  # scales' scales and one offset per expert


def projection_bytes(num_experts: int, out_features: int, in_features: int, double_quant: bool,
                     blocksize: int = 64) -> int:
    """Bytes one 4-bit projection holds in the layout above."""
    return sum(projection_layout(num_experts, out_features, in_features, double_quant, blocksize=blocksize).values())


def _float_bits(t: torch.Tensor) -> torch.Tensor:
    return t.float().contiguous().view(torch.int32)


def _frozen(t: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(t, requires_grad=False)


class Experts4bit(nn.Module):
    """A fused experts module of transformers 5 (Mixtral's ``MixtralExperts`` and its kin) with 4-bit weights.

    Same call as the module it replaces: ``forward(hidden_states [T, H], top_k_index [T, k],
    top_k_weights [T, k]) -> [T, H]``; computes in ``compute_dtype`` and returns the input's dtype.
    """

    def __init__(self, source: nn.Module, quant_type: str = "nf4", double_quant: bool = True,
                 compute_dtype: torch.dtype = torch.bfloat16, blocksize: int = 64):
        super().__init__()
        self.source_cls = type(source)  # dequantize_experts rebuilds this class
        self.config = getattr(source, "config", None)
        self.num_experts = source.num_experts
        self.act_fn = source.act_fn
        self.quant_type, self.double_quant, self.blocksize = quant_type, double_quant, blocksize
        self.compute_dtype = compute_dtype
        self.shapes = {name: tuple(getattr(source, name).shape[1:]) for name in PROJECTIONS}  # (O, I) per expert
        self._codes: dict = {}

    @classmethod
    def from_float(cls, source: nn.Module, **kwargs) -> "Experts4bit":
        """Quantize ``source``'s experts one at a time, on the device they are on."""
        module = cls(source, **kwargs)
        for name in PROJECTIONS:
            module.set_projection(name, getattr(source, name).detach())
        return module

    def set_projection(self, name: str, weight: torch.Tensor) -> nn.Parameter:
        """Quantize a [E, O, I] float tensor into projection ``name``, expert by expert; returns the packed codes."""
        import bitsandbytes.functional as F

        E, O, I = weight.shape  # noqa: E741
        packed, absmax, absmax2, offset = [], [], [], []
        for e in range(E):
            q, state = F.quantize_4bit(weight[e].contiguous(), blocksize=self.blocksize,
                                       compress_statistics=self.double_quant, quant_type=self.quant_type)
            packed.append(q.view(O, I // 2))
            if self.double_quant:
                absmax.append(state.absmax)
                absmax2.append(_float_bits(state.state2.absmax))
                offset.append(_float_bits(state.offset.reshape(1)))
            else:
                absmax.append(_float_bits(state.absmax))
            del q, state
        self.register_parameter(name, _frozen(torch.stack(packed)))
        self.register_parameter(f"{name}_absmax", _frozen(torch.stack(absmax)))
        if self.double_quant:
            self.register_parameter(f"{name}_absmax2", _frozen(torch.stack(absmax2)))
            self.register_parameter(f"{name}_offset", _frozen(torch.cat(offset)))
        return getattr(self, name)

    def _code(self, kind: str, device) -> torch.Tensor:
        import bitsandbytes.functional as F

        key = (kind, str(device))
        if key not in self._codes:
            code = F.get_4bit_type(self.quant_type, device=device) if kind == "4bit" else F.create_dynamic_map()
            self._codes[key] = code.to(device)
        return self._codes[key]

    def quant_state(self, name: str, e: int, dtype: torch.dtype | None = None):
        """bitsandbytes' ``QuantState`` of expert ``e`` of projection ``name`` (views, nothing copied)."""
        from bitsandbytes.functional import QuantState

        absmax = getattr(self, f"{name}_absmax")[e]
        device = absmax.device
        common = dict(shape=torch.Size(self.shapes[name]), code=self._code("4bit", device), blocksize=self.blocksize,
                      quant_type=self.quant_type, dtype=dtype or self.compute_dtype)
        if not self.double_quant:
            return QuantState(absmax=absmax.view(torch.float32), **common)
        state2 = QuantState(absmax=getattr(self, f"{name}_absmax2")[e].view(torch.float32),
                            code=self._code("nested", device), blocksize=NESTED_BLOCKSIZE, dtype=torch.float32)
        offset = getattr(self, f"{name}_offset").view(torch.float32)[e]
        return QuantState(absmax=absmax, offset=offset, state2=state2, **common)

    def dequantized(self, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Projection ``name`` as a [E, O, I] tensor in ``dtype`` (default the compute dtype)."""
        import bitsandbytes.functional as F

        packed = getattr(self, name)
        return torch.stack([F.dequantize_4bit(packed[e].reshape(-1, 1), self.quant_state(name, e, dtype))
                            for e in range(self.num_experts)])

    def _linear(self, x: torch.Tensor, name: str, e: int) -> torch.Tensor:
        import bitsandbytes as bnb

        return bnb.matmul_4bit(x.to(self.compute_dtype), getattr(self, name)[e], self.quant_state(name, e))

    def forward(self, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor):
        if nn.utils.parametrize.is_parametrized(self):  # peft's ParamWrapper, however it got there: never silently
            raise UserError(f"`target_parameters` {sorted(self.parametrizations.keys())}: these experts are stored in "
                            f"4 bits, where peft's target_parameters cannot add LoRA; {_FIX}")
        # the routing of transformers' eager experts loop; index num_experts marks tokens routed elsewhere
        final = torch.zeros_like(hidden_states)
        with torch.no_grad():
            mask = nn.functional.one_hot(top_k_index, num_classes=self.num_experts + 1).permute(2, 1, 0)
            hit = torch.greater(mask.sum(dim=(-1, -2)), 0).nonzero().flatten().tolist()
        for e in hit:
            if e == self.num_experts:
                continue
            top_k_pos, token_idx = torch.where(mask[e])
            gate, up = self._linear(hidden_states[token_idx], "gate_up_proj", e).chunk(2, dim=-1)
            out = self._linear(self.act_fn(gate) * up, "down_proj", e).to(hidden_states.dtype)
            out = out * top_k_weights[token_idx, top_k_pos, None]
            final.index_add_(0, token_idx, out.to(final.dtype))
        return final

    def extra_repr(self) -> str:
        shapes = ", ".join(f"{n}=[{self.num_experts}, {o}, {i}]" for n, (o, i) in self.shapes.items())
        return (f"{shapes}, quant_type={self.quant_type}, double_quant={self.double_quant}, "
                f"compute_dtype={self.compute_dtype}")


def _is_fused_experts(module: nn.Module) -> bool:
    """A module holding its experts as 3-D float parameters (one slice per expert)."""
    n = getattr(module, "num_experts", None)
    if not isinstance(n, int) or isinstance(module, Experts4bit):
        return False
    return any(p.ndim == 3 and p.shape[0] == n and p.is_floating_point() for p in module.parameters(recurse=False))


def fused_experts(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every fused experts module still in 16/32 bits."""
    return [(name, m) for name, m in model.named_modules() if _is_fused_experts(m)]


def _unsupported(module: nn.Module) -> str | None:
    """Why ``module``'s layout cannot be stored as ``Experts4bit``, or None when it can."""
    from transformers.integrations import moe

    flags = (("is_transposed", True, "transposed"), ("has_bias", True, "with biases"),
             ("is_concatenated", False, "with gate and up interleaved"),
             ("has_gate", False, "without a gate projection"),
             ("has_post_expert_norm", True, "with a norm after each expert"))
    whys = [why for flag, value, why in flags if getattr(module, flag, not value) == value]
    if whys:
        return ", ".join(whys)
    params = dict(module.named_parameters(recurse=False))
    if sorted(params) != sorted(PROJECTIONS):
        return f"in parameters {', '.join(sorted(params))} (expected {' and '.join(PROJECTIONS)} only)"
    if getattr(type(module), "_apply_gate", moe._default_apply_gate) is not moe._default_apply_gate:
        return "with its own gating function"
    (two_i, h), (h2, i) = params["gate_up_proj"].shape[1:], params["down_proj"].shape[1:]
    if two_i != 2 * i or h2 != h or not hasattr(module, "act_fn"):
        return f"in shapes {list(params['gate_up_proj'].shape)} and {list(params['down_proj'].shape)}"
    if h % 2 or i % 2:
        return "with an odd inner dimension"
    return None


def check_quantizable(model: nn.Module, quantization: str = "nf4") -> None:
    """A one-line ``UserError`` for the first fused experts module that ``Experts4bit`` cannot hold."""
    for name, module in fused_experts(model):
        why = _unsupported(module)
        if why:
            raise UserError(f"`quantization` {quantization!r}: {name} ({type(module).__name__}) holds its experts "
                            f"{why}, a layout phyassist cannot store in 4 bits; use `quantization: none`")


def _settings(quantization_config) -> dict:
    import torch

    return dict(quant_type=quantization_config.bnb_4bit_quant_type,
                double_quant=bool(quantization_config.bnb_4bit_use_double_quant),
                compute_dtype=quantization_config.bnb_4bit_compute_dtype or torch.float32)


def quantize_experts(model: nn.Module, quantization_config) -> int:
    """Replace every fused experts module by an ``Experts4bit``; returns the number of expert tensors quantized."""
    check_quantizable(model, quantization_config.bnb_4bit_quant_type)
    settings, count = _settings(quantization_config), 0
    for name, module in fused_experts(model):
        model.set_submodule(name, Experts4bit.from_float(module, **settings))
        count += len(PROJECTIONS)
        del module  # the 16-bit tensors go as soon as their module is replaced
    for module in [m for m in model.modules() if isinstance(m, Experts4bit)]:
        for proj in PROJECTIONS:  # a placeholder that loading left in 16 bits (not in the checkpoint)
            if getattr(module, proj).is_floating_point():
                module.set_projection(proj, getattr(module, proj).detach())
                count += 1
    if count:
        logger.info("Quantized %d fused expert tensors to %s", count, settings["quant_type"])
    return count


def placeholders(model: nn.Module, quantization_config) -> int:
    """Replace every fused experts module by an ``Experts4bit`` holding the module's own (unquantized, typically
    meta-device) tensors under the projection names, for loading to fill; returns how many modules."""
    found = fused_experts(model)
    for name, module in found:
        placeholder = Experts4bit(module, **_settings(quantization_config))
        for proj in PROJECTIONS:
            placeholder.register_parameter(proj, getattr(module, proj))
        model.set_submodule(name, placeholder)
    return len(found)


def dequantize_experts(model: nn.Module, dtype: torch.dtype | None = None) -> int:
    """Replace every ``Experts4bit`` by its original experts class holding the dequantized weights."""
    count = 0
    for name, module in [(n, m) for n, m in model.named_modules() if isinstance(m, Experts4bit)]:
        with torch.device("meta"):
            plain = module.source_cls(module.config)
        for proj in PROJECTIONS:
            setattr(plain, proj, nn.Parameter(module.dequantized(proj, dtype), requires_grad=False))
        model.set_submodule(name, plain)
        count += len(PROJECTIONS)
    return count


def refuse_lora_on_4bit_experts(model: nn.Module, targets, field: str = "lora_target_parameters",
                                fix: str = _FIX) -> None:
    """A one-line ``UserError`` when peft ``target_parameters`` (suffix match, as peft does) hit 4-bit experts:
    peft adds its delta to the parameter itself, and here that holds packed 4-bit codes."""
    hit = sorted({t for name, m in model.named_modules() if isinstance(m, Experts4bit)
                  for proj in PROJECTIONS for t in targets or () if f"{name}.{proj}" == t
                  or f"{name}.{proj}".endswith(f".{t}")})
    if hit:
        raise UserError(f"`{field}` {hit}: these experts are stored in 4 bits, where peft's target_parameters "
                        f"cannot add LoRA; {fix}")


# ---- quantizing while transformers loads the weights ------------------------------------------------------
# transformers' bitsandbytes loader quantizes each nn.Linear weight as it reads it; a subclass of its quantizer
# turns fused experts into Experts4bit placeholders before loading and quantizes their tensors the same way,
# so the 16-bit experts never all exist at once. It relies on transformers' quantizer hooks
# (tests/test_experts4bit.py fails if loading stops going through them).
_LOCK = threading.Lock()
_BNB_4BIT = "bitsandbytes_4bit"


def _quantizer_class():
    from transformers.core_model_loading import ConversionOps
    from transformers.integrations.bitsandbytes import Bnb4bitQuantize
    from transformers.quantizers.quantizer_bnb_4bit import Bnb4BitHfQuantizer
    from transformers.quantizers.quantizers_utils import get_module_from_name

    class QuantizeOnLoad(ConversionOps):
        def __init__(self, hf_quantizer):
            self.hf_quantizer, self.linear = hf_quantizer, Bnb4bitQuantize(hf_quantizer)

        def convert(self, input_dict, model=None, **kwargs):
            out = {}
            for name, value in input_dict.items():
                module, proj = get_module_from_name(model, name)
                if isinstance(module, Experts4bit):
                    out[name] = module.set_projection(proj, value[0] if isinstance(value, list) else value)
                else:
                    out.update(self.linear.convert({name: value}, model=model, **kwargs))
            return out

    class ExpertsBnb4BitHfQuantizer(Bnb4BitHfQuantizer):
        """transformers' bitsandbytes 4-bit quantizer, plus fused experts as ``Experts4bit``."""

        def _process_model_before_weight_loading(self, model, device_map, **kwargs):
            super()._process_model_before_weight_loading(model, device_map, **kwargs)
            check_quantizable(model, self.quantization_config.bnb_4bit_quant_type)
            placeholders(model, self.quantization_config)  # still on the meta device: no weights yet

        def param_needs_quantization(self, model, param_name: str, **kwargs) -> bool:
            module, proj = get_module_from_name(model, param_name)
            if isinstance(module, Experts4bit):
                return proj in PROJECTIONS
            return super().param_needs_quantization(model, param_name, **kwargs)

        def get_quantize_ops(self):
            return QuantizeOnLoad(self)

        def _dequantize(self, model, dtype=None):
            dequantize_experts(model, dtype)
            return super()._dequantize(model, dtype=dtype)

        def is_serializable(self):
            return False  # Experts4bit has no on-disk format: dequantize first

    return ExpertsBnb4BitHfQuantizer


@contextlib.contextmanager
def quantizing_on_load():
    """Within: ``from_pretrained`` with a bitsandbytes 4-bit config also stores fused experts as ``Experts4bit``."""
    from transformers.quantizers import auto

    with _LOCK:
        before = auto.AUTO_QUANTIZER_MAPPING[_BNB_4BIT]
        auto.AUTO_QUANTIZER_MAPPING[_BNB_4BIT] = _quantizer_class()
        try:
            yield
        finally:
            auto.AUTO_QUANTIZER_MAPPING[_BNB_4BIT] = before
