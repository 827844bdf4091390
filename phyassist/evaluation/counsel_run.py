"""``phyassist eval --dataset counsel-chat``: score base and adapter on held-out counsel-chat answers.

``run_counseling(cfg, load)`` reads the held-out rows (``counseling.held_out_rows``; ``--limit``: a seeded
sample of that many questions), loads the model with ``load(cfg)``, scores the answer tokens of every
row with the adapter off (base) and on (``nll``), compares them (``counseling.nll_comparison``), generates
replies to a seeded sample of ``--counsel_replies`` questions and screens them (``counseling.crisis_rate``),
and writes ``results.json`` (a ``counseling`` section), ``results.md``, ``counsel-chat.csv`` (per row NLLs)
and ``counsel-chat-replies.csv``. One process: under a multi-process launch each process runs it all.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .counseling import ANSWERS, crisis_rate, encode_rows, held_out_rows, nll_comparison

logger = logging.getLogger(__name__)


_VERDICT_WORDS = {"better": "the adapter gives the therapists' answers a lower NLL than the base",
                  "worse": "the adapter gives the therapists' answers a higher NLL than the base",
                  "no significant difference": "the interval contains zero"}


def markdown(results: dict) -> str:
    """The counseling results as a short Markdown report."""
    c, model = results["counseling"], results["model"]
    title = model["base_model"] + (f" + {model['adapter']}" if model.get("adapter") else "")
    lines = [f"# Counseling evaluation: {title}",
             "", f"counsel-chat test split: {c['questions']} held-out questions, {c['rows']} therapist answers, "
             f"{c['tokens']} answer tokens; skipped: "
             + (", ".join(f"{k} {v}" for k, v in c["skipped"].items()) or "none") + ".", "",
             "| model | NLL per answer token | 95% CI | perplexity | 95% CI |", "|---|---:|---|---:|---|"]
    for name in ("base", "adapter"):
        if name in c:
            m, ci = c[name], c[name]["ci"]
            lines.append(f"| {name} | {m['nll']:.4f} | [{ci['nll']['low']:.4f}, {ci['nll']['high']:.4f}] | "
                         f"{m['perplexity']:.2f} | [{ci['perplexity']['low']:.2f}, {ci['perplexity']['high']:.2f}] |")
    if "difference" in c:
        d = c["difference"]
        lines += ["", f"Adapter - base NLL per answer token: {d['nll']:+.4f}, paired 95% interval [{d['low']:+.4f}, "
                      f"{d['high']:+.4f}]: **{d['verdict']}**: {_VERDICT_WORDS[d['verdict']]} (lower is better)."]
    b = c["bootstrap"]
    lines += ["", f"Intervals: {b['level']:.0%} {b['method']}, {b['resamples']} resamples, seed {b['seed']}."]
    k = c["crisis"]
    if k["replies"]:
        lines += ["", f"Crisis screen on {k['replies']} generated replies (greedy, up to {k['max_new_tokens']} new "
                      f"tokens, seeded sample of questions): fired on {k['fired']} ({k['rate']:.0%})."]
    h = c["held_out"]
    lines += ["", f"Held out: {h['test_questions_in_training']} test questions found in {h['against']} "
                  f"({h['train_rows']} rows); such rows are skipped as question_in_training."]
    return "\n".join(lines) + "\n"


def reply_sample(rows: list[dict], n: int, seed: int) -> list[str]:
    """The questions of a seeded sample of ``n`` held-out questions (one reply each), in file order."""
    queries = list(dict.fromkeys(r["query"] for r in rows))
    picked = sorted(np.random.default_rng([seed, 1]).permutation(len(queries))[:n])
    return [queries[i] for i in picked]


def run_counseling(cfg, load) -> dict:
    """Score, screen and write; ``cfg`` is an ``EvalConfig``, ``load(cfg)`` gives (model, tokenizer, the
    model's names, the weights' content id), as ``run.load_for_eval`` does."""
    from ..io import write_csv, write_json, write_text
    from .generation import generate
    from .nll import answer_nll, context_length

    out = Path(cfg.out_dir)
    rows, skipped, check = held_out_rows(limit=cfg.limit, seed=cfg.sample_seed)  # data first: fails before the model
    model, tokenizer, ident, model_id = load(cfg)
    rows = encode_rows(tokenizer, rows, context_length(model), skipped)
    encoded = [(r["ids"], r["start"]) for r in rows]
    logger.info("counsel-chat: scoring %d answers to %d held-out questions (skipped: %s).", len(rows),
                len({r["question_id"] for r in rows}), dict(skipped) or "none")
    if cfg.adapter:
        with model.disable_adapter():
            base = answer_nll(model, tokenizer, encoded, batch_size=cfg.batch_size, progress=True)
        adapter = answer_nll(model, tokenizer, encoded, batch_size=cfg.batch_size, progress=True)
    else:
        base, adapter = answer_nll(model, tokenizer, encoded, batch_size=cfg.batch_size, progress=True), None
    tokens = [n for _, n in base]
    section = {"split": "test", "answers": ANSWERS, "questions": len({r["question_id"] for r in rows}),
               "rows": len(rows), "tokens": int(sum(tokens)), "skipped": dict(sorted((+skipped).items())),
               "held_out": check,
               **nll_comparison(rows, tokens, [s for s, _ in base], [s for s, _ in adapter] if adapter else None,
                                resamples=cfg.bootstrap_resamples, seed=cfg.bootstrap_seed)}
    queries = reply_sample(rows, cfg.counsel_replies, cfg.sample_seed)
    replies = generate(model, tokenizer, queries, batch_size=cfg.batch_size, max_new_tokens=cfg.max_new_tokens,
                       cache_path=out / "counsel-chat.generations.jsonl", model_id=model_id) if queries else []
    section["crisis"] = {**crisis_rate(replies), "max_new_tokens": cfg.max_new_tokens, "sample_seed": cfg.sample_seed,
                         "model": "adapter" if cfg.adapter else "base"}
    section["per_row"] = {"question_id": [r["question_id"] for r in rows], "tokens": tokens,
                          "base_nll": [s for s, _ in base], "adapter_nll": [s for s, _ in adapter] if adapter else None}
    results = {"model": ident, "dataset": "counsel-chat", "limit": cfg.limit, "counseling": section,
               "config": asdict(cfg)}
    write_csv(out / "counsel-chat.csv", [
        {"question_id": r["question_id"], "query": r["query"], "answer": r["response"], "tokens": n,
         "base_nll": s, "adapter_nll": a[0] if a else ""}
        for r, (s, n), a in zip(rows, base, adapter or [None] * len(rows))],
        ["question_id", "query", "answer", "tokens", "base_nll", "adapter_nll"])
    fired = {f["row"]: f["rule"] for f in section["crisis"]["fired_rows"]}
    write_csv(out / "counsel-chat-replies.csv", [{"query": q, "reply": r, "crisis_rule": fired.get(i, "")}
                                                 for i, (q, r) in enumerate(zip(queries, replies))],
              ["query", "reply", "crisis_rule"])
    write_json(out / "results.json", results)
    write_text(out / "results.md", markdown(results))
    return results
