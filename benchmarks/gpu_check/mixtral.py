"""Section mixtral: a slice of Mixtral-8x7B at its real width (2 of its 32 layers: hidden 4096, 8 experts of
14,336, vocabulary 32,000), random weights built on the device (nothing downloaded), trained through
``build_trainer`` with the production QLoRA recipe: steady tokens/s, the peak memory of its steps against
``phyassist.train.memory``'s estimate, and its 4-bit forward against a 16-bit model holding the dequantized
weights. ``--quick`` runs it at a tiny width on any device; a full run without CUDA skips it, saying why."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from .context import Result, one_line
from .qlora import _train_run

GIB = 2**30
# relative norm of the logits' difference: both sides multiply the same bf16 weights, in other orders (NF4's own
# error, against the unquantized weights, is about 0.1 at tiny width)
FORWARD_TOL = 2e-2
REAL_WIDTH_MIN_LEFT_S = 150  # building, saving and loading 6 GiB of weights, six steps, a 16-bit reference


def build_slice(ctx, shape: dict) -> Path:
    """The slice's model folder: a random Mixtral of ``shape`` built in bf16 on the check's device, saved with
    this run's tokenizer (the vocabulary is the larger of the two)."""
    def make(folder: Path):
        import transformers

        torch, tok = ctx.torch, ctx.tokenizer()
        config = transformers.MixtralConfig(**{**shape, "vocab_size": max(shape.get("vocab_size", 0), len(tok))},
                                            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                            pad_token_id=tok.pad_token_id)
        torch.manual_seed(0)
        with torch.device(ctx.device):  # initialised where it trains: no 12 GiB fp32 copy on the host
            model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        model.generation_config.eos_token_id = tok.eos_token_id
        model.generation_config.pad_token_id = tok.pad_token_id
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
        (folder / "phyassist_base.json").write_text(json.dumps({"hub_id": "phyassist-gpu-check/mixtral-slice"}) + "\n")
        del model
        ctx.free()

    return ctx._build("mixtral-slice", make)


def memory_estimate(cfg) -> dict | str:
    """``phyassist.train.memory``'s estimate for the run's config, in GiB, or why there is none."""
    try:
        from phyassist.train.memory import estimate_memory
    except ImportError as e:
        return f"skipped: no memory estimator here ({one_line(e)})"
    asked = cfg.base_dtype
    cfg.base_dtype = cfg.hardware.base_dtype  # the dtype the run loaded its 16-bit parts in, not 'auto'
    try:
        est = estimate_memory(cfg.base_preset, cfg)
    finally:
        cfg.base_dtype = asked
    parts = {"base": est.base, "adapter": est.lora_bytes, "gradients": est.gradient_bytes,
             "optimizer": est.optimizer_bytes, "total": est.total}
    return {**{f"{k}_gib": round(v / GIB, 4) for k, v in parts.items()}, "optimizer_counted": est.optimizer}


def forward_vs_dequantized(ctx, model, folder: Path, tokens: int) -> dict:
    """Logits of the trained 4-bit base with its adapter off, and of the saved model in 16 bits holding the
    4-bit layers' dequantized weights (attention ``Linear4bit``, fused experts ``Experts4bit``)."""
    torch = ctx.torch
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    from phyassist.experts4bit import PROJECTIONS, Experts4bit

    base = model.get_base_model()
    linear = [(n, m) for n, m in base.named_modules() if isinstance(m, bnb.nn.Linear4bit)]
    experts = [(n, m) for n, m in base.named_modules() if isinstance(m, Experts4bit)]
    dtype = linear[0][1].compute_dtype
    device = "cuda:0" if ctx.cuda else "cpu"
    reference = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, device_map={"": device})
    ids = torch.randint(0, model.config.vocab_size, (2, tokens), generator=torch.Generator().manual_seed(0))
    ids = ids.to(ctx.device)
    model.eval()
    with torch.no_grad():
        with model.disable_adapter():
            ours = model(input_ids=ids).logits.float()
        original = reference(input_ids=ids).logits.float()  # the weights before quantization
        for name, module in linear:
            w = module.weight
            target = reference.get_submodule(name.removesuffix(".base_layer")).weight
            target.copy_(bnb.functional.dequantize_4bit(w.data, w.quant_state).to(dtype))
        for name, module in experts:
            target = reference.get_submodule(name)
            for proj in PROJECTIONS:
                getattr(target, proj).copy_(module.dequantized(proj, dtype))
        theirs = reference(input_ids=ids).logits.float()
    del reference
    ctx.free()
    rel = float((ours - theirs).norm() / theirs.norm())
    return {"forward_rel_diff": rel, "forward_max_abs_diff": float((ours - theirs).abs().max()),
            # NF4's own error, for scale: what the comparison above would show were the dequantization wrong
            "forward_rel_diff_vs_unquantized": float((ours - original).norm() / original.norm()),
            "linear4bit_modules": len(linear), "experts4bit_modules": len(experts)}


def section_mixtral(ctx) -> Result:
    res, sl = Result(), ctx.scale.slice
    if sl is None:
        res.skipped = ("skipped: no CUDA; the Mixtral slice at real width (2 layers, hidden 4096, 8 experts of "
                       "14,336) runs on a GPU (--quick runs it at a tiny width)")
        return res
    real = sl["shape"]["hidden_size"] >= 4096
    if real and ctx.left() < REAL_WIDTH_MIN_LEFT_S:
        res.skipped = f"skipped: under {REAL_WIDTH_MIN_LEFT_S} s of the time budget left for the real-width slice"
        return res
    folder = build_slice(ctx, sl["shape"])
    layers = sl["shape"]["num_hidden_layers"]
    found: dict = {}

    def inspect(prep):
        try:
            found["estimate"] = memory_estimate(prep.trainer.args)
        except Exception as e:  # noqa: BLE001 - the estimator's failure is a failed check, the rest still runs
            found["estimate_error"] = one_line(e)
        figures = forward_vs_dequantized(ctx, prep.trainer.model, folder, sl["compare_tokens"])
        checks = {f"forward matches the dequantized 16-bit model (rel. diff <= {FORWARD_TOL:g})":
                  figures["forward_rel_diff"] <= FORWARD_TOL,
                  "fused experts in 4 bits": figures["experts4bit_modules"] == layers}
        return figures, checks

    width = "real" if real else "tiny"
    described = (f"Mixtral slice: {layers} layers at {width} width (hidden {sl['shape']['hidden_size']}, "
                 f"{sl['shape']['num_local_experts']} experts of {sl['shape']['intermediate_size']}), random weights")
    scale = SimpleNamespace(steps=sl["steps"], batch=sl["batch"], max_chars=sl["max_chars"])
    run = _train_run(ctx, "mixtral-slice", folder, described, scale=scale, inspect=inspect)
    for check, ok in run.pop("checks").items():
        res.check(check, ok)
    estimate = found.get("estimate")
    run["memory_estimate"] = estimate
    if "estimate_error" in found:
        res.check("memory estimate computed", False, found["estimate_error"])
    res.figures["slice"] = run
    if isinstance(estimate, str):
        res.skipped_items["memory estimate"] = estimate
    if not ctx.cuda:
        res.skipped_items["peak GPU memory against the estimate"] = "skipped: no CUDA"
    elif isinstance(estimate, dict):
        # the estimate has no activations: a step's peak exceeds its total by them; after loading, the GPU holds
        # the base and the adapter alone
        loaded = run["loaded_gpu_gib"] / (estimate["base_gib"] + estimate["adapter_gib"])
        res.target("GPU memory after loading / estimated base and adapter", round(loaded, 3), "0.9 to 1.1",
                   0.9 <= loaded <= 1.1)
        peak = run["peak_gpu_gib"] / estimate["total_gib"]
        res.target("peak GPU memory of a step / estimated total (activations not in it)", round(peak, 3), ">= 1",
                   peak >= 1)
        run["activations_and_transients_gib"] = round(run["peak_gpu_gib"] - estimate["total_gib"], 3)
    parts = [f"{run['tokens_per_s']:,.0f} tok/s" if run.get("tokens_per_s") else "no steady tokens/s"]
    if "peak_gpu_gib" in run:
        total = f" (estimate without activations {estimate['total_gib']:.1f})" if isinstance(estimate, dict) else ""
        parts.append(f"peak {run['peak_gpu_gib']:.1f} GiB{total}")
    parts.append(f"forward vs dequantized {run['forward_rel_diff']:.1e}")
    res.line = f"{width} width: " + ", ".join(parts)
    ctx.free()
    return res
