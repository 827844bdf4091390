"""Generation speed: ours (length-sorted, left-padded batches, max_new_tokens bound) against a faithful
re-implementation of MentalLLaMA's IMHI.py loop (file order, batch 8, pad = unk or eos,
``max_length=2048``), samples/s, plus how often both give the same inferred label.

    PHYASSIST_DATA_DIR=../shared/data nice -n 5 python benchmarks/generation_bench.py [--n 64]

Both use the embedded SmolLM2-135M-Instruct, greedy decoding, the chat template and the same queries
(the first N MultiWD test rows). Target: ours >= 3x the samples/s, same label on >= 95% of rows.
"""

from __future__ import annotations

import argparse
import time


def imhi_loop(model, tok, prompts, batch_size=8):
    """IMHI.py's loop: batches in file order, pad with unk (else eos), left padding, max_length=2048."""
    import torch

    tok.pad_token = tok.unk_token or tok.eos_token
    tok.padding_side = "left"
    out = []
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i:i + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            gen = model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], max_length=2048,
                                 do_sample=False)
        out += tok.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return [t.strip() for t in out]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=256)
    args = p.parse_args()

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.generation import chat_prompt, generate
    from phyassist.evaluation.labels import infer_labels
    from phyassist.models import load_model_and_tokenizer, load_tokenizer

    rows = load_imhi("MultiWD", "test")[: args.n]
    queries = [r["query"] for r in rows]
    model, tok = load_model_and_tokenizer()
    model.generation_config.max_new_tokens = None  # IMHI.py relies on max_length alone

    t0 = time.perf_counter()
    ours = generate(model, tok, queries, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens, progress=False)
    t_ours = time.perf_counter() - t0
    print(f"ours (sorted, bounded):  {len(queries) / t_ours:6.3f} samples/s ({t_ours:.0f} s)", flush=True)
    base_tok = load_tokenizer()
    prompts = [chat_prompt(base_tok, q) for q in queries]
    t0 = time.perf_counter()
    base = imhi_loop(model, base_tok, prompts, args.batch_size)
    t_base = time.perf_counter() - t0

    la = infer_labels("MultiWD", ours, queries)
    lb = infer_labels("MultiWD", base, queries)
    same = sum(a == b for a, b in zip(la, lb)) / len(la) * 100
    words = lambda texts: sum(len(t.split()) for t in texts) / len(texts)  # noqa: E731
    print(f"rows: {len(queries)} MultiWD test queries; mean words ours {words(ours):.0f}, baseline {words(base):.0f}")
    print(f"baseline (IMHI.py loop): {len(queries) / t_base:6.3f} samples/s ({t_base:.0f} s)")
    print(f"ours (sorted, bounded):  {len(queries) / t_ours:6.3f} samples/s ({t_ours:.0f} s)")
    print(f"ratio: {t_base / t_ours:.2f}x (target >= 3x); same inferred label on {same:.1f}% of rows (target >= 95%); "
          f"identical text on {sum(a == b for a, b in zip(ours, base)) / len(ours) * 100:.0f}%")


if __name__ == "__main__":
    main()
