"""``phyassist models memory`` (phyassist.train.memory_cli): its flags, its table, its one-line errors."""

from __future__ import annotations

import re

import pytest

from phyassist.cli import main
from phyassist.errors import UserError
from phyassist.train.memory_cli import parse_args, training_settings
from phyassist.train.recipes import recipe_path

QLORA = str(recipe_path("mixtral-8x7b-instruct/qlora.yaml"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["models", "memory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_mixtral_production_recipe_prints_a_table_ending_with_base_and_total(capsys):
    from phyassist.train.memory import experts_in_4bit

    code, out, _ = _run(capsys, "--config", QLORA)
    assert code == 0
    lines = out.rstrip("\n").split("\n")
    assert re.fullmatch(r"base: \d+\.\d\d GiB", lines[-2]) and re.fullmatch(r"total: \d+\.\d\d GiB", lines[-1])
    base, total = float(lines[-2].split()[1]), float(lines[-1].split()[1])
    assert base < total < base + 1  # LoRA r=32, its gradients and AdamW state: under a GiB
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1: 46.70 B parameters" in lines[0]
    assert any(line.startswith("activations: not in the total") for line in lines)
    assert "optimizer state (paged_adamw_32bit: 2 float32 states per parameter)" in out
    experts = next(line for line in lines if line.startswith("experts: "))
    assert experts_in_4bit() and base <= 26
    assert experts == ("experts: nf4, each expert quantized on its own (phyassist.experts4bit), "
                       "as phyassist's loader stores them")
    assert re.search(r"experts as bitsandbytes alone leaves them \(bfloat16\): base 8\d\.\d\d GiB", out)


def test_experts_bf16_shows_bitsandbytes_alone_and_flags_override_the_recipe(capsys):
    _, out, _ = _run(capsys, "--config", QLORA, "--experts-bf16", "--lora_r", "64")
    assert "experts: bfloat16 (bitsandbytes converts nn.Linear layers only)" in out
    assert float(out.rstrip("\n").split("\n")[-2].split()[1]) > 80
    assert re.search(r"LoRA r=64 on q_proj, k_proj, v_proj, o_proj, gate +62\.93 M", out)  # twice r=32's 31.47 M


def test_without_config_the_base_recipe_applies_and_none_is_full_precision():
    cfg, _ = parse_args(["--base-model", "mixtral-8x7b-instruct", "--quantization", "none"])
    assert cfg.plan.lora_r == 32 and cfg.plan.optim == "paged_adamw_32bit"  # qlora.yaml's
    assert cfg.plan.quantization == "none"
    cfg, _ = parse_args(["--base-model", "mixtral-8x7b-instruct"])
    assert cfg.plan.quantization == "nf4"  # the preset's default


@pytest.mark.parametrize("argv, message", [
    (["--base-model", "nope"], r"unknown base model 'nope'; expected a preset"),
    (["--bogus", "1"], r"unrecognized argument '--bogus'"),
    (["--config", QLORA, "--lora_r", "0"], r"`lora_r` must be positive, got 0\."),
    (["--config", QLORA, "--lora_target_modules", "nope"], r"`lora_target_modules` \['nope'\] not found in mistralai/"),
    (["--quantization", "int3"], r"`quantization` must be 'auto', 'none', 'nf4' or 'fp4', got 'int3'\."),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and re.search(message, err), err
    assert err.startswith("phyassist: error: ")


def test_a_folder_without_config_and_an_unreachable_hub_id_are_one_line(capsys, tmp_path, monkeypatch):
    code, _, err = _run(capsys, "--base-model", str(tmp_path))
    assert code == 2 and "not a model folder (no config.json)" in err and len(err.strip().splitlines()) == 1
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    code, _, err = _run(capsys, "--base-model", "phyassist-tests/not-cached")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "phyassist-tests/not-cached: could not get config.json from the Hub" in err


def test_a_recipe_value_is_checked_as_train_checks_it(capsys, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("base_model: mixtral-8x7b-instruct\noptim: adamw_nope\n")  # a flag would meet argparse's choices
    code, _, err = _run(capsys, "--config", str(recipe))
    assert code == 2 and re.search(r"`optim` must be one of adamw_torch, .*got 'adamw_nope'\.", err)
    recipe.write_text("lora_rank: 8\n")
    code, _, err = _run(capsys, "--config", str(recipe))
    assert code == 2 and "unknown config key `lora_rank`" in err and "did you mean `lora_r`?" in err


def test_training_settings_take_train_defaults():
    plan = training_settings({"lora_target_modules": "q_proj, v_proj"})
    assert (plan.lora_r, plan.optim, plan.double_quant) == (16, "adamw_torch_fused", True)
    assert plan.lora_target_modules == ["q_proj", "v_proj"]
    with pytest.raises(UserError, match=r"`lora_dropout` must be in \[0, 1\), got 1\."):
        training_settings({"lora_dropout": 1})
