"""Section bartscore: ``BARTScorer`` against bartscore_bench.py's reference loop on a random BART, fp32
without TF32: speedup and the largest score difference."""

from __future__ import annotations

import math

from .context import Result, fp32_precision, timed


def section_bartscore(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    from bartscore_bench import reference
    from transformers import BartConfig, BartForConditionalGeneration

    from phyassist.data.loading import imhi_path, load_imhi
    from phyassist.evaluation.bartscore import BARTScorer
    from phyassist.evaluation.labels import explanation

    tok = ctx.tokenizer()
    d, layers, heads, ffn = s.bart
    torch.manual_seed(0)
    config = BartConfig(vocab_size=s.bart_vocab or len(tok), d_model=d, encoder_layers=layers, decoder_layers=layers,
                        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
                        decoder_ffn_dim=ffn, max_position_embeddings=1024, pad_token_id=tok.pad_token_id,
                        decoder_start_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(config).eval().to(ctx.device)
    task = "dreaddit" if imhi_path("dreaddit", "test").is_file() else "MultiWD"
    rows = load_imhi(task, "test")[: s.pairs + 7]
    srcs = [explanation(r["response"]) for r in rows[: s.pairs]]
    tgts = [r["response"] for r in rows[7: s.pairs + 7]]  # another row's gold: lengths vary as in practice
    with fp32_precision(torch, "highest"):
        reference(model, tok, srcs[:4], tgts[:4], device=ctx.device)  # warm-up
        ref, t_ref = timed(ctx, lambda: reference(model, tok, srcs, tgts, device=ctx.device))
        scorer = BARTScorer(model=model, tokenizer=tok, device=ctx.device, batch_size=16)
        scorer.score(srcs[:4], tgts[:4])
        ours, t_ours = timed(ctx, lambda: scorer.score(srcs, tgts))
    nan = sum(math.isnan(x) for x in ours)
    diff = max((abs(a - b) for a, b in zip(ours, ref)), default=float("nan"))
    res.figures.update(model=f"random BART d_model {d}, {layers}+{layers} layers, vocab {config.vocab_size}",
                       params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 1), pairs=len(srcs),
                       pairs_from=f"IMHI {task} test", precision="fp32, no TF32",
                       ours_pairs_per_s=round(len(srcs) / t_ours, 2), reference_pairs_per_s=round(len(srcs) / t_ref, 2),
                       speedup=round(t_ref / t_ours, 2), max_abs_diff=diff, nan_scores=nan)
    res.check("no NaN score", nan == 0)
    res.check("max |score difference| <= 1e-4", diff <= 1e-4, diff)
    if ctx.cuda:
        res.target("speedup", round(t_ref / t_ours, 2), ">= 3x on a GPU", t_ref / t_ours >= 3)
    else:
        res.skipped_items["speedup target (>= 3x)"] = "skipped: no CUDA (the target is for a GPU)"
    res.line = (f"ours {len(srcs) / t_ours:.1f} vs reference {len(srcs) / t_ref:.1f} pairs/s -> {t_ref / t_ours:.2f}x; "
                f"max |diff| {diff:.1e}")
    return res
