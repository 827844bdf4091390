"""BARTScore speed: ours (length-sorted batches of 16, logsumexp) against the reference loop
(BARTScore's ``BARTScorer.score``: batches of 4 in input order, LogSoftmax + NLLLoss), pairs/s.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/bartscore_bench.py [--pairs 128]

Model: a bart-base-size BART (6+6 layers, d_model 768) with random weights and the SmolLM2 tokenizer
(no download needed; the speed is what matters). Pairs: IMHI dreaddit test explanations against the
full gold answers of other rows, so lengths vary as in practice. Target: >= 2x, scores within 1e-4.
"""

from __future__ import annotations

import argparse
import time


def reference(model, tok, srcs, tgts, batch_size=4, max_length=1024):
    import torch

    loss_fct = torch.nn.NLLLoss(reduction="none", ignore_index=model.config.pad_token_id)
    lsm = torch.nn.LogSoftmax(dim=1)
    out = []
    for i in range(0, len(srcs), batch_size):
        s = tok(srcs[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt")
        t = tok(tgts[i:i + batch_size], max_length=max_length, truncation=True, padding=True, return_tensors="pt")
        with torch.no_grad():
            logits = model(input_ids=s["input_ids"], attention_mask=s["attention_mask"], labels=t["input_ids"]).logits
            loss = loss_fct(lsm(logits.view(-1, model.config.vocab_size)), t["input_ids"].view(-1))
            loss = loss.view(t["input_ids"].shape[0], -1).sum(dim=1) / t["attention_mask"].sum(dim=1)
        out += [-x.item() for x in loss]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args()

    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    from phyassist.bartscore import BARTScorer
    from phyassist.data import load_imhi
    from phyassist.labels import explanation
    from phyassist.models import load_tokenizer

    tok = load_tokenizer()
    torch.manual_seed(0)
    config = BartConfig(vocab_size=len(tok), d_model=768, encoder_layers=6, decoder_layers=6, encoder_attention_heads=12,
                        decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072, max_position_embeddings=1024,
                        pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(config).eval()
    rows = load_imhi("dreaddit", "test")[: args.pairs + 7]
    srcs = [explanation(r["response"]) for r in rows[: args.pairs]]
    tgts = [r["response"] for r in rows[7: args.pairs + 7]]

    t0 = time.perf_counter()
    ref = reference(model, tok, srcs, tgts)
    t_ref = time.perf_counter() - t0
    scorer = BARTScorer(model=model, tokenizer=tok, device="cpu", batch_size=args.batch_size)
    t0 = time.perf_counter()
    ours = scorer.score(srcs, tgts)
    t_ours = time.perf_counter() - t0
    diff = max(abs(a - b) for a, b in zip(ours, ref))
    print(f"model: {sum(x.numel() for x in model.parameters()) / 1e6:.0f}M parameters, {len(srcs)} pairs")
    print(f"reference (batch 4, unsorted): {len(srcs) / t_ref:7.2f} pairs/s")
    print(f"ours (batch {args.batch_size}, length-sorted): {len(srcs) / t_ours:7.2f} pairs/s")
    print(f"ratio: {t_ref / t_ours:.2f}x (target >= 2x); max |score difference| {diff:.2e} (target <= 1e-4)")


if __name__ == "__main__":
    main()
