"""``train(config)``: one LoRA/QLoRA fine-tuning run with trl's SFTTrainer, resumable, multi-process safe.

Flow: decide what the output folder holds (new run, resume, or refuse; ``rundir``) -> load the base
(``lora``) and the training rows (``splits``) -> train -> write the adapter folder (adapter,
tokenizer, resolved config, data report, metrics JSON and PNG, library versions) from the main
process. ``main(config)`` is ``phyassist train``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..io import write_json, write_text
from .rundir import finish_run, plan_output_dir, start_run
from .splits import prepare_splits

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    output_dir: Path  # the adapter folder
    summary: dict  # what train_metrics.json calls "summary"
    resumed_from: str | None = None
    files: list[str] = field(default_factory=list)


def library_versions() -> dict:
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("torch", "transformers", "peft", "trl", "datasets", "accelerate", "bitsandbytes", "phyassist"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def plot_losses(log_history: list[dict], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(h["step"], h["loss"]) for h in log_history if "loss" in h]
    evals = [(h["step"], h["eval_loss"]) for h in log_history if "eval_loss" in h]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    if train:
        ax.plot(*zip(*train), label="train loss", color="tab:blue")
    if evals:
        ax.plot(*zip(*evals), "o-", label="validation loss (answer tokens)", color="tab:orange")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    from ..io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def _finalize_adapter_folder(out: Path, hub_id: str):
    """The saved adapter must name its base by Hub id; peft's auto README and Trainer's pickle go."""
    cfg_path = out / "adapter_config.json"
    adapter_cfg = json.loads(cfg_path.read_text())
    adapter_cfg["base_model_name_or_path"] = hub_id
    write_json(cfg_path, adapter_cfg)
    for name in ("README.md", "training_args.bin"):
        (out / name).unlink(missing_ok=True)
    for ckpt in out.glob("checkpoint-*"):
        shutil.rmtree(ckpt, ignore_errors=True)


@dataclass
class Prepared:
    """A ready SFTTrainer and what ``train`` needs to finish the run."""

    trainer: object
    state: object  # accelerate.PartialState
    preset: object
    identity: dict
    report: dict
    train_rows: int
    val_rows: int
    resume_from: str | None


def build_trainer(config) -> Prepared:
    """Check the output folder, load the base and data, and build the SFTTrainer (nothing trained yet)."""
    import torch
    from accelerate import PartialState
    from transformers.trainer_utils import IntervalStrategy
    from .lora import check_before_loading, load_base_for_training, lora_config
    from .weighting import LabelWeightedTrainer

    check_before_loading(config, config.base_preset)  # a refusal leaves the output folder untouched
    # cpu=True makes a torchrun/accelerate launch on a CPU-only machine a gloo process group (MULTI_CPU)
    state = PartialState(cpu=not torch.cuda.is_available())
    preset = config.base_preset
    out = Path(config.output_dir)
    identity = config.identity()
    with state.main_process_first():
        # The main process may delete (--overwrite) and marks the folder; the others then see the same state.
        resume_from = plan_output_dir(out, identity, resume=config.resume,
                                      overwrite=config.overwrite and state.is_main_process)
        if state.is_main_process:
            start_run(out, identity)
    if resume_from:
        logger.info("Resuming from %s", resume_from)

    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    elif not torch.cuda.is_available() and os.getloadavg()[0] >= (os.cpu_count() or 1):
        # A busy CPU deschedules one of torch's threads at every barrier, where all the others then wait.
        torch.set_num_threads(1)
        logger.info("CPU already busy (load %.1f on %d cores): training with 1 thread", os.getloadavg()[0], os.cpu_count())
    torch.manual_seed(config.seed)
    from . import lm_head

    lm_head.enable()  # score only the answer positions on CPUs too (same loss, less work)
    model, tokenizer = load_base_for_training(config, preset)
    train_ds, val_ds, max_length, report = prepare_splits(config, tokenizer, state.num_processes)
    peft_cfg = lora_config(config, preset, model)
    config.max_length = max_length
    config.include_num_input_tokens_seen = "non_padding"
    if val_ds is None:
        config.eval_strategy = IntervalStrategy.NO
    logger.info("Training %s on %s: %d train / %d validation rows, max_length %d, %s, bf16=%s, checkpointing=%s",
                preset.hub_id, config.dataset, len(train_ds), len(val_ds) if val_ds is not None else 0, max_length,
                "QLoRA " + config.quantization if config.qlora else "LoRA", config.bf16, config.activation_checkpointing)
    trainer = LabelWeightedTrainer(model=model, args=config, train_dataset=train_ds, eval_dataset=val_ds,
                                   processing_class=tokenizer, peft_config=peft_cfg,
                                   label_loss_weight=config.label_loss_weight)
    return Prepared(trainer, state, preset, identity, report, len(train_ds), len(val_ds) if val_ds is not None else 0,
                    resume_from)


def train(config) -> TrainResult:
    """Run one fine-tuning job described by a ``TrainConfig``; returns where the adapter is."""
    import yaml

    from .tracking import tracking_info

    prep = build_trainer(config)
    trainer, state, preset, identity, report, resume_from = (
        prep.trainer, prep.state, prep.preset, prep.identity, prep.report, prep.resume_from)
    out = Path(config.output_dir)
    max_length = config.max_length
    peft_cfg = trainer.model.peft_config["default"]
    start = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=resume_from)
    eval_metrics = {}
    if prep.val_rows:
        # the Trainer may just have evaluated at the last step (eval_steps divides max_steps): reuse it
        last = trainer.state.log_history[-2:] if trainer.state.log_history else []
        done = [h for h in last if "eval_loss" in h and h.get("step") == trainer.state.global_step]
        eval_metrics = dict(done[-1]) if done else trainer.evaluate()
    wall = time.perf_counter() - start
    if trainer.is_fsdp_enabled:
        # under FSDP the Trainer's save_model writes nothing for a sharded state dict (the checkpoints' type):
        # gather the full one for the adapter, as peft's FSDP example does (every process takes part)
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(out))

    history = trainer.state.log_history
    runtime = float(output.metrics.get("train_runtime", wall))
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    session_tokens = tokens  # a resumed run counts from its checkpoint; its runtime is this session's only
    if resume_from and (Path(resume_from) / "trainer_state.json").exists():
        session_tokens -= int(json.loads((Path(resume_from) / "trainer_state.json").read_text())
                              .get("num_input_tokens_seen", 0) or 0)
    steps = int(trainer.state.global_step)
    examples = steps * config.per_device_train_batch_size * config.gradient_accumulation_steps * state.num_processes
    summary = {
        "train_loss": round(float(output.training_loss), 4),
        "final_train_loss": next((h["loss"] for h in reversed(history) if "loss" in h), None),
        "eval_loss": round(float(eval_metrics["eval_loss"]), 4) if "eval_loss" in eval_metrics else None,
        "steps": steps,
        "max_steps": int(trainer.state.max_steps),
        "epochs": round(float(trainer.state.epoch or 0), 3),
        "runtime_s": round(runtime, 1),
        "examples": examples,
        "train_rows": prep.train_rows,
        "validation_rows": prep.val_rows,
        "tokens": tokens,
        "tokens_per_s": round(session_tokens / runtime, 1) if runtime > 0 else None,
        "quantization": "qlora" if config.qlora else "lora",
        "quant_type": config.quantization if config.qlora else None,
        "max_length": max_length,
        "bf16": bool(config.bf16),
        "activation_checkpointing": bool(config.activation_checkpointing),
        "processes": state.num_processes,
        "base_model": preset.hub_id,
        "lora_target_modules": sorted(peft_cfg.target_modules),
        "trainable_params": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "resumed_from": Path(resume_from).name if resume_from else None,
        "tracking": tracking_info(config, out),
    }
    if state.is_main_process:
        recipe = config.recipe_dict()  # `auto` where it was asked, what it became under `resolved`
        recipe.update(lora_target_modules=sorted(peft_cfg.target_modules), max_length=max_length,
                      output_dir=str(out), resume=False, overwrite=False)
        write_text(out / "phyassist_config.yaml", yaml.safe_dump(recipe, sort_keys=False))
        write_json(out / "data_report.json", report)
        write_json(out / "train_metrics.json", {"summary": summary, "log_history": history, "eval": eval_metrics})
        plot_losses(history, out / "loss_curve.png", f"{Path(preset.hub_id).name} on {config.dataset}")
        write_json(out / "versions.json", library_versions())
        _finalize_adapter_folder(out, preset.hub_id)
        finish_run(out, identity, summary)
    state.wait_for_everyone()
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    return TrainResult(out, summary, resume_from, files)


def format_summary(result: TrainResult) -> str:
    """A short table a person can read at the end of a run."""
    s = result.summary
    rows = [
        ("adapter", str(result.output_dir)),
        ("base model", s["base_model"]),
        ("method", f"{s['quantization'].upper()} ({', '.join(s['lora_target_modules'])})"),
        ("steps", f"{s['steps']} ({s['epochs']} epochs, {s['train_rows']} train rows, max_length {s['max_length']})"),
        ("train loss", f"{s['train_loss']} (mean over the run; last logged {s['final_train_loss'] or '-'})"),
        ("validation loss", f"{s['eval_loss']} on {s['validation_rows']} rows (answer tokens)"),
        ("runtime", f"{s['runtime_s']} s, {s['tokens_per_s']} tokens/s, {s['processes']} process(es)"),
    ]
    if result.resumed_from:
        rows.append(("resumed from", Path(result.resumed_from).name))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(config) -> int:
    """``phyassist train``: log the resolved config, train, print the summary table."""
    import yaml
    from accelerate import PartialState

    logger.info("Config:\n%s", yaml.safe_dump(config.recipe_dict(), sort_keys=False).rstrip())
    result = train(config)
    if PartialState().is_main_process:
        print(format_summary(result))
    return 0

