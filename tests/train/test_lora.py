"""LoRA targets (phyassist.train.lora): peft's ``target_parameters`` reach an MoE's fused experts on a 16-bit
base, are refused in one line on 4-bit experts, and targets a base cannot take are refused before a run
touches its output folder."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch
from conftest import tiny_train_config

from phyassist.errors import UserError
from phyassist.models import BasePreset, bnb_config
from phyassist.train.lora import lora_config

EXPERTS = ["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]
PRESET = BasePreset("tiny-mixtral", "phyassist-tests/tiny-mixtral", ("q_proj", "k_proj", "v_proj", "o_proj", "gate"))


@pytest.fixture(scope="module")
def mixtral():
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(0)
    return MixtralForCausalLM(MixtralConfig(vocab_size=96, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                            num_attention_heads=4, num_key_value_heads=2, num_local_experts=4,
                                            num_experts_per_tok=2))


def cfg(**kw):
    return SimpleNamespace(**{"lora_target_modules": None, "lora_target_parameters": None, "lora_r": 4,
                              "lora_alpha": 8, "lora_dropout": 0.0, **kw})


def message(fn) -> str:
    with pytest.raises(UserError) as info:
        fn()
    return str(info.value)


def test_expert_parameters_take_lora_on_a_16bit_base(mixtral, caplog):
    from peft import get_peft_model

    config = lora_config(cfg(lora_target_parameters=EXPERTS, lora_dropout=0.05), PRESET, mixtral)
    assert sorted(config.target_parameters) == sorted(EXPERTS) and config.lora_dropout == 0.0
    assert "`lora_dropout` 0.05 set to 0" in caplog.text  # peft's ParamWrapper refuses dropout
    model = get_peft_model(copy.deepcopy(mixtral), config)
    ids = torch.tensor([[3, 17, 42, 8, 91, 5]])
    model(input_ids=ids, labels=ids).loss.backward()
    grads = [n for n, p in model.named_parameters() if p.grad is not None and ".experts." in n]
    assert len(grads) == 8  # lora_A and lora_B of both projections in both layers


def test_expert_parameters_on_4bit_experts_are_refused(mixtral):
    from phyassist.experts4bit import quantize_experts

    quantized = copy.deepcopy(mixtral)
    quantize_experts(quantized, bnb_config("nf4", True, torch.float32))
    assert message(lambda: lora_config(cfg(lora_target_parameters=EXPERTS), PRESET, quantized)) == (
        "`lora_target_parameters` ['mlp.experts.down_proj', 'mlp.experts.gate_up_proj']: these experts are stored in "
        "4 bits, where peft's target_parameters cannot add LoRA; adapt them on a 16-bit base (`quantization: none`) "
        "or leave them out")
    assert lora_config(cfg(), PRESET, quantized).target_parameters is None  # attention + router: as before


def test_parameters_that_cannot_take_lora(mixtral):
    assert message(lambda: lora_config(cfg(lora_target_modules=["q_proj", "experts"]), PRESET, mixtral)) == (
        "`lora_target_modules` ['experts']: fused experts are 3-D parameters, not layers; name them in "
        "`lora_target_parameters` instead (mlp.experts.down_proj, mlp.experts.gate_up_proj)")
    assert message(lambda: lora_config(cfg(lora_target_parameters=["input_layernorm.weight"]), PRESET, mixtral)) == (
        "`lora_target_parameters` ['input_layernorm.weight']: peft adapts 2-D and 3-D weights only, these are 1-D")
    assert message(lambda: lora_config(cfg(lora_target_parameters=["mlp.experts.up_proj"]), PRESET, mixtral)) == (
        "`lora_target_parameters` ['mlp.experts.up_proj'] not found in phyassist-tests/tiny-mixtral; expected "
        "parameter names such as ['mlp.experts.down_proj', 'mlp.experts.gate_up_proj']")


@pytest.fixture
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))


@pytest.mark.usefixtures("_data_env")
def test_refusals_come_before_the_output_folder_is_touched(tiny_mixtral_dir, tmp_path):
    from transformers import GptOssConfig

    from phyassist.train.trainer import build_trainer

    out = tmp_path / "run"
    config = tiny_train_config(tiny_mixtral_dir, out, quantization="nf4", lora_target_parameters=",".join(EXPERTS))
    assert config.lora_target_parameters == EXPERTS  # a comma list on the command line
    assert message(lambda: build_trainer(config)).startswith(
        "`lora_target_parameters` ['mlp.experts.down_proj', 'mlp.experts.gate_up_proj']: these experts are stored in "
        "4 bits")
    assert not out.exists()
    # a base whose experts have a layout 4-bit storage cannot hold (gpt-oss: transposed, biased, interleaved)
    gpt_oss = tmp_path / "gpt-oss"
    GptOssConfig(vocab_size=96, hidden_size=64, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                 num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, head_dim=16,
                 layer_types=["full_attention"]).save_pretrained(gpt_oss)
    config = tiny_train_config(gpt_oss, out, quantization="nf4")
    assert message(lambda: build_trainer(config)) == (
        "`quantization` 'nf4': model.layers.0.mlp.experts (GptOssExperts) holds its experts transposed, with biases, "
        "with gate and up interleaved, a layout phyassist cannot store in 4 bits; use `quantization: none`")
    assert not out.exists()


@pytest.mark.usefixtures("_data_env")
def test_qlora_without_bitsandbytes_is_one_line(tiny_mixtral_dir, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == "bitsandbytes"
                        else real(name, *a, **k))
    assert message(lambda: tiny_train_config(tiny_mixtral_dir, tmp_path / "run", quantization="nf4")) == (
        "`quantization` 'nf4' needs the bitsandbytes package; install it with: pip install bitsandbytes "
        "(or set `quantization: none` for a 16-bit base)")
    assert not (tmp_path / "run").exists()
