"""BARTScore speed: ours (encoder and decoder each on length-sorted batches of 16, vocabulary head on
non-pad targets in cache-sized blocks with a running logsumexp) against the reference loop
(BARTScore's ``BARTScorer.score``: batches of 4 in input order, LogSoftmax + NLLLoss), pairs/s.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/bartscore_bench.py [--pairs 128] [--device cuda]

Model: a bart-base-size BART (6+6 layers, d_model 768) with random weights and the SmolLM2 tokenizer
(no download needed; the speed is what matters). Pairs: IMHI dreaddit test explanations against the
full gold answers of other rows, so lengths vary as in practice. Target: >= 2x, scores within 1e-4.

It also prints the work each arm must do (matmul FLOPs from the model shape and the token counts:
the reference's padded batches, ours without padding) and, on a CPU, the fp32 matmul rate measured in
this process. The ratio can exceed the FLOP ratio only by running ours at a higher FLOP rate than the
reference; "ceiling" is the ratio ours would reach if it ran every FLOP at that matmul rate.
"""

from __future__ import annotations

import argparse
import time


def reference(model, tok, srcs, tgts, batch_size=4, max_length=1024, device="cpu"):
    import torch

    loss_fct = torch.nn.NLLLoss(reduction="none", ignore_index=model.config.pad_token_id)
    lsm = torch.nn.LogSoftmax(dim=1)
    out = []
    for i in range(0, len(srcs), batch_size):
        s = tok(srcs[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt").to(device)
        t = tok(tgts[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt").to(device)
        with torch.no_grad():
            logits = model(input_ids=s["input_ids"], attention_mask=s["attention_mask"], labels=t["input_ids"]).logits
            loss = loss_fct(lsm(logits.view(-1, model.config.vocab_size)), t["input_ids"].view(-1))
            loss = loss.view(t["input_ids"].shape[0], -1).sum(dim=1) / t["attention_mask"].sum(dim=1)
        out += [-x.item() for x in loss]
    return out


def matmul_flops(config, src_len: int, tgt_len: int, scored: int) -> float:
    """Multiply-add FLOPs of one padded (src_len, tgt_len) pair: encoder, decoder (self- and cross-attention,
    FFN) and the vocabulary head on ``scored`` target positions."""
    d, v = config.d_model, config.vocab_size
    enc = config.encoder_layers * (src_len * (4 * d * d + 2 * d * config.encoder_ffn_dim) + 2 * src_len * src_len * d)
    dec = config.decoder_layers * (tgt_len * (6 * d * d + 2 * d * config.decoder_ffn_dim) + 2 * src_len * d * d
                                   + 2 * tgt_len * tgt_len * d + 2 * tgt_len * src_len * d)
    return 2.0 * (enc + dec + scored * d * v)


def work(config, tok, srcs, tgts, batch_size=4, max_length=1024):
    """(FLOPs of the reference's padded batches of ``batch_size`` in input order, FLOPs without padding)."""
    s = [len(x) for x in tok(srcs, max_length=max_length, truncation=True)["input_ids"]]
    t = [len(x) for x in tok(tgts, max_length=max_length, truncation=True)["input_ids"]]
    exact = sum(matmul_flops(config, a, b, b) for a, b in zip(s, t))
    padded = 0.0
    for i in range(0, len(s), batch_size):
        ms, mt = max(s[i:i + batch_size]), max(t[i:i + batch_size])
        padded += len(s[i:i + batch_size]) * matmul_flops(config, ms, mt, mt)
    return padded, exact


def matmul_rate() -> float:
    """fp32 GFLOP/s of a [1440, 768] x [768, 3072] matmul (a bart-base FFN layer on ~16 pairs) in this process."""
    import torch

    a, b = torch.randn(1440, 768), torch.randn(768, 3072)
    a @ b
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        a @ b
        n += 1
    return 2 * 1440 * 768 * 3072 * n / (time.perf_counter() - t0) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu or cuda (fp32 on both, TF32 off: scores must match)")
    args = p.parse_args()

    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.bartscore import BARTScorer
    from phyassist.evaluation.labels import explanation
    from phyassist.models import load_tokenizer

    tok = load_tokenizer()
    torch.manual_seed(0)
    config = BartConfig(vocab_size=len(tok), d_model=768, encoder_layers=6, decoder_layers=6, encoder_attention_heads=12,
                        decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072, max_position_embeddings=1024,
                        pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.eos_token_id)
    torch.backends.cuda.matmul.allow_tf32 = False
    model = BartForConditionalGeneration(config).eval().to(args.device)
    rows = load_imhi("dreaddit", "test")[: args.pairs + 7]
    srcs = [explanation(r["response"]) for r in rows[: args.pairs]]
    tgts = [r["response"] for r in rows[7: args.pairs + 7]]

    ref_flops, exact_flops = work(config, tok, srcs, tgts)
    reference(model, tok, srcs[:4], tgts[:4], device=args.device)  # warm-up
    t0 = time.perf_counter()
    ref = reference(model, tok, srcs, tgts, device=args.device)
    t_ref = time.perf_counter() - t0
    scorer = BARTScorer(model=model, tokenizer=tok, device=args.device, batch_size=args.batch_size)
    t0 = time.perf_counter()
    ours = scorer.score(srcs, tgts)
    t_ours = time.perf_counter() - t0
    diff = max(abs(a - b) for a, b in zip(ours, ref))
    print(f"model: {sum(x.numel() for x in model.parameters()) / 1e6:.0f}M parameters, {len(srcs)} pairs")
    print(f"reference (batch 4, unsorted): {len(srcs) / t_ref:7.2f} pairs/s")
    print(f"ours (batch {args.batch_size}, encoder by source length, decoder by target length): {len(srcs) / t_ours:7.2f} pairs/s")
    print(f"ratio: {t_ref / t_ours:.2f}x (target >= 2x); max |score difference| {diff:.2e} (target <= 1e-4)")
    print(f"work: reference {ref_flops / 1e12:.2f} TFLOP (padded batches), ours {exact_flops / 1e12:.2f} TFLOP "
          f"(no padding): {ref_flops / exact_flops:.2f}x less work")
    print(f"achieved: reference {ref_flops / t_ref / 1e9:.0f} GFLOP/s, ours {exact_flops / t_ours / 1e9:.0f} GFLOP/s")
    if args.device == "cpu":
        rate = matmul_rate()
        print(f"fp32 matmul rate here: {rate:.0f} GFLOP/s; ceiling for ours at that rate on every FLOP: "
              f"{t_ref / (exact_flops / (rate * 1e9)):.2f}x")


if __name__ == "__main__":
    main()
