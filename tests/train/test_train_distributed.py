"""Training across processes (phyassist.train.distributed): the launch read from the launcher's environment,
a 4-bit base's placement and storage following it, one-line errors for what cannot train, the accelerate
configs against accelerate's schema, and two launches on the CPU with gloo: DDP through ``phyassist train``
with the Mixtral recipe, and accelerate's FSDP2 wrapping of a QLoRA Mixtral with its adapter's round trip.

accelerate runs ``distributed_type: FSDP`` on GPUs only (on a CPU its processes become a MULTI_CPU group
without sharding, and FSDP1's ``sync_module_states`` raises "FSDP parameter initialization with
`sync_module_states=True` is not supported on cpu."), so the FSDP test drives accelerate's own FSDP2 wrapping
(``fsdp2_prepare_model``) and full state dict (``Accelerator.get_state_dict``) with the plugin that
``accelerate launch`` builds from recipes/accelerate_configs/fsdp.yaml.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from phyassist.errors import UserError
from phyassist.train.distributed import BNB_OPTIMIZERS, Launch, detect_launch

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "recipes" / "accelerate_configs"
MIXTRAL_RECIPE = REPO / "recipes" / "mixtral-8x7b-instruct" / "qlora.yaml"
FSDP_ENV = {"ACCELERATE_USE_FSDP": "true", "FSDP_VERSION": "2", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}


@pytest.fixture(autouse=True)
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    for name in ("ACCELERATE_USE_FSDP", "FSDP_VERSION", "FSDP_ACTIVATION_CHECKPOINTING", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)


def _launch_env(config: Path, processes: int = 2) -> dict:
    """The environment ``accelerate launch --config_file config --num_processes N`` gives each process."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    args = launch_command_parser().parse_args(["--config_file", str(config), "--num_processes", str(processes), "x.py"])
    args, _, _ = _validate_launch_command(args)
    return {k: v for k, v in prepare_multi_gpu_env(args).items() if k.startswith(("ACCELERATE_", "FSDP_"))}


@pytest.mark.parametrize("env, fsdp_field, expected, described", [
    ({}, None, Launch(), "one process, 1 process"),
    ({"WORLD_SIZE": "2", "LOCAL_RANK": "1"}, None, Launch(2, 1), "DDP, 2 processes"),  # torchrun, or ddp.yaml
    ({**FSDP_ENV, "FSDP_ACTIVATION_CHECKPOINTING": "true"}, None, Launch(2, 1, 2, True), "FSDP2, 2 processes"),
    ({"ACCELERATE_USE_FSDP": "true", "WORLD_SIZE": "4"}, None, Launch(4, 0, 1), "FSDP1, 4 processes"),  # its default
    ({}, "full_shard", Launch(1, 0, 2), "FSDP2, 1 process"),  # TrainingArguments' own FSDP: transformers 5's is 2
])
def test_the_launch_is_read_from_the_launchers_environment(env, fsdp_field, expected, described):
    launch = detect_launch(SimpleNamespace(fsdp=fsdp_field, fsdp_config=None), env)
    assert launch == expected and launch.describe() == described


def test_the_accelerate_configs_hold_only_keys_accelerate_knows():
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.commands.launch import launch_command_parser

    flags = {a.dest for a in launch_command_parser()._actions}
    for path in sorted(CONFIGS.glob("*.yaml")):
        ClusterConfig.from_yaml_file(path)  # unknown top-level keys raise
        fsdp = yaml.safe_load(path.read_text()).get("fsdp_config", {})
        assert set(fsdp) <= flags, (path.name, set(fsdp) - flags)  # accelerate launch ignores unknown fsdp keys


def test_the_fsdp_config_is_fsdp2_sharding_each_decoder_layer(tiny_mixtral_dir, monkeypatch):
    import warnings

    import torch
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.fsdp_utils import fsdp2_prepare_auto_wrap_policy
    from transformers import AutoConfig, AutoModelForCausalLM

    env = _launch_env(CONFIGS / "fsdp.yaml")
    assert detect_launch(None, {**env, "WORLD_SIZE": "2"}) == Launch(2, 0, 2, False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FSDP2 warns about each FSDP1-only key (use_orig_params, sync_module_states)
        plugin = FullyShardedDataParallelPlugin()
    assert (plugin.fsdp_version, plugin.reshard_after_forward, plugin.cpu_offload.__class__.__name__) == (
        2, True, "OffloadPolicy")  # FULL_SHARD, parameters kept on the GPU
    assert plugin.cpu_ram_efficient_loading and "SHARDED_STATE_DICT" in str(plugin.state_dict_type)
    assert not plugin.activation_checkpointing  # the recipe's `activation_checkpointing` does it
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tiny_mixtral_dir))
    policy = fsdp2_prepare_auto_wrap_policy(plugin, model)
    units = sorted({type(m).__name__ for m in model.modules() if policy(m)})
    assert units == ["MixtralDecoderLayer"]


def _asked(**kw):
    """A TrainConfig as asked, with only the fields ``resolve_hardware`` reads."""
    return SimpleNamespace(**{"quantization": "auto", "bf16": None, "fp16": False, "activation_checkpointing": None,
                              "base_dtype": "auto", "attn_implementation": "auto", "use_cpu": False,
                              "dataloader_pin_memory": True, "quant_storage": "auto", "device_map": None,
                              "optim": "adamw_torch", "fsdp": None, "fsdp_config": None, **kw})


@pytest.mark.parametrize("cuda, bf16, launch, kw, expected", [
    (True, True, Launch(), {}, dict(quant_storage="uint8", device_map="auto")),  # one process spreads the base
    (True, True, Launch(2, 1), {}, dict(quant_storage="uint8", device_map="cuda:1")),  # DDP: a copy per GPU
    (True, True, Launch(2, 1, 2), {}, dict(quant_storage="bfloat16", device_map="cuda:1", base_dtype="bfloat16")),
    (True, False, Launch(2, 0, 2), dict(fp16=True), dict(quant_storage="float16", base_dtype="float16")),
    (True, True, Launch(2, 0, 2), dict(quantization="none"), dict(quant_storage="bfloat16", device_map=None)),
    (True, True, Launch(), dict(device_map="sequential"), dict(device_map="sequential")),
    (False, True, Launch(), {}, dict(quant_storage="uint8", device_map=None)),  # the loader puts it on the CPU
])
def test_a_4bit_base_loads_where_and_as_the_launch_needs(cuda, bf16, launch, kw, expected, monkeypatch):
    import torch

    from phyassist.models import PRESETS
    from phyassist.train import hardware

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    monkeypatch.setattr(hardware, "cpu_has_bf16", lambda: bf16)
    got = hardware.resolve_hardware(_asked(**kw), PRESETS["mixtral-8x7b-instruct"], launch).as_dict()
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize("cuda, env, kw, match", [
    (True, {"WORLD_SIZE": "2"}, dict(device_map="auto"),
     r"^`device_map` 'auto' places one model over this machine's GPUs, but this launch runs 2 processes, each with "
     r"its own GPU: drop `device_map`, or run one process \(`phyassist train` without accelerate launch\)"),
    (True, FSDP_ENV, dict(quant_storage="uint8"),
     r"^`quant_storage` 'uint8' under FSDP: FSDP shards a layer's weights as one tensor of one floating dtype, and "
     r"this base's is 'bfloat16' \(`base_dtype`\): set `quant_storage: auto`"),
    (True, FSDP_ENV, {}, r"^`optim` 'paged_adamw_32bit' is a bitsandbytes optimizer, which cannot update FSDP2's "
                         r"sharded parameters: pass --optim adamw_torch"),  # the Mixtral recipe as written
    (True, {**FSDP_ENV, "FSDP_ACTIVATION_CHECKPOINTING": "true"}, dict(optim="adamw_torch"),
     r"^`activation_checkpointing` and the accelerate config's `fsdp_activation_checkpointing` would both recompute"),
    (False, FSDP_ENV, {},
     r"^the accelerate config's `distributed_type: FSDP` runs on GPUs only; on this machine each of the 2 processes "
     r"would train a whole copy: launch with recipes/accelerate_configs/cpu.yaml instead"),
])
def test_launches_that_cannot_train_are_one_line_naming_the_field(cuda, env, kw, match, monkeypatch):
    import torch

    from phyassist.train.config import load_config

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(UserError, match=match) as caught:  # raised before TrainingArguments joins a process group
        load_config(MIXTRAL_RECIPE, dataset="MultiWD", **kw)
    assert "\n" not in str(caught.value)


def test_fsdp1_refuses_lora_on_mixtrals_router(tiny_mixtral_dir, tmp_path):
    """FSDP1 flattens a unit's weights; peft's LoRA on the router `gate` (a parametrization of its weight) then
    fails in its first forward ("Output 0 of View is a view and its base ... has been modified inplace")."""
    import torch
    from conftest import tiny_train_config
    from transformers import AutoConfig, AutoModelForCausalLM

    from phyassist.train.lora import lora_config

    cfg = tiny_train_config(tiny_mixtral_dir, tmp_path / "run", lora_dropout=0.0)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tiny_mixtral_dir))
    assert lora_config(cfg, cfg.base_preset, model).target_modules >= {"gate"}  # one process: fine
    cfg.launch = Launch(2, 0, 1)
    with pytest.raises(UserError, match=r"^LoRA targets \['gate'\] \(`lora_target_modules`, `lora_target_parameters`\) "
                                        r"are not Linear layers: .* launch with recipes/accelerate_configs/fsdp.yaml"):
        lora_config(cfg, cfg.base_preset, model)
    cfg.launch = Launch(2, 0, 2)
    assert lora_config(cfg, cfg.base_preset, model)


def test_the_refused_optimizers_are_transformers_bitsandbytes_ones():
    from transformers import trainer_optimizer

    assert set(BNB_OPTIMIZERS) == {o.value for o in trainer_optimizer._BITSANDBYTES_OPTIMIZERS}


def _env(data_dir, **extra) -> dict:
    env = dict(os.environ, PHYASSIST_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), str(Path(__file__).parent),
                                         env.get("PYTHONPATH", "")])
    return env


# Run by each DDP process in place of `-m phyassist.cli`: the same command, then its LoRA weights to a file.
DDP_SHIM = """
import sys, torch
from phyassist.train import trainer
held = {}
def build_trainer(config, _build=trainer.build_trainer):
    held["prep"] = _build(config)
    return held["prep"]
trainer.build_trainer = build_trainer  # train() looks it up here: the one it runs is the real one, kept
from phyassist.cli import main
code = main(sys.argv[2:])
prep = held["prep"]
torch.save({n: p.detach().cpu() for n, p in prep.trainer.model.named_parameters() if "lora_" in n},
           f"{sys.argv[1]}/rank{prep.state.process_index}.pt")
sys.exit(code)
"""


@pytest.mark.slow
def test_ddp_processes_train_the_mixtral_recipe_to_the_same_lora_weights(tiny_mixtral_dir, data_dir, tmp_path):
    """Two gloo processes (ddp.yaml's launcher) through ``phyassist train`` with the Mixtral recipe as written
    (NF4 base, its fused experts in 4 bits, LoRA on attention and the router, paged AdamW, activation
    checkpointing): each process gets other rows, DDP averages the gradients, so both hold the same adapter."""
    import torch

    shim = tmp_path / "ddp_shim.py"
    shim.write_text(DDP_SHIM)
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CONFIGS / "ddp.yaml"),
           "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           str(shim), str(tmp_path), "train", "--config", str(MIXTRAL_RECIPE), "--dataset", "MultiWD",
           "--base-model", str(tiny_mixtral_dir), "--output-dir", str(out), "--max-steps", "1", "--warmup_steps", "0",
           "--batch-size", "2", "--grad-accum", "1", "--max-train-examples", "16", "--max_chars", "700",
           "--eval_strategy", "no", "--logging_steps", "1", "--dataloader_pin_memory", "false"]
    done = subprocess.run(cmd, env=_env(data_dir), capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "train_metrics.json").read_text())["summary"]
    assert summary["processes"] == 2 and summary["steps"] == 1 and summary["quantization"] == "qlora"
    ranks = [torch.load(tmp_path / f"rank{k}.pt") for k in (0, 1)]
    assert set(ranks[0]) == set(ranks[1]) and any(".mlp.gate.lora_B" in n for n in ranks[0])
    moved = [n for n, w in ranks[0].items() if "lora_B" in n and w.abs().max() > 0]  # B starts at zero
    assert len(moved) == sum("lora_B" in n for n in ranks[0])
    for name, weight in ranks[0].items():
        assert torch.equal(weight, ranks[1][name]), f"{name} differs between the processes"


def _fsdp_worker(base: str, out: str) -> None:
    """One of two gloo processes started by ``torch.distributed.run`` with fsdp.yaml's launch environment:
    phyassist's QLoRA base and LoRA config, wrapped by accelerate's FSDP2, one optimizer step, then the
    adapter gathered as the Trainer's final save does and loaded back on rank 0. Facts go to ``out``."""
    import types

    import torch
    import torch.distributed as dist
    from accelerate import Accelerator
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin
    from accelerate.utils.fsdp_utils import fsdp2_prepare_model
    from peft import PeftModel, get_peft_model
    from torch.distributed.fsdp import FSDPModule
    from torch.distributed.tensor import DTensor

    from phyassist.train.config import load_config
    from phyassist.train.lora import load_base_for_training, lora_config

    # A run refuses FSDP without GPUs (accelerate would not shard there): the config is built without the FSDP
    # flag, so with the storage `quant_storage: auto` resolves to under FSDP (test_a_4bit_base_loads_...).
    flag = os.environ.pop("ACCELERATE_USE_FSDP")
    cfg = load_config(MIXTRAL_RECIPE, dataset="MultiWD", base_model=base, output_dir=out, optim="adamw_torch",
                      bf16=True, base_dtype="bfloat16", quant_storage="bfloat16", lora_dropout=0.0)
    os.environ["ACCELERATE_USE_FSDP"] = flag
    if not dist.is_initialized():  # TrainingArguments' accelerate state joins the launch's gloo group
        dist.init_process_group("gloo")
    rank = dist.get_rank()
    facts = {"processes": dist.get_world_size()}
    Path(out).mkdir(parents=True, exist_ok=True)
    model, _ = load_base_for_training(cfg, cfg.base_preset)
    model = get_peft_model(model, lora_config(cfg, cfg.base_preset, model))
    gen = torch.Generator().manual_seed(0)
    for name, p in model.named_parameters():
        if p.requires_grad:  # bf16 as SFTTrainer makes them for 4-bit bases; B random so the adapter counts
            p.data = (torch.randn(p.shape, generator=gen) * 0.02).to(torch.bfloat16)
    q_proj = model.base_model.model.model.layers[0].self_attn.q_proj.base_layer
    facts["q_proj_storage"] = str(q_proj.weight.dtype).removeprefix("torch.")  # bitsandbytes' packed 4-bit codes
    ids = torch.randint(0, 200, (2, 16), generator=gen)
    with torch.no_grad():
        reference = float(model(input_ids=ids, labels=ids).loss)
    plugin = FullyShardedDataParallelPlugin()  # from the launch environment, as the Trainer's Accelerator reads it
    stub = types.SimpleNamespace(state=types.SimpleNamespace(fsdp_plugin=plugin), torch_device_mesh=None,
                                 device=torch.device("cpu"), mixed_precision="bf16", is_main_process=rank == 0,
                                 parallelism_config=None)
    model = fsdp2_prepare_model(stub, model)
    layers = model.base_model.model.model.layers
    facts["layers_sharded"] = all(isinstance(layer, FSDPModule) for layer in layers)
    facts["q_proj_4bit_sharded"] = isinstance(layers[0].self_attn.q_proj.base_layer.weight, DTensor)
    facts["experts_4bit_sharded"] = isinstance(layers[0].mlp.experts.gate_up_proj, DTensor)  # uint8 codes
    with torch.no_grad():
        facts["loss_rel_diff"] = abs(float(model(input_ids=ids, labels=ids).loss) - reference) / reference
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = torch.randint(0, 200, (2, 16), generator=torch.Generator().manual_seed(1 + rank))  # each its own rows
    model(input_ids=batch, labels=batch).loss.backward()
    optimizer.step()
    with torch.no_grad():
        trained_loss = float(model(input_ids=ids, labels=ids).loss)
    state = Accelerator.get_state_dict(types.SimpleNamespace(distributed_type=DistributedType.FSDP, is_fsdp2=True),
                                       model)
    dist.barrier()
    if rank == 0:  # the state dict is gathered there; the Trainer's _save writes it from there
        model.save_pretrained(out, state_dict=state)
        base_again, _ = load_base_for_training(cfg, cfg.base_preset)
        loaded = PeftModel.from_pretrained(base_again, out)
        lora = {n: p for n, p in loaded.named_parameters() if "lora_" in n}
        facts["adapter_tensors"] = len(lora)
        facts["adapter_equal"] = all(torch.equal(p.to(state[n].dtype), state[n]) for n, p in lora.items())
        with torch.no_grad():
            reloaded_loss = float(loaded(input_ids=ids, labels=ids).loss)
        facts["reloaded_loss_rel_diff"] = abs(reloaded_loss - trained_loss) / trained_loss
        facts["trained_loss_moved"] = abs(trained_loss - reference) > 1e-4
    Path(out, f"facts{rank}.json").write_text(json.dumps(facts))
    dist.barrier()


@pytest.mark.slow
def test_fsdp2_shards_a_qlora_mixtral_and_its_adapter_round_trips(tiny_mixtral_dir, data_dir, tmp_path):
    shim = tmp_path / "fsdp_shim.py"
    shim.write_text("import sys\nfrom test_train_distributed import _fsdp_worker\n_fsdp_worker(*sys.argv[1:])\n")
    out = tmp_path / "adapter"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(shim), str(tiny_mixtral_dir),
           str(out)]
    done = subprocess.run(cmd, env=_env(data_dir, **_launch_env(CONFIGS / "fsdp.yaml")), capture_output=True,
                          text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = [json.loads((out / f"facts{k}.json").read_text()) for k in (0, 1)]
    for f in facts:
        assert f["processes"] == 2
        assert f["q_proj_storage"] == "bfloat16"  # `quant_storage` reached bitsandbytes through the loader
        assert f["layers_sharded"] and f["q_proj_4bit_sharded"] and f["experts_4bit_sharded"]
        assert f["loss_rel_diff"] < 1e-3, f  # the sharded forward is the unsharded one
    main = facts[0]
    assert main["trained_loss_moved"] and main["adapter_tensors"] > 0 and main["adapter_equal"]
    assert main["reloaded_loss_rel_diff"] < 5e-3, main
