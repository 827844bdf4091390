"""Section qlora: phyassist's own QLoRA training (``build_trainer``) on a tiny random Mixtral (attention and
router; LoRA on its 4-bit experts is refused in one line, checked too) and on SmolLM2-135M: steady tokens/s, MFU, memory, and that only
the LoRA weights changed; on CUDA, a paged AdamW step against torch's AdamW."""

from __future__ import annotations

import contextlib
import math
import time
import traceback
from pathlib import Path

from .context import MIN_LEFT_S, REPO, Result, one_line, timed


EXPERT_PARAMS = ["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]
MIXTRAL_RECIPE = REPO / "recipes" / "mixtral-8x7b-instruct" / "qlora.yaml"


def matmul_params(folder: Path) -> dict:
    """Parameter counts from the config on the meta device: total, experts, and N for 6 N FLOPs per token
    (every weight a token's matmuls use: all but the input embedding, the LM head counted even when
    tied, experts scaled by top_k / num_experts)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    total = sum(p.numel() for p in model.parameters())
    experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    embed = model.get_input_embeddings().weight.numel()
    share = getattr(config, "num_experts_per_tok", 1) / getattr(config, "num_local_experts", 1) if experts else 1.0
    active = total - (0 if getattr(config, "tie_word_embeddings", False) else embed) - experts * (1 - share)
    return {"total": total, "experts": experts, "active_matmul": int(active)}


def mixtral_8x7b_in_4bit() -> dict:
    """What 4-bit loading leaves unquantized in the production base: bitsandbytes replaces nn.Linear
    modules, and transformers 5 holds Mixtral's experts as fused 3-D parameters, not nn.Linear."""
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    with torch.device("meta"):
        model = MixtralForCausalLM(MixtralConfig())  # the defaults are Mixtral-8x7B's shape
    total = sum(p.numel() for p in model.parameters())
    linear = sum(m.weight.numel() for n, m in model.named_modules()
                 if isinstance(m, torch.nn.Linear) and n != "lm_head")  # the LM head stays in 16 bits
    return {"params_b": round(total / 1e9, 2), "in_nn_linear_b": round(linear / 1e9, 2),
            "not_4bit_gib_bf16": round((total - linear) * 2 / 2**30, 1)}


def _build(ctx, name: str, base: Path, *, recipe_dropout: bool = False, scale=None):
    """(``build_trainer``'s Prepared, the recipe used or None) for a QLoRA run at this check's sizes.

    Mixtral trains with the production recipe (r32, paged AdamW, constant lr, clip 0.3), read from the
    checkout (``phyassist.recipes`` exists only once the package is installed), but with LoRA dropout 0
    unless ``recipe_dropout``: peft wraps the router ``gate`` (a parameter, not an nn.Linear, in
    transformers 5) in a ParamWrapper, which refuses dropout. ``scale``: steps, batch and max_chars other than
    this run's (the mixtral section's)."""
    from phyassist.train.config import load_config
    from phyassist.train.trainer import build_trainer

    s = scale or ctx.scale
    recipe = MIXTRAL_RECIPE if "mixtral" in name and MIXTRAL_RECIPE.is_file() else None
    cfg = load_config(
        recipe, dataset="MultiWD", base_model=str(base), output_dir=str(ctx.tmp / "runs" / name), overwrite=True,
        quantization="nf4", bf16=True if ctx.cuda else None, optim="paged_adamw_32bit", activation_checkpointing=True,
        max_steps=s.steps, per_device_train_batch_size=s.batch, gradient_accumulation_steps=1,
        max_train_examples=s.steps * s.batch, max_eval_examples=2, max_chars=s.max_chars, eval_strategy="no",
        save_strategy="no", logging_steps=1, warmup_steps=0, seed=0, disable_tqdm=True, report_to="none",
        learning_rate=None if recipe else 1e-3, lora_dropout=None if recipe_dropout else 0.0,
        label_loss_weight=5.0,  # the CPU recipe's weighted loss on the label sentence, on this device too
    )
    return build_trainer(cfg), recipe


def expert_lora_refused(ctx) -> dict:
    """LoRA on 4-bit experts (``lora_target_parameters``) is refused in one line before anything is written:
    peft would add its delta to the packed 4-bit codes (``phyassist.experts4bit``)."""
    from phyassist.errors import UserError
    from phyassist.train.config import load_config
    from phyassist.train.trainer import build_trainer

    out = ctx.tmp / "runs" / "tiny-mixtral-experts"
    cfg = load_config(None, dataset="MultiWD", base_model=str(ctx.tiny_mixtral()), output_dir=str(out),
                      overwrite=True, quantization="nf4", lora_target_parameters=EXPERT_PARAMS, max_steps=1,
                      max_train_examples=4, max_eval_examples=2, eval_strategy="no", save_strategy="no",
                      report_to="none", lora_dropout=0.0)
    try:
        build_trainer(cfg)
        message = None
    except UserError as e:
        message = str(e)
    return {"message": message, "checks": {
        "refused with one line": bool(message) and "\n" not in message,
        "the line names the field": bool(message) and "lora_target_parameters" in message,
        "nothing written": not out.exists() or not any(out.iterdir())}}


def recipe_as_written(ctx) -> str | None:
    """None when the Mixtral recipe's own LoRA settings build a trainer on the tiny Mixtral, else why not."""
    try:
        _build(ctx, "mixtral-recipe-as-written", ctx.tiny_mixtral(), recipe_dropout=True)
        return None
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return one_line(e)


def _train_run(ctx, name: str, base: Path, described: str, *, scale=None,
               inspect=None) -> dict:
    """One QLoRA run; ``inspect(prep) -> (figures, checks)`` looks at the trained model before it goes."""
    torch, s = ctx.torch, scale or ctx.scale
    import bitsandbytes as bnb
    from transformers import PrinterCallback, TrainerCallback

    class StepTimes(TrainerCallback):
        def __init__(self):
            self.marks = []

        def on_step_end(self, args, state, control, **kwargs):
            ctx.sync()
            self.marks.append((time.perf_counter(), int(state.num_input_tokens_seen or 0)))

    prep, recipe = _build(ctx, name, base, scale=s)
    cfg = prep.trainer.args
    trainer = prep.trainer
    model = trainer.model
    # kept on the CPU (a plain copy: no bitsandbytes .to()), so that the peak below is the run's own
    before = {n: torch.empty(p.shape, dtype=p.dtype).copy_(p.detach()) for n, p in model.named_parameters()}
    timer = StepTimes()
    trainer.add_callback(timer)
    trainer.remove_callback(PrinterCallback)  # a dict per step on stdout; the losses go into the report
    if ctx.cuda:
        loaded = torch.cuda.memory_allocated()  # the base and its adapter, before the first step
        torch.cuda.reset_peak_memory_stats()
    ctx.sync()
    timer.marks.append((time.perf_counter(), 0))
    _, wall = timed(ctx, trainer.train)
    step_peak = torch.cuda.max_memory_allocated() if ctx.cuda else None  # before the checks below move tensors
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    lora_names = {n for n in before if "lora_" in n}
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n].to(p.device))}
    lora_b = {n for n in lora_names if "lora_B" in n}
    (t0, k0), (t1, k1) = timer.marks[1 if len(timer.marks) > 2 else 0], timer.marks[-1]
    steady = (k1 - k0) / (t1 - t0) if t1 > t0 else None  # from the end of the first step: no warm-up in it
    counts = matmul_params(base)
    four_bit = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, bnb.nn.Linear4bit))
    opt = getattr(trainer.optimizer, "optimizer", trainer.optimizer)
    state = [t for st in opt.state.values() for t in st.values() if torch.is_tensor(t) and t.numel() > 1]
    peak = ctx.bf16_peak()
    flops_per_token = 6 * counts["active_matmul"]
    run = {
        "model": described, "recipe": str(recipe.relative_to(REPO)) if recipe else "TrainConfig defaults",
        "lora_r": cfg.lora_r, "steps": trainer.state.global_step, "batch": s.batch,
        "max_length": cfg.max_length, "tokens": int(trainer.state.num_input_tokens_seen or 0),
        "train_seconds": round(wall, 2), "tokens_per_s": round(steady, 1) if steady else None,
        "tokens_per_s_with_first_step": round((k1 / wall) if wall else 0, 1),
        "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
        "params": counts["total"], "params_trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "params_in_4bit_fraction": round(four_bit / counts["total"], 4),
        "experts_fraction": round(counts["experts"] / counts["total"], 4),
        "flops_per_token": flops_per_token,
        "mfu_vs_bf16_peak": round(flops_per_token * steady / (peak * 1e12), 5) if steady and peak else None,
        "lora_targets": sorted(model.peft_config["default"].target_modules)
        + sorted(model.peft_config["default"].target_parameters or []),
        "bf16": bool(cfg.bf16), "activation_checkpointing": bool(getattr(model, "is_gradient_checkpointing", False)),
        "optimizer": f"{getattr(cfg.optim, 'value', cfg.optim)} -> {type(opt).__module__}.{type(opt).__name__} "
                     f"(is_paged={getattr(opt, 'is_paged', None)})",
        "lora_b_changed": f"{len(lora_b & changed)}/{len(lora_b)}",
        "base_tensors_changed": sorted(changed - lora_names)[:5],
    }
    if ctx.cuda:
        run["peak_gpu_gib"] = round(step_peak / 2**30, 3)
        run["loaded_gpu_gib"] = round(loaded / 2**30, 3)
        # bitsandbytes pages only state tensors of >= 1e5 elements; LoRA r16 tensors are often smaller
        run["paged_state_tensors"] = f"{sum(bool(getattr(t, 'is_paged', False)) for t in state)}/{len(state)}"
    run["checks"] = {
        "loss finite": bool(losses) and all(math.isfinite(x) for x in losses),
        "every LoRA B changed": bool(lora_b) and lora_b <= changed,
        "no base weight changed": changed <= lora_names,
        "activation checkpointing on": run["activation_checkpointing"],
        "base in 4 bits": four_bit > 0,
    }
    if inspect is not None:
        figures, checks = inspect(prep)
        run.update(figures)
        run["checks"].update(checks)
    return run


def paged_adamw_check(ctx) -> dict:
    """One bitsandbytes PagedAdamW32bit step against torch's AdamW on a tensor big enough to be paged."""
    torch = ctx.torch
    import bitsandbytes as bnb

    gen = torch.Generator(device="cpu").manual_seed(0)
    w = torch.randn(1024, 1024, generator=gen).to(ctx.device)
    grads = [torch.randn(1024, 1024, generator=gen).to(ctx.device) for _ in range(3)]
    params = [torch.nn.Parameter(w.clone()), torch.nn.Parameter(w.clone())]
    opts = [bnb.optim.PagedAdamW32bit([params[0]], lr=1e-3, weight_decay=0.01),
            torch.optim.AdamW([params[1]], lr=1e-3, weight_decay=0.01)]
    for g in grads:
        for p, opt in zip(params, opts):
            p.grad = g.clone()
            opt.step()
    ctx.sync()
    paged = bool(getattr(opts[0].state[params[0]]["state1"], "is_paged", False))
    diff = float((params[0] - params[1]).detach().abs().max())
    return {"paged_state": paged, "max_abs_diff_vs_torch_adamw": diff, "checks": {
        "state is paged": paged, "matches torch AdamW (<= 1e-5)": diff <= 1e-5}}


def section_qlora(ctx) -> Result:
    res = Result()
    runs = {"tiny-mixtral": lambda: _train_run(ctx, "tiny-mixtral", ctx.tiny_mixtral(), "tiny random Mixtral"),
            "tiny-mixtral+experts": lambda: expert_lora_refused(ctx)}
    if ctx.scale.smollm2:
        def smol():
            folder, described = ctx.smollm2()
            return _train_run(ctx, "smollm2", folder, described)
        runs["smollm2"] = smol
    else:
        res.figures["smollm2"] = {"status": "skipped", "message": "skipped: --quick trains tiny models only"}
    if ctx.cuda:
        runs["paged-adamw"] = lambda: paged_adamw_check(ctx)
    else:
        res.skipped_items["paged optimizer state"] = ("skipped: no CUDA (bitsandbytes runs paged optimizers as "
                                                      "ordinary ones on a CPU)")
        res.skipped_items["peak GPU memory"] = "skipped: no CUDA"
    if MIXTRAL_RECIPE.is_file():
        why = recipe_as_written(ctx)
        ctx.free()
        res.target("Mixtral recipe builds as written (its lora_dropout 0.05)", why or "builds", "builds", why is None)
    for name, fn in runs.items():
        if ctx.left() < MIN_LEFT_S:
            res.figures[name] = {"status": "skipped", "message": "skipped: time budget spent"}
            continue
        start = time.perf_counter()
        try:
            run = fn()
            checks = run.pop("checks")
            for check, ok in checks.items():
                res.check(f"{name}: {check}", ok)
            run["status"] = "ok" if all(checks.values()) else "error"
        except Exception as e:  # noqa: BLE001 - one model's failure must not hide the others
            traceback.print_exc()
            run = {"status": "error", "message": one_line(e)}
            res.check(f"{name}: ran", False, one_line(e))
        ctx.free()  # the run's model went with its frame
        run["seconds"] = round(time.perf_counter() - start, 1)
        res.figures[name] = run
    res.figures["mfu_counting"] = ("6 x N x non-pad tokens/s (steady: from the end of step 1) / bf16 peak of the peak "
                                   "section; N = weights a token's matmuls use: all but the input embedding, LM "
                                   "head included, experts x top_k/num_experts; attention scores and recomputation "
                                   "not counted; the LM head scores answer tokens only, so 6N overstates the work")
    if ctx.bf16_peak() is None:
        res.notes.append("no MFU: the peak section has not run successfully in this report")
    with contextlib.suppress(Exception):
        res.figures["mixtral_8x7b_4bit_coverage"] = mixtral_8x7b_in_4bit()
    parts = []
    for name, run in res.figures.items():
        if isinstance(run, dict) and run.get("status") == "ok" and "tokens_per_s" in run:
            mfu = f", MFU {run['mfu_vs_bf16_peak']:.1%}" if run.get("mfu_vs_bf16_peak") is not None else ""
            mem = f", {run['peak_gpu_gib']:.1f} GiB" if "peak_gpu_gib" in run else ""
            parts.append(f"{name} {run['tokens_per_s']:,.0f} tok/s{mfu}{mem}")
        elif isinstance(run, dict) and run.get("status") == "ok":
            parts.append(f"{name} ok")
    res.line = "; ".join(parts)
    return res
