"""Fine-tuning: one step on tiny Llama / Mixtral, QLoRA-CPU gradients, resume after a kill, 2-process run.

Everything trains tiny random models on a few short MultiWD rows (``max_chars`` keeps sequences
short), so the whole file stays within a few minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import tiny_train_config

from phyassist.errors import UserError

pytestmark = pytest.mark.slow

def _env(data_dir):
    env = dict(os.environ, PHYASSIST_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(autouse=True)
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))


@pytest.mark.parametrize("arch", ["llama", "mixtral"])
def test_one_step_changes_lora_weights_only(arch, request, tmp_path, lookups):
    import torch

    from phyassist.train.trainer import build_trainer

    base = request.getfixturevalue(f"tiny_{arch}_dir")
    lookups.update(resolve_base=0, resolve_dataset=0)  # from here on: this command's look-ups
    cfg = tiny_train_config(base, tmp_path / "run", max_steps=1, lora_dropout=0.0, learning_rate=1e-2,
                            warmup_steps=0)  # a warmup step would have lr 0
    prep = build_trainer(cfg)
    # the config looked its names up once; loading the base and preparing the rows got the objects
    assert lookups == {"resolve_base": 1, "resolve_dataset": 1}
    assert prep.preset is cfg.base_preset
    model = prep.trainer.model
    tok = prep.trainer.processing_class
    assert tok.pad_token_id != tok.eos_token_id
    row = prep.trainer.train_dataset[0]
    answer = [t for t, lab in zip(row["input_ids"], row["labels"]) if lab != -100]
    prompt = row["input_ids"][: len(row["input_ids"]) - len(answer)]
    assert all(lab == -100 for lab in row["labels"][: len(prompt)])  # no loss on the prompt ...
    assert tok.decode(answer).lstrip().startswith(("Yes", "No"))  # ... only on the assistant's answer
    assert "Question:" in tok.decode(prompt) and tok.eos_token_id in answer[-2:]  # learns to stop
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    prep.trainer.train()
    lora = {n for n in before if "lora_" in n}
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert lora and changed, "nothing trained"
    assert changed <= lora, f"base weights changed: {sorted(changed - lora)[:3]}"
    assert {n for n in lora if "lora_B" in n} <= changed  # B starts at zero: every adapted layer moved
    if arch == "mixtral":  # the MoE router `gate` is adapted, as in the seed's q,k,v,o,gate
        assert any(".mlp.gate.lora_B" in n for n in changed)
    else:
        assert any(".mlp.down_proj.lora_B" in n for n in changed)


def test_qlora_trains_a_tiny_mixtral_on_4bit_experts(tiny_mixtral_dir, tmp_path):
    """QLoRA stores the fused experts in NF4 too (phyassist.experts4bit) and the Trainer trains through them:
    every LoRA B moves, the packed experts and every other base tensor stay as loaded."""
    import torch

    from phyassist.experts4bit import Experts4bit
    from phyassist.train.trainer import build_trainer

    cfg = tiny_train_config(tiny_mixtral_dir, tmp_path / "run", max_steps=1, quantization="nf4", lora_dropout=0.0,
                            learning_rate=1e-2, warmup_steps=0)
    trainer = build_trainer(cfg).trainer
    experts = [m for m in trainer.model.modules() if isinstance(m, Experts4bit)]
    assert len(experts) == 2 and all(m.gate_up_proj.dtype == torch.uint8 for m in experts)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    lora = {n for n in before if "lora_" in n}
    changed = {n for n, p in trainer.model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert changed <= lora, f"base tensors changed: {sorted(changed - lora)[:3]}"
    assert {n for n in lora if "lora_B" in n} <= changed and any(".mlp.gate.lora_B" in n for n in changed)


def test_the_mixtral_recipes_lora_settings_build_on_a_tiny_mixtral(tiny_mixtral_dir, tmp_path, caplog):
    """The production recipe's LoRA settings (targets incl. the router `gate`, which transformers 5 does
    not make a Linear): a non-zero dropout is turned off with a warning instead of failing in peft."""
    import yaml

    from phyassist.train.trainer import build_trainer

    recipe = yaml.safe_load((Path(__file__).parents[2] / "recipes/mixtral-8x7b-instruct/qlora.yaml").read_text())
    keys = {k: recipe[k] for k in ("lora_r", "lora_alpha", "lora_target_modules")}
    prep = build_trainer(tiny_train_config(tiny_mixtral_dir, tmp_path / "run", max_steps=1, lora_dropout=0.05, **keys))
    assert any(".mlp.gate.lora_A" in n for n, _ in prep.trainer.model.named_parameters())
    assert "`lora_dropout` 0.05 set to 0" in caplog.text


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32-compute", "bf16-compute"])
def test_qlora_cpu_gradients_match_dequantized_fp32(tiny_llama_dir, tmp_path, bf16):
    """QLoRA LoRA gradients equal those of an fp32 model holding the dequantized 4-bit weights,
    also after an eval-mode pass (which on AVX512-BF16 CPUs would repack weights for a kernel
    without autograd if ``keep_4bit_trainable`` did not prevent it).

    The tolerance follows the 4-bit layers' compute dtype: fp32 compute must match to rounding; bf16
    compute (the default where the CPU has native bf16) rounds every matmul input to 8 mantissa bits,
    so each gradient may differ by a few percent in relative norm, never more."""
    import bitsandbytes as bnb
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from phyassist.train.lora import load_base_for_training, lora_config

    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "q", quantization="nf4", lora_dropout=0.0, bf16=bf16)
    preset = cfg.base_preset
    qmodel, _ = load_base_for_training(cfg, preset)
    layers = [(n, m) for n, m in qmodel.named_modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and all(not m.support_avx512bf16_for_cpu for _, m in layers)
    compute = {m.compute_dtype for _, m in layers}
    assert compute == {torch.bfloat16 if bf16 else torch.float32}
    ref = AutoModelForCausalLM.from_pretrained(tiny_llama_dir, dtype=torch.float32)
    for name, module in layers:
        w = bnb.functional.dequantize_4bit(module.weight.data, module.weight.quant_state).float()
        ref.get_submodule(name).weight.data.copy_(w)
    q = get_peft_model(qmodel, lora_config(cfg, preset, qmodel))
    r = get_peft_model(ref, lora_config(cfg, preset, ref))
    gen = torch.Generator().manual_seed(0)
    for (nq, pq), (nr, pr) in zip(q.named_parameters(), r.named_parameters()):
        assert nq == nr
        if "lora_" in nq:  # nonzero B so that gradients reach A and flow through every layer
            pq.data.copy_(torch.randn(pq.shape, generator=gen) * 0.05)
            pr.data.copy_(pq.data)
    ids = torch.randint(0, 1000, (2, 24), generator=gen)
    q.eval()
    with torch.no_grad():
        q(input_ids=ids)
    for m in (q, r):
        m.train()
        m(input_ids=ids, labels=ids).loss.backward()
    grads = [(nq, pq.grad, pr.grad) for (nq, pq), (_, pr) in zip(q.named_parameters(), r.named_parameters())
             if pq.requires_grad]
    assert grads and all(gq is not None for _, gq, _ in grads)
    for name, gq, gr in grads:
        assert gr.abs().max() > 0, name
        if compute == {torch.float32}:
            torch.testing.assert_close(gq, gr, rtol=1e-4, atol=1e-6, msg=lambda m: f"{name}: {m}")
        else:  # bf16: relative norm of the difference; 8 mantissa bits give about 1%, with headroom
            rel = float((gq.float() - gr).norm() / gr.norm())
            assert rel < 0.05, f"{name}: relative difference {rel:.4f} with bf16 compute"
    # the first layer's A gradients exist only if the gradient flowed back through 4-bit base layers
    assert any("layers.0." in n and "lora_A" in n and g.abs().max() > 0 for n, g, _ in grads)


def _cli(args, data_dir, **kw):
    return [sys.executable, "-m", "phyassist.cli", "train", *args]


def _tiny_args(base, out, steps):
    return ["--dataset", "MultiWD", "--base-model", str(base), "--output-dir", str(out), "--max-steps", str(steps),
            "--batch-size", "2", "--max-train-examples", "16", "--max_chars", "700", "--save_steps", "2",
            "--max_eval_examples", "2", "--logging_steps", "1", "--dataloader_pin_memory", "false",
            "--eval_strategy", "no"]


def test_resume_after_kill_reaches_same_step_count(tiny_llama_dir, data_dir, tmp_path):
    out = tmp_path / "run"
    cmd = _cli(_tiny_args(tiny_llama_dir, out, 12), data_dir)
    proc = subprocess.Popen(cmd, env=_env(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 150
    try:
        while not (out / "checkpoint-2" / "trainer_state.json").exists():
            assert proc.poll() is None, f"run ended before its first checkpoint: {proc.stderr.read()[-2000:]}"
            assert time.time() < deadline, "no checkpoint within 150 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert not (out / "adapter_model.safetensors").exists(), "the run finished before it was killed"
    done = subprocess.run(cmd, env=_env(data_dir), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((out / "train_metrics.json").read_text())
    assert metrics["summary"]["resumed_from"] and metrics["summary"]["resumed_from"].startswith("checkpoint-")
    assert metrics["summary"]["steps"] == 12
    assert "resumed from" in done.stdout
    # the adapter folder
    names = {p.name for p in out.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "phyassist_config.yaml",
            "data_report.json", "train_metrics.json", "loss_curve.png", "versions.json"} <= names
    assert not any(n.startswith("checkpoint-") for n in names)
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == "phyassist-tests/tiny-llama"
    assert set(json.loads((out / "versions.json").read_text())) >= {"torch", "transformers", "peft", "trl", "python"}
    report = json.loads((out / "data_report.json").read_text())
    assert report["training"]["token_lengths"]["train"]["n"] == 16 and report["notes"]
    assert metrics["summary"]["quantization"] == "lora" and metrics["summary"]["max_length"] % 64 == 0
    # rerunning a finished run, or another run into the same folder, is refused (in-process: no start-up cost)
    from phyassist.train.config import parse_args
    from phyassist.train.trainer import train

    with pytest.raises(UserError, match="already holds this finished run; pass --overwrite"):
        train(parse_args(_tiny_args(tiny_llama_dir, out, 12))[0])
    with pytest.raises(UserError, match=r"holds a different run \(`lora_r`: 16 there, 4 now\)"):
        train(parse_args([*_tiny_args(tiny_llama_dir, out, 12), "--lora-r", "4"])[0])


def test_two_process_accelerate_run_saves_one_adapter(tiny_llama_dir, data_dir, tmp_path):
    out = tmp_path / "ddp"
    repo = Path(__file__).resolve().parents[2]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
           str(repo / "recipes/accelerate_configs/ddp.yaml"), "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no",
           "-m", "phyassist.cli", "train", *_tiny_args(tiny_llama_dir, out, 2)]
    done = subprocess.run(cmd, env=_env(data_dir), capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "train_metrics.json").read_text())["summary"]
    assert summary["processes"] == 2 and summary["steps"] == 2
    assert done.stdout.count("validation loss") == 1  # the summary comes from the main process only
    assert len(list(out.glob("**/adapter_model.safetensors"))) == 1


def test_dataset_too_small_for_one_batch(tiny_llama_dir, tmp_path):
    from phyassist.train.trainer import train

    with pytest.raises(UserError, match=r"4 usable train rows, too few for one batch of 8"):
        train(tiny_train_config(tiny_llama_dir, tmp_path / "small", max_train_examples=4, per_device_train_batch_size=8))


def test_output_dir_with_foreign_files_is_refused(tiny_llama_dir, tmp_path):
    from phyassist.train.trainer import train

    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"`output_dir` .*busy already exists and is not empty; pass --overwrite"):
        train(tiny_train_config(tiny_llama_dir, out, max_steps=1))
    with pytest.raises(UserError, match=r"holds no phyassist run; refusing to delete it"):
        train(tiny_train_config(tiny_llama_dir, out, max_steps=1, overwrite=True))
    assert (out / "notes.txt").read_text() == "mine"
