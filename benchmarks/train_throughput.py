"""Training throughput: phyassist's default LoRA training vs a faithful re-implementation of the seed recipe.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/train_throughput.py            # 256 MultiWD rows
    PHYASSIST_DATA_DIR=../shared/data python benchmarks/train_throughput.py --examples 64 --eval-examples 32

One process, same base (embedded SmolLM2-135M-Instruct), same training rows, one pass each:
- ours: ``phyassist.trainer.build_trainer`` with the base's default recipe (what ``train_and_push.py`` runs:
  recipes/smollm2-135m-instruct/lora.yaml; answer-only loss scored on the answer positions only, pad != eos,
  length-grouped batches of 4 x 2 grad-accum, max_length from the data, no activation checkpointing and no LoRA
  dropout on CPU, bf16 autocast only where the CPU does bf16 in hardware, and there a bf16 frozen base,
  ``phyassist.train.cpu_attention`` and ``cpu_logprob.CpuLogProb``; ``--set KEY=VALUE`` changes a recipe key);
- seed: SFTTrainer on whole-text chat rows, packing off, group_by_length, gradient checkpointing,
  pad = eos, no max_length, fp32, LoRA r=32/alpha=32/dropout 0.05 on q,k,v,o + the MLP gate
  (``gate_proj``: SmolLM2 is dense; the seed's ``gate`` was Mixtral's router), batch 4 x accum 4,
  lr 2e-4 constant, warmup 0.03, max_grad_norm 0.3, AdamW (paged AdamW needs CUDA).
Prints examples/s and non-pad tokens/s (forward + backward over the same rows), their ratio, the
validation loss on answer tokens after training (and of the untrained base), model FLOPs
utilisation against bf16 and fp32 matmul peaks measured in this run, and peak RSS of LoRA vs
QLoRA (each in a subprocess: RSS is per process; LoRA both without and with activation checkpointing, because
QLoRA turns checkpointing on and the two savings must not be confused).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("train_throughput")


def matmul_peak(dtype_name: str, n: int = 2048, repeat: int = 8) -> float:
    """Best-of GFLOP/s of an n x n matmul in this process (same thread count as training)."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - t) / 1e9)
    return best


def flops_per_token(model, mean_len: float) -> float:
    """Model FLOPs per trained token for LoRA: frozen matmuls need forward + input-gradient (4 N),
    LoRA matmuls also their weight gradient (6 N), attention scores/values 2 x 2 x layers x len x d
    forward and twice that backward. Recomputation (checkpointing) is not model FLOPs."""
    cfg = model.config
    frozen = lora = 0
    for name, p in model.named_parameters():
        if p.ndim != 2 or "embed_tokens" in name:
            continue
        if "lora_" in name:
            lora += p.numel()
        else:
            frozen += p.numel()
    if getattr(cfg, "tie_word_embeddings", False):  # the tied LM head is a matmul too
        frozen += cfg.vocab_size * cfg.hidden_size
    attention = 3 * 4 * cfg.num_hidden_layers * mean_len * cfg.hidden_size
    return 4 * frozen + 6 * lora + attention


def answer_loss(model, tokenizer, rows: list[dict], batch: int = 4) -> float:
    """Mean NLL per answer token over ``rows`` (prompt and padding masked), rendered with the chat template."""
    import torch

    tokenizer.padding_side = "right"
    total, count = 0.0, 0
    model.eval()
    for i in range(0, len(rows), batch):
        ids, labels = [], []
        for row in rows[i:i + batch]:
            msgs = list(row["messages"])
            prompt = tokenizer.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
            full = tokenizer.apply_chat_template(msgs, tokenize=False)
            p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            f_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
            ids.append(f_ids)
            labels.append([-100] * len(p_ids) + f_ids[len(p_ids):])
        width = max(map(len, ids))
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in ids])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])
        lab = torch.tensor([x + [-100] * (width - len(x)) for x in labels])
        with torch.no_grad():
            logits = model(input_ids=input_ids, attention_mask=mask).logits.float()
        shift = lab[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), shift.reshape(-1),
                                                ignore_index=-100, reduction="sum")
        total += nll.item()
        count += int((shift != -100).sum())
    model.train()
    return total / max(count, 1)


def run_ours(args, out: Path):
    from quality import parse_sets  # the --set KEY=VALUE parser the quality benchmark uses

    from phyassist.train.config import load_config
    from phyassist.train.recipes import find_recipe
    from phyassist.train.trainer import build_trainer

    recipe = find_recipe(args.base, args.dataset)
    probe = load_config(recipe, dataset=args.dataset, base_model=args.base, output_dir=str(out))
    steps = math.ceil(args.examples / (probe.per_device_train_batch_size * probe.gradient_accumulation_steps))
    cfg = load_config(recipe, dataset=args.dataset, base_model=args.base, output_dir=str(out), overwrite=True,
                      max_train_examples=args.examples, max_eval_examples=args.eval_examples, max_steps=steps,
                      eval_strategy="no", save_strategy="no", logging_steps=1, seed=args.seed,
                      num_threads=args.threads, quantization=args.quantization,
                      activation_checkpointing=args.checkpointing, **parse_sets(args.set or []))
    logger.info("ours: recipe %s, %d steps", recipe, steps)
    prep = build_trainer(cfg)
    return prep.trainer, prep.trainer.processing_class, cfg


def run_seed(args, rows, tokenizer, model):
    """The notebook's recipe on the same rows: whole-text loss, pad = eos, no max_length, fp32."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    tokenizer.pad_token = tokenizer.eos_token  # the seed's choice
    model.config.pad_token_id = tokenizer.eos_token_id
    ds = Dataset.from_list([{"messages": list(r["messages"])} for r in rows])
    cfg = SFTConfig(
        output_dir=tempfile.mkdtemp(prefix="seed-"), packing=False, train_sampling_strategy="group_by_length",
        activation_checkpointing=True, completion_only_loss=False, max_length=None, bf16=False, fp16=False,
        per_device_train_batch_size=4, gradient_accumulation_steps=4, learning_rate=2e-4, lr_scheduler_type="constant",
        warmup_steps=0.03, max_grad_norm=0.3, optim="adamw_torch", num_train_epochs=1, save_strategy="no",
        eval_strategy="no", logging_steps=1, report_to="none", seed=args.seed, use_cpu=True,
        dataloader_pin_memory=False, include_num_input_tokens_seen="non_padding",
    )
    peft = LoraConfig(r=32, lora_alpha=32, lora_dropout=0.05, bias="none", task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj"])
    return SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tokenizer, peft_config=peft)


def timed_train(trainer) -> dict:
    t, cpu = time.perf_counter(), time.process_time()
    trainer.train()
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    tokens = int(trainer.state.num_input_tokens_seen)
    args = trainer.args
    examples = trainer.state.global_step * args.per_device_train_batch_size * args.gradient_accumulation_steps
    examples = min(examples, len(trainer.train_dataset))
    return {"seconds": wall, "tokens": tokens, "examples": examples, "tokens_per_s": tokens / wall,
            "examples_per_s": examples / wall, "steps": trainer.state.global_step,
            # CPU seconds are steadier than wall time on a shared machine (with 1 thread: no spin-waiting)
            "tokens_per_cpu_s": tokens / cpu}


def rss_child(args) -> None:
    """Train a few steps with our defaults (LoRA or QLoRA) and print the peak RSS as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer, _, cfg = run_ours(args, Path(tmp) / "run")
        trainer.train()
    print(json.dumps({"quantization": cfg.quantization, "checkpointing": bool(cfg.activation_checkpointing),
                      "peak_rss_gib": peak_rss_gib()}))


def peak_rss_gib() -> float:
    """This process image's peak RSS (VmHWM). Not ``getrusage``: on Linux its ru_maxrss survives exec,
    so a child started from a big parent would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


RSS_ARMS = {  # label -> (quantization, activation checkpointing or None for the default)
    "LoRA (our default: no checkpointing on CPU)": ("none", None),
    "LoRA + checkpointing": ("none", "true"),
    "QLoRA nf4 (our default: checkpointing on)": ("nf4", None),
}


def measure_rss(args, quantization: str, checkpointing: str | None) -> float | None:
    cmd = [sys.executable, __file__, "--rss-child", "--quantization", quantization, "--examples", "16",
           "--eval-examples", "2", "--dataset", args.dataset, "--base", args.base]
    if checkpointing:
        cmd += ["--checkpointing", checkpointing]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)["peak_rss_gib"]
    logger.error("RSS child for %s failed: %s", quantization, done.stderr[-1500:])
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=256)
    parser.add_argument("--eval-examples", type=int, default=64)
    parser.add_argument("--dataset", default="MultiWD")
    parser.add_argument("--base", default="smollm2-135m-instruct")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: phyassist's choice)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quantization", default="none")
    parser.add_argument("--checkpointing", default=None, help="activation checkpointing for our arm (default: recipe/auto)")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a key of our recipe (e.g. base_dtype=float32 attn_implementation=sdpa)")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if args.rss_child:
        rss_child(args)
        return 0

    import torch

    from phyassist.models import load_model_and_tokenizer, load_tokenizer

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        ours, tokenizer, cfg = run_ours(args, Path(tmp) / "ours")
        threads = torch.get_num_threads()
        peaks = {"bfloat16": matmul_peak("bfloat16"), "float32": matmul_peak("float32")}
        # the same rows for the seed: ours' train sample before its length filter, and the validation rows
        from phyassist.data.prepare import prepare_dataset

        dsd, _ = prepare_dataset(args.dataset, seed=args.seed)
        rows = list(dsd["train"].shuffle(seed=args.seed).select(range(min(args.examples, len(dsd["train"])))))
        val = list(dsd["validation"].shuffle(seed=args.seed).select(range(min(args.eval_examples, len(dsd["validation"])))))
        base_model, base_tok = load_model_and_tokenizer(args.base, quantization=None, dtype=torch.float32)
        base_loss = answer_loss(base_model, base_tok, val)
        del base_model

        mean_len = ours.train_dataset.to_pandas()["input_ids"].map(len).mean()
        fpt = flops_per_token(ours.model, mean_len)
        results = {"ours": timed_train(ours)}
        results["ours"]["val_answer_loss"] = answer_loss(ours.model, tokenizer, val)
        del ours

        from phyassist.train import lm_head

        lm_head.disable()  # the seed ran stock trl: on a CPU its fused LM head scores every position
        seed_model, seed_tok = load_model_and_tokenizer(args.base, quantization=None, dtype=torch.float32)
        seed = run_seed(args, rows, seed_tok, seed_model)
        results["seed"] = timed_train(seed)
        eval_tok = load_tokenizer(args.base)  # pad != eos for scoring
        results["seed"]["val_answer_loss"] = answer_loss(seed.model, eval_tok, val)
        seed_fpt = flops_per_token(seed.model, mean_len)
        del seed

    for name, r, f in (("ours", results["ours"], fpt), ("seed", results["seed"], seed_fpt)):
        r["model_gflop_per_s"] = f * r["tokens_per_s"] / 1e9
        r["mfu_vs_bf16_peak"] = r["model_gflop_per_s"] / peaks["bfloat16"]
        r["mfu_vs_fp32_peak"] = r["model_gflop_per_s"] / peaks["float32"]
    rss = {} if args.skip_rss else {label: measure_rss(args, *arm) for label, arm in RSS_ARMS.items()}

    o, s = results["ours"], results["seed"]
    print(f"\nTraining throughput, {args.base} on {len(rows)} {args.dataset} rows, {threads} torch thread(s), "
          f"load average at start {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} cores")
    print(f"matmul peak (2048^2, this process): bf16 {peaks['bfloat16']:.1f} GFLOP/s, fp32 {peaks['float32']:.1f} GFLOP/s")
    print(f"{'':22}{'ours':>12}{'seed':>12}{'ratio':>9}")
    for key, fmt in (("examples_per_s", "{:.3f}"), ("tokens_per_s", "{:.1f}"), ("tokens_per_cpu_s", "{:.1f}"), ("tokens", "{:d}"), ("steps", "{:d}"),
                     ("seconds", "{:.1f}"), ("val_answer_loss", "{:.4f}"), ("model_gflop_per_s", "{:.1f}"),
                     ("mfu_vs_bf16_peak", "{:.1%}"), ("mfu_vs_fp32_peak", "{:.1%}")):
        ratio = o[key] / s[key] if s[key] else float("nan")
        print(f"{key:22}{fmt.format(o[key]):>12}{fmt.format(s[key]):>12}{ratio:>8.2f}x")
    print(f"validation answer-token loss of the untrained base: {base_loss:.4f}")
    if rss:
        print("peak RSS (16 rows, batch 4, one process each):")
        for label, v in rss.items():
            print(f"  {label:46}{f'{v:.2f} GiB' if v else 'failed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
