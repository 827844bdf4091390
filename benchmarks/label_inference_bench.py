"""Label inference speed: ours (strict parser, then TF-IDF + logistic regression) against a
BERT-base-size sequence classifier (random initialisation: only the speed matters), responses/s.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/label_inference_bench.py [--n 512] [--bert-n 64]

Inputs: the MultiWD test gold explanations with the label sentence removed (so the parser finds
nothing and every response goes through the classifier). Target: ours >= 100x.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=512, help="responses for ours")
    p.add_argument("--bert-n", type=int, default=64, help="responses for the BERT baseline (it is slow)")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args()

    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.labels import explanation, make_labeler
    from phyassist.models import load_tokenizer

    rows = load_imhi("MultiWD", "test")[: args.n]
    texts = [explanation(r["response"]) for r in rows]
    queries = [r["query"] for r in rows]
    labeler = make_labeler("MultiWD")  # finding, building or fetching and loading are one-offs, not timed (nor BERT's)
    labeler(texts[:1], queries[:1])
    t0 = time.perf_counter()
    preds = labeler(texts, queries)
    ours = len(texts) / (time.perf_counter() - t0)
    acc = sum(p == r["label"] for p, r in zip(preds, rows)) / len(rows) * 100

    tok = load_tokenizer()
    torch.manual_seed(0)
    bert = BertForSequenceClassification(BertConfig(vocab_size=len(tok), num_labels=2, pad_token_id=tok.pad_token_id)).eval()
    n_params = sum(x.numel() for x in bert.parameters()) / 1e6
    sub = texts[: args.bert_n]
    t0 = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(sub), args.batch_size):
            enc = tok(sub[i:i + args.batch_size], truncation=True, max_length=512, padding=True, return_tensors="pt")
            bert(**enc).logits.argmax(-1)
    base = len(sub) / (time.perf_counter() - t0)
    print(f"ours (parser + TF-IDF/LR): {ours:10.1f} responses/s on {len(texts)} (accuracy vs gold {acc:.1f}%)")
    print(f"BERT-base-size ({n_params:.0f}M):  {base:10.1f} responses/s on {len(sub)} (batch {args.batch_size}, max 512 tokens)")
    print(f"ratio: {ours / base:.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
