"""``TrainConfig`` and ``phyassist train``'s command line: precedence, the base's recipe, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from phyassist.errors import UserError


@pytest.fixture(autouse=True)
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))


def test_config_precedence_defaults_yaml_flags(tmp_path):
    from phyassist.train.config import load_config

    recipe = tmp_path / "r.yaml"
    recipe.write_text("dataset: MultiWD\nlora_r: 4\nlearning_rate: 1e-3\nlr_scheduler_type: constant\n")
    cfg = load_config(recipe, lora_r=8)
    assert (cfg.lora_r, cfg.learning_rate, cfg.lr_scheduler_type.value, cfg.lora_alpha) == (8, 1e-3, "constant", 32)


def test_cli_without_config_uses_the_base_recipe(tmp_path):
    """`phyassist train --dataset SAD` on a CPU gets the embedded base's small recipe, flags still win."""
    import yaml

    from phyassist.train.config import parse_args

    repo = Path(__file__).resolve().parents[2]
    recipe = yaml.safe_load((repo / "recipes/smollm2-135m-instruct/lora.yaml").read_text())
    cfg, _ = parse_args(["--dataset", "SAD", "--output-dir", str(tmp_path / "o"), "--lora-r", "4"])
    assert (cfg.dataset, cfg.max_steps, cfg.lora_dropout, cfg.lora_r) == ("SAD", recipe["max_steps"], recipe["lora_dropout"], 4)
    explicit = tmp_path / "mine.yaml"
    explicit.write_text("dataset: SAD\nlora_dropout: 0.1\n")
    cfg, _ = parse_args(["--config", str(explicit), "--output-dir", str(tmp_path / "p")])
    assert (cfg.max_steps, cfg.lora_dropout) == (-1, 0.1)  # an explicit recipe replaces the default one


@pytest.mark.parametrize("kw, match", [
    (dict(dataset="NoSuchTask"), "unknown dataset 'NoSuchTask'"),
    (dict(dataset="CAMS"), "test-only"),
    (dict(base_model="no-such-preset"), "unknown base model 'no-such-preset'"),
    (dict(lora_r=0), r"`lora_r` must be positive, got 0"),
    (dict(learning_rate=-1e-4), r"`learning_rate` must be positive, got -0.0001"),
    (dict(per_device_train_batch_size=0), r"`per_device_train_batch_size` must be positive"),
    (dict(max_steps=0), r"`max_steps` must be positive"),
    (dict(max_length=-5), r"`max_length` must be positive, got -5"),
    (dict(quantization="int3"), r"`quantization` must be 'auto', 'none', 'nf4' or 'fp4'"),
    (dict(base_dtype="float8"), r"`base_dtype` must be one of 'auto', 'float32', 'bfloat16', got 'float8'"),
    (dict(attn_implementation="flash_attention_2"), r"`attn_implementation` must be one of 'auto', 'sdpa', 'eager'"),
    (dict(lora_alpha="many"), r"`lora_alpha` must be positive, got many"),
    (dict(lora_rank=8), r"unknown config key `lora_rank` in the arguments \(did you mean `lora_r`\?\)"),
])
def test_config_errors(kw, match):
    from phyassist.train.config import load_config

    with pytest.raises(UserError, match=match):
        load_config(None, **{"dataset": "MultiWD", **kw})


def test_unknown_recipe_key_names_file_and_key(tmp_path):
    from phyassist.train.config import load_config

    recipe = tmp_path / "bad.yaml"
    recipe.write_text("dataset: MultiWD\nlora_rr: 8\n")
    with pytest.raises(UserError, match=r"unknown config key `lora_rr` in .*bad.yaml"):
        load_config(recipe)


def test_cli_error_is_one_line_exit_2(capsys, tmp_path):
    from phyassist.cli import main

    recipe = tmp_path / "bad.yaml"
    recipe.write_text("dataset: MultiWD\nwarmup: 3\n")
    assert main(["train", "--config", str(recipe)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"phyassist: error: unknown config key `warmup` in {recipe} (did you mean `warmup_steps`?); "
                   "expected a TrainConfig field"]


@pytest.mark.parametrize("kw, dtype, kernel", [
    (dict(bf16=True), "bfloat16", "phyassist_cpu"),   # bf16 training on a CPU: bf16 base, phyassist's attention
    (dict(bf16=False), "float32", None),               # fp32 training: fp32 base, transformers' kernel
    (dict(bf16=True, base_dtype="float32", attn_implementation="sdpa"), "float32", "sdpa"),
    (dict(bf16=False, attn_implementation="eager"), "float32", "eager"),
])
def test_base_dtype_and_attention_kernel_follow_the_precision(kw, dtype, kernel, monkeypatch):
    import torch

    from phyassist.train.config import load_config
    from phyassist.train.lora import attention_kernel, base_dtype

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = load_config(None, dataset="MultiWD", quantization="none", **kw)
    assert base_dtype(cfg) == getattr(torch, dtype)
    assert attention_kernel(cfg) == kernel
