"""Fused MoE experts in 4 bits (phyassist.experts4bit): the experts really hold packed NF4 codes, the forward and
the LoRA gradients equal those of the same model with the experts dequantized, adapters round-trip, loading
quantizes the experts as it reads them, and bad input is one line.

The references are the same model with ``dequantize_experts``: transformers' own experts module holding the
4-bit weights dequantized, so any difference is ours, not the quantization's. Each comparison also checks
the unquantized model is further away, so a test cannot pass with quantization silently off. Tolerances
follow the dtype computed in: float32 everywhere, and bfloat16 (emulated on CPUs without it: slower, same
numbers).
"""

from __future__ import annotations

import copy

import pytest
import torch

from phyassist import experts4bit
from phyassist.errors import UserError
from phyassist.experts4bit import Experts4bit, dequantize_experts, projection_bytes, quantize_experts
from phyassist.models import bnb_config, load_model_and_tokenizer

# max |difference| allowed, relative to the reference's max |value|
TOLERANCE = {torch.float32: 1e-5, torch.bfloat16: 2e-2}
DTYPES = pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
E, H, I = 4, 64, 128  # experts, hidden, intermediate  # noqa: E741


@pytest.fixture(scope="module")
def mixtral():
    """A 2-layer random Mixtral (4 experts, top-2) with a 96-token vocabulary: milliseconds per forward."""
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(0)
    config = MixtralConfig(vocab_size=96, hidden_size=H, intermediate_size=I, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, num_local_experts=E, num_experts_per_tok=2)
    return MixtralForCausalLM(config).eval()


def quantized(model, dtype=torch.float32, double_quant=True, quant_type="nf4"):
    q = copy.deepcopy(model).to(dtype)
    return q, quantize_experts(q, bnb_config(quant_type, double_quant, dtype))


def reference(q, dtype=torch.float32):
    ref = copy.deepcopy(q)
    assert dequantize_experts(ref, dtype) == 4
    return ref


def expert_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for n, p in model.named_parameters() if ".experts." in n)


def close(a, b, dtype) -> bool:
    return (a.float() - b.float()).abs().max() <= TOLERANCE[dtype] * b.float().abs().max()


IDS = torch.tensor([[3, 17, 42, 8, 91, 5, 60, 33, 2], [7, 7, 12, 80, 44, 1, 0, 19, 64]])


@pytest.mark.parametrize("double_quant", [True, False], ids=["double-quant", "single-quant"])
def test_experts_hold_packed_4bit_codes(mixtral, double_quant):
    q, count = quantized(mixtral, torch.bfloat16, double_quant)
    assert count == 4  # gate_up_proj and down_proj in each of the 2 layers
    experts = q.model.layers[0].mlp.experts
    assert isinstance(experts, Experts4bit)
    assert experts.gate_up_proj.dtype == torch.uint8 and experts.gate_up_proj.shape == (E, 2 * I, H // 2)
    assert experts.down_proj.dtype == torch.uint8 and experts.down_proj.shape == (E, H, I // 2)
    stored = {n: p.dtype for n, p in q.named_parameters() if ".experts." in n}
    assert set(stored.values()) <= {torch.uint8, torch.int32} and not any(p.requires_grad for p in experts.parameters())
    assert experts.gate_up_proj_absmax.dtype == (torch.uint8 if double_quant else torch.int32)
    # bytes: bf16 before (2 per weight) against the documented formula after, about 3.9x less
    assert expert_bytes(copy.deepcopy(mixtral).to(torch.bfloat16)) == 2 * 2 * E * (2 * I * H + H * I) == 393_216
    after = 2 * (projection_bytes(E, 2 * I, H, double_quant) + projection_bytes(E, H, I, double_quant))
    assert expert_bytes(q) == after == (101_504 if double_quant else 110_592)
    # the router and attention are untouched by this module (bitsandbytes' loader quantizes the Linear layers)
    assert q.model.layers[0].mlp.gate.weight.dtype == torch.bfloat16


def test_codes_match_bitsandbytes_own_round_trip(mixtral):
    """Each expert dequantizes to exactly what bitsandbytes makes of that expert alone: the stacked layout and
    the rebuilt quantization state (nested codebook included) lose nothing."""
    import bitsandbytes.functional as F

    q, _ = quantized(mixtral)
    weight = mixtral.model.layers[1].mlp.experts.gate_up_proj.detach()
    mine = q.model.layers[1].mlp.experts.dequantized("gate_up_proj", torch.float32)
    for e in range(E):
        packed, state = F.quantize_4bit(weight[e].contiguous(), compress_statistics=True, quant_type="nf4")
        assert torch.equal(mine[e], F.dequantize_4bit(packed, state))
    assert not torch.equal(mine, weight) and (mine - weight).abs().max() < 0.2 * weight.abs().max()


def test_dtype_casts_cannot_round_the_stored_state(mixtral):
    q, _ = quantized(mixtral)
    before = {n: p.clone() for n, p in q.named_parameters() if ".experts." in n}
    q.to(torch.bfloat16).to(torch.float32)  # a cast would round float32 scales; integer storage is left alone
    assert all(torch.equal(before[n], p) for n, p in q.named_parameters() if ".experts." in n)


@DTYPES
def test_forward_matches_the_dequantized_reference(mixtral, dtype):
    q, _ = quantized(mixtral, dtype)
    with torch.no_grad():
        out, ref = q(IDS).logits, reference(q, dtype)(IDS).logits
        full = copy.deepcopy(mixtral).to(dtype)(IDS).logits
    assert out.dtype == dtype and close(out, ref, dtype)
    assert not close(full, ref, dtype)  # the experts really were quantized


def _lora(model, seed: int = 1):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate"],
                        init_lora_weights=False)  # B random too, so every LoRA weight gets a gradient
    return get_peft_model(model, config)


def _lora_grads(model) -> dict[str, torch.Tensor]:
    model(input_ids=IDS, labels=IDS).loss.backward()
    return {n: p.grad.float() for n, p in model.named_parameters() if p.requires_grad}


@DTYPES
def test_lora_gradients_match_the_dequantized_reference(mixtral, dtype):
    """Attention and router LoRA in both layers: layer 0's gradients flow back through layer 0's 4-bit experts
    (``bitsandbytes.matmul_4bit`` dequantizes one expert again in backward)."""
    q, _ = quantized(mixtral, dtype)
    ref = reference(q, dtype)
    grads, expected = _lora_grads(_lora(q).train()), _lora_grads(_lora(ref).train())
    assert set(grads) == set(expected) and any("gate" in n for n in grads) and any("layers.0" in n for n in grads)
    assert all(close(grads[n], expected[n], dtype) for n in expected)
    assert not any(p.grad is not None for n, p in q.named_parameters() if ".experts." in n)


def test_adapter_saves_and_loads_on_the_4bit_base(mixtral, tmp_path):
    from peft import PeftModel

    q, _ = quantized(mixtral)
    base = copy.deepcopy(q)
    adapted = _lora(q).eval()
    with torch.no_grad():
        expected = adapted(IDS).logits
    adapted.save_pretrained(tmp_path / "adapter")
    from safetensors.torch import load_file

    saved = load_file(tmp_path / "adapter" / "adapter_model.safetensors")
    assert saved and all("lora_" in k for k in saved)  # the adapter alone, no expert codes
    reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    with torch.no_grad():
        assert torch.equal(reloaded(IDS).logits, expected)
        with reloaded.disable_adapter():
            assert not close(reloaded(IDS).logits, expected, torch.float32)  # the adapter changes the answer


@pytest.mark.parametrize("double_quant", [True, False], ids=["double-quant", "single-quant"])
def test_loading_quantizes_the_experts_as_it_reads_them(tiny_mixtral_dir, caplog, double_quant):
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    model, _ = load_model_and_tokenizer(str(tiny_mixtral_dir), quantization="nf4", double_quant=double_quant,
                                        dtype=torch.float32)
    # transformers' loader went through phyassist's quantizer: no 16-bit experts were ever kept
    assert type(model.hf_quantizer).__name__ == "ExpertsBnb4BitHfQuantizer"
    assert "quantized after loading" not in caplog.text
    layer = model.model.layers[0]
    assert isinstance(layer.mlp.experts, Experts4bit) and layer.mlp.experts.double_quant is double_quant
    assert isinstance(layer.self_attn.q_proj, bnb.nn.Linear4bit)  # attention as the recipe asks, as before
    assert layer.mlp.gate.weight.dtype == torch.float32  # the router stays in the compute dtype
    assert quantize_experts(model, bnb_config("nf4", double_quant, torch.float32)) == 0  # nothing left to do
    # the same codes as quantizing after an ordinary load
    after = AutoModelForCausalLM.from_pretrained(tiny_mixtral_dir, dtype=torch.float32)
    quantize_experts(after, bnb_config("nf4", double_quant, torch.float32))
    loaded, expected = dict(model.named_parameters()), dict(after.named_parameters())
    experts = [n for n in expected if ".experts." in n]
    assert len(experts) == (16 if double_quant else 8) and all(torch.equal(loaded[n], expected[n]) for n in experts)
    with pytest.raises(ValueError, match="not serializable"):  # no on-disk format: dequantize first
        model.save_pretrained(tiny_mixtral_dir.parent / "never-written")


def test_unquantizable_experts_are_one_line_and_left_alone():
    from transformers import GptOssConfig, GptOssForCausalLM

    config = GptOssConfig(vocab_size=96, hidden_size=64, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                          num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, head_dim=16,
                          layer_types=["full_attention"])
    model = GptOssForCausalLM(config)
    with pytest.raises(UserError) as info:
        quantize_experts(model, bnb_config("nf4"))
    assert str(info.value) == (
        "`quantization` 'nf4': model.layers.0.mlp.experts (GptOssExperts) holds its experts transposed, with biases, "
        "with gate and up interleaved, a layout phyassist cannot store in 4 bits; use `quantization: none`")
    assert type(model.model.layers[0].mlp.experts).__name__ == "GptOssExperts"  # nothing replaced


def test_lora_on_4bit_experts_is_refused_in_one_line(mixtral):
    q, _ = quantized(mixtral)
    experts4bit.refuse_lora_on_4bit_experts(mixtral, ["mlp.experts.gate_up_proj"])  # 16-bit experts: fine
    with pytest.raises(UserError) as info:
        experts4bit.refuse_lora_on_4bit_experts(q, ["mlp.experts.gate_up_proj", "self_attn.q_proj.weight"])
    assert str(info.value) == (
        "`lora_target_parameters` ['mlp.experts.gate_up_proj']: these experts are stored in 4 bits, where peft's "
        "target_parameters cannot add LoRA; adapt them on a 16-bit base (`quantization: none`) or leave them out")


def test_peft_target_parameters_on_4bit_experts_fail_loudly(mixtral):
    """Straight through peft (no phyassist config in between), LoRA on the packed codes would be meaningless:
    the first forward refuses instead of training on them."""
    from peft import LoraConfig, get_peft_model

    q, _ = quantized(mixtral)
    model = get_peft_model(q, LoraConfig(r=4, target_modules=["q_proj"],
                                         target_parameters=["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]))
    with pytest.raises(UserError) as info:
        model(IDS)
    assert str(info.value) == (
        "`target_parameters` ['down_proj', 'gate_up_proj']: these experts are stored in 4 bits, where peft's "
        "target_parameters cannot add LoRA; adapt them on a 16-bit base (`quantization: none`) or leave them out")


def test_dequantized_experts_are_the_models_own_class(mixtral):
    q, _ = quantized(mixtral)
    ref = reference(q, torch.bfloat16)
    experts = ref.model.layers[0].mlp.experts
    assert type(experts) is type(mixtral.model.layers[0].mlp.experts)
    assert experts.gate_up_proj.dtype == torch.bfloat16 and experts.gate_up_proj.shape == (E, 2 * I, H)
    assert not experts4bit.fused_experts(q) and len(experts4bit.fused_experts(ref)) == 2
