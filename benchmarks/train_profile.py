"""Where a CPU training step's time goes: torch.profiler over a few steps of our default recipe.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/train_profile.py --steps 6 --threads 2
    ... --set base_dtype=float32 --set attn_implementation=sdpa   # any TrainConfig override, to compare

Builds the same trainer as ``benchmarks/train_throughput.py`` (our arm), runs ``--warmup`` optimizer
steps unprofiled, then ``--steps`` under the profiler, and prints: the matmul peaks (bf16, fp32) measured
in this process, time per step and model GFLOP/s (model FLOPs as in ``train_throughput.flops_per_token``),
the self-time share of op groups (matmuls, attention, element-wise, dtype casts, optimizer, LM head/loss,
other) and the top ops. Run it alone on an idle machine.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GROUPS = (  # first match wins; op names as torch.profiler reports them
    ("matmul", ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::linear", "aten::baddbmm",
                "mkldnn", "onednn", "aten::_mkl")),
    ("attention", ("scaled_dot_product", "flash_attention", "_efficient_attention", "aten::softmax",
                   "aten::_softmax")),
    ("cast/copy", ("aten::to", "aten::_to_copy", "aten::copy_", "aten::clone", "aten::contiguous")),
    ("optimizer", ("Optimizer.step", "aten::_foreach", "aten::addcdiv", "aten::addcmul", "aten::lerp",
                   "aten::sqrt")),
    ("loss/lm head", ("cross_entropy", "log_softmax", "logsumexp", "nll_loss", "aten::gather")),
    ("element-wise", ("aten::mul", "aten::add", "aten::silu", "aten::rsqrt", "aten::pow", "aten::mean",
                      "aten::neg", "aten::cat", "aten::sub", "aten::div", "aten::where", "aten::sum",
                      "aten::fill_", "aten::zero_", "aten::masked_fill", "aten::cos", "aten::sin",
                      "aten::embedding", "aten::index", "aten::eq", "aten::ne")),
)


def group_of(name: str) -> str:
    for group, keys in GROUPS:
        if any(k in name for k in keys):
            return group
    return "other"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="MultiWD")
    parser.add_argument("--base", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=6, help="profiled optimizer steps")
    parser.add_argument("--warmup", type=int, default=2, help="unprofiled optimizer steps first")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import torch
    from torch.profiler import ProfilerActivity, profile
    from transformers import TrainerCallback

    from phyassist.train.config import load_config
    from phyassist.train.recipes import find_recipe
    from phyassist.train.trainer import build_trainer
    from quality import parse_sets
    from train_throughput import flops_per_token, matmul_peak

    recipe = find_recipe(args.base, args.dataset)
    probe = load_config(recipe, dataset=args.dataset, base_model=args.base, output_dir=tempfile.mkdtemp())
    per_step = probe.per_device_train_batch_size * probe.gradient_accumulation_steps
    total = args.warmup + args.steps
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(recipe, dataset=args.dataset, base_model=args.base, output_dir=str(Path(tmp) / "run"),
                          overwrite=True, max_train_examples=total * per_step, max_eval_examples=2, max_steps=total,
                          eval_strategy="no", save_strategy="no", logging_steps=1, seed=args.seed,
                          num_threads=args.threads, **parse_sets(args.set))
        trainer = build_trainer(cfg).trainer
        peaks = {d: matmul_peak(d) for d in ("bfloat16", "float32")}
        lens = trainer.train_dataset.to_pandas()["input_ids"].map(len)
        fpt = flops_per_token(trainer.model, float(lens.mean()))

        marks: dict = {}
        prof = profile(activities=[ProfilerActivity.CPU], record_shapes=False)

        class Window(TrainerCallback):
            def on_step_begin(self, a, state, control, **kw):
                if state.global_step == args.warmup:
                    marks["t0"], marks["tok0"] = time.perf_counter(), state.num_input_tokens_seen
                    prof.__enter__()

            def on_step_end(self, a, state, control, **kw):
                if state.global_step == total:
                    prof.__exit__(None, None, None)
                    marks["t1"], marks["tok1"] = time.perf_counter(), state.num_input_tokens_seen

        trainer.add_callback(Window())
        trainer.train()
    seconds = marks["t1"] - marks["t0"]
    tokens = marks["tok1"] - marks["tok0"]
    gflops = fpt * tokens / seconds / 1e9
    events = prof.key_averages()
    self_us = {e.key: e.self_cpu_time_total for e in events}
    all_self = sum(self_us.values()) or 1
    groups = defaultdict(float)
    for name, us in self_us.items():
        groups[group_of(name)] += us
    print(f"\n{args.base} on {args.dataset}: {args.steps} profiled steps of {per_step} rows, {torch.get_num_threads()} "
          f"thread(s), bf16={cfg.bf16}, overrides {parse_sets(args.set) or '-'}")
    print(f"matmul peak (2048^2, this process): bf16 {peaks['bfloat16']:.1f}, fp32 {peaks['float32']:.1f} GFLOP/s")
    print(f"{seconds / args.steps:.2f} s/step, {tokens / seconds:.1f} tokens/s (profiler on), model {gflops:.1f} GFLOP/s "
          f"= {gflops / peaks['bfloat16']:.1%} of the bf16 peak, {gflops / peaks['float32']:.1%} of fp32")
    print("self time by group:")
    for g, us in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {g:14}{us / all_self:7.1%}")
    print(f"top {args.top} ops by self time:")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:args.top]:
        print(f"  {e.key[:60]:60}{e.self_cpu_time_total / all_self:7.1%}{e.count:8d} calls")
    return 0 if math.isfinite(gflops) else 1


if __name__ == "__main__":
    sys.exit(main())
