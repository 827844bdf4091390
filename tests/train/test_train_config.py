"""``TrainConfig`` and ``phyassist train``'s command line: precedence, the base's recipe, one-line errors,
the saved recipe's round trip (every field) and names looked up once."""

from __future__ import annotations

import dataclasses
import importlib.util
import typing
from pathlib import Path

import pytest
import yaml

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


def test_saved_recipe_says_auto_with_what_it_resolved_to(tmp_path):
    from phyassist.train.config import load_config

    cfg = load_config(None, dataset="MultiWD")
    saved = cfg.recipe_dict()
    assert (saved["quantization"], saved["base_dtype"], saved["attn_implementation"]) == ("auto", "auto", "auto")
    assert saved["bf16"] is None and saved["activation_checkpointing"] is None  # unset: the hardware decides
    assert saved["resolved"] == cfg.hardware.as_dict()
    assert saved["resolved"]["quantization"] == cfg.quantization == "none"
    assert saved["resolved"]["bf16"] is cfg.bf16 and saved["resolved"]["use_cpu"] is cfg.use_cpu
    # what was set stays set, and the identity (the resume check) holds the values trained with
    explicit = load_config(None, dataset="MultiWD", bf16=False, quantization="none", base_dtype="float32")
    assert (explicit.recipe_dict()["bf16"], explicit.recipe_dict()["quantization"]) == (False, "none")
    assert cfg.identity()["quantization"] == "none" and cfg.identity()["bf16"] is cfg.bf16
    # a run folder's recipe loads back (`resolved` is skipped) into the same run
    path = tmp_path / "phyassist_config.yaml"
    path.write_text(yaml.safe_dump(saved, sort_keys=False))
    again = load_config(path)
    assert again.recipe_dict() == saved and again.identity() == cfg.identity()


def _default(f):
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _other_value(f, hint):
    """A value of ``f``'s type away from its default (the fields below need a valid choice instead)."""
    default, args = _default(f), typing.get_args(hint)
    if hint is bool or set(args) == {bool, type(None)}:
        return not default if default is not None else True
    if isinstance(default, str):
        return "x"
    if hint is int or (int in args and float not in args):
        return (default or 0) + 3
    if hint is float or float in args:
        return (default or 0) + 0.25
    if hint is str or str in args:
        return "x"
    if typing.get_origin(hint) is dict or any(typing.get_origin(a) is dict or a is dict for a in args):
        return {"k": True}
    if typing.get_origin(hint) is list or any(typing.get_origin(a) is list for a in args):
        return ["x"]
    raise AssertionError(f"no value for `{f.name}` ({hint}): add one to VALUES")


TRACKER = next((n for n in ("tensorboard", "trackio", "wandb") if importlib.util.find_spec(n)), None)
# fields whose values are choices or must agree with another field
VALUES = {
    "dataset": {"dataset": "SAD"}, "base_model": {"base_model": "mixtral-8x7b-instruct"},
    "quantization": {"quantization": "nf4"}, "base_dtype": {"base_dtype": "float32"},
    "attn_implementation": {"attn_implementation": "eager"}, "bf16": {"bf16": False}, "tf32": {"tf32": False},
    "lr_scheduler_type": {"lr_scheduler_type": "cosine"}, "optim": {"optim": "sgd"},
    "logging_strategy": {"logging_strategy": "epoch"}, "eval_strategy": {"eval_strategy": "no"},
    "save_strategy": {"save_strategy": "epoch"}, "logging_steps": {"logging_steps": 7},
    "eval_steps": {"eval_steps": 40}, "save_steps": {"save_steps": 20}, "report_to": {"report_to": TRACKER},
    "pad_to_multiple_of": {"pad_to_multiple_of": 8},
    "include_for_metrics": {"include_for_metrics": ["inputs"]}, "debug": {"debug": "underflow_overflow"},
    "accelerator_config": {"accelerator_config": {"split_batches": True}}, "fsdp": {"fsdp": "full_shard"},
    "load_best_model_at_end": {"load_best_model_at_end": True, "save_steps": 50},
    "dataloader_prefetch_factor": {"dataloader_prefetch_factor": 3, "dataloader_num_workers": 2},
    "quant_storage": {"quant_storage": "bfloat16"}, "device_map": {"device_map": "sequential"},
    "task_weights": {"task_weights": ["MultiWD=2"]},
}
# fields a recipe cannot hold, and why
NOT_IN_RECIPES = {
    "push_to_hub": "refused (the Trainer's unscanned upload)", "hub_token": "secret, and refused",
    "parallelism_config": "an accelerate object, with no YAML form",
    "ddp_backend": "needs a launched process group", "deepspeed": "needs the deepspeed package and its config file",
    "do_eval": "derived from eval_strategy; the Trainer does not read it",
}


def _field_cases():
    from trl import SFTConfig

    from phyassist.train.config import _HUB_FIELDS, TrainConfig

    hints = typing.get_type_hints(TrainConfig)
    sft = {f.name: f for f in dataclasses.fields(SFTConfig)}
    for f in dataclasses.fields(TrainConfig):
        if not f.init or f.name in NOT_IN_RECIPES or f.name in _HUB_FIELDS:
            continue
        yield pytest.param(VALUES.get(f.name) or {f.name: _other_value(f, hints[f.name])}, id=f.name)
        if f.name in sft and _default(sft[f.name]) != _default(f):  # a default of our own: SFTConfig's must stay too
            yield pytest.param({f.name: _default(sft[f.name])}, id=f"{f.name}=sft-default")


@pytest.mark.parametrize("values", list(_field_cases()))
def test_every_field_round_trips_through_a_saved_recipe_and_the_resume_check(values, tmp_path):
    """Set one field (a few need a partner), save the recipe as a run does, load it: the same config, the same
    saved recipe, and the run folder's identity check accepts it."""
    from phyassist.train.config import load_config
    from phyassist.train.rundir import plan_output_dir, start_run

    if values == {"report_to": None}:
        pytest.skip("no experiment tracker installed")
    asked = tmp_path / "asked.yaml"  # a recipe, which can also set a field to None
    asked.write_text(yaml.safe_dump({"dataset": "MultiWD", **values}))
    cfg = load_config(asked)
    assert cfg.recipe_dict() != load_config(None, dataset="MultiWD").recipe_dict(), "the value changed nothing saved"
    path = tmp_path / "phyassist_config.yaml"
    path.write_text(yaml.safe_dump(cfg.recipe_dict(), sort_keys=False))
    back = load_config(path)
    assert back.to_dict() == cfg.to_dict()
    assert back.recipe_dict() == cfg.recipe_dict()
    start_run(tmp_path / "run", cfg.identity())
    assert plan_output_dir(tmp_path / "run", back.identity()) is None  # the same run, nothing to resume yet


def test_recipe_exclusions_name_real_fields():
    from phyassist.train import config

    names = {f.name for f in dataclasses.fields(config.TrainConfig)}
    for group in (config.NON_IDENTITY_FIELDS, config._SECRET, config._DERIVED, set(config._BUILT_BY_TRAINING_ARGUMENTS),
                  set(NOT_IN_RECIPES), set(VALUES)):
        assert group <= names, group - names
    assert "hub_token" not in config.load_config(None, dataset="MultiWD").recipe_dict()


@pytest.mark.parametrize("cuda, cpu_bf16, kw, expected", [
    (False, True, {}, dict(quantization="none", bf16=True, activation_checkpointing=False, base_dtype="bfloat16",
                           attn_implementation="phyassist_cpu", use_cpu=True, dataloader_pin_memory=False)),
    (False, False, {}, dict(bf16=False, base_dtype="float32", attn_implementation=None)),
    (False, True, dict(quantization="nf4"), dict(activation_checkpointing=True, attn_implementation=None)),
    (False, True, dict(bf16=False, base_dtype="bfloat16", attn_implementation="sdpa"),
     dict(bf16=False, base_dtype="bfloat16", attn_implementation="sdpa")),
    (True, True, {}, dict(bf16=True, activation_checkpointing=True, base_dtype="bfloat16", attn_implementation=None,
                          use_cpu=False, dataloader_pin_memory=True)),
    (True, False, dict(fp16=True), dict(bf16=False, base_dtype="float16")),
    (True, True, dict(use_cpu=True, activation_checkpointing=False),
     dict(use_cpu=True, activation_checkpointing=False)),
])
def test_hardware_is_decided_in_one_place_and_logged_in_one_line(cuda, cpu_bf16, kw, expected, monkeypatch, caplog):
    import logging
    from types import SimpleNamespace

    import torch

    from phyassist.models import PRESETS
    from phyassist.train import hardware

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: cpu_bf16)
    monkeypatch.setattr(hardware, "cpu_has_bf16", lambda: cpu_bf16)
    asked = SimpleNamespace(**{"quantization": "auto", "bf16": None, "fp16": False, "activation_checkpointing": None,
                               "base_dtype": "auto", "attn_implementation": "auto", "use_cpu": False,
                               "dataloader_pin_memory": True, "quant_storage": "auto", "device_map": None, **kw})
    with caplog.at_level(logging.INFO, logger="phyassist.train.hardware"):
        got = hardware.resolve_hardware(asked, PRESETS["smollm2-135m-instruct"]).as_dict()
    assert {k: got[k] for k in expected} == expected
    lines = [r.getMessage() for r in caplog.records if r.name == "phyassist.train.hardware"]
    assert len(lines) == 1 and all(f"{k}={v}" in lines[0] for k, v in got.items())


def test_the_embedded_base_resolves_to_no_quantization_and_mixtral_to_nf4():
    from phyassist.train.config import load_config

    assert load_config(None, dataset="MultiWD").quantization == "none"
    mixtral = load_config(None, dataset="MultiWD", base_model="mixtral-8x7b-instruct")
    assert mixtral.quantization == "nf4" and mixtral.qlora and mixtral.recipe_dict()["quantization"] == "auto"


def test_train_command_looks_up_its_names_once(lookups, tmp_path):
    from phyassist.train.config import parse_args

    cfg, _ = parse_args(["--dataset", "MultiWD", "--output-dir", str(tmp_path / "o")])
    assert lookups == {"resolve_base": 1, "resolve_dataset": 1}
    assert cfg.base_preset.name == "smollm2-135m-instruct" and cfg.dataset_spec.name == "MultiWD"
    import yaml

    from phyassist.train.recipes import recipe_path

    recipe = yaml.safe_load(recipe_path("smollm2-135m-instruct/lora.yaml").read_text())
    assert cfg.max_steps == recipe["max_steps"]  # the base's own recipe, found with that one look-up


def test_saving_the_recipe_leaves_the_process_group_alone(monkeypatch):
    """Building a TrainConfig sets accelerate's state (a CPU launch's gloo group, `use_cpu`); any TrainingArguments
    built later, on the side, would reset it and leave each launched process alone."""
    from accelerate.state import AcceleratorState

    from phyassist.train.config import load_config

    cfg = load_config(None, dataset="MultiWD", debug="underflow_overflow", accelerator_config={"split_batches": True})

    def reset(*args, **kwargs):
        raise AssertionError("accelerate's state was reset after the config set it")

    monkeypatch.setattr(AcceleratorState, "_reset_state", staticmethod(reset))
    assert cfg.recipe_dict()["debug"] == "underflow_overflow" and cfg.identity()


@pytest.mark.parametrize("asked", [True, False, None])
def test_older_transformers_see_checkpointing_under_its_old_name(asked, monkeypatch):
    """transformers releases before `activation_checkpointing` read `gradient_checkpointing` alone (their
    post-init does not mirror it): the config must hand them the decided value under that name."""
    from trl import SFTConfig

    from phyassist.train.config import load_config

    seen = {}
    monkeypatch.setattr(SFTConfig, "__post_init__", lambda self: seen.setdefault("old_name", self.gradient_checkpointing))
    cfg = load_config(None, dataset="MultiWD", activation_checkpointing=asked)
    assert seen["old_name"] is cfg.activation_checkpointing
    assert cfg.activation_checkpointing is (asked if asked is not None else cfg.qlora or cfg.hardware.use_cpu is False)

