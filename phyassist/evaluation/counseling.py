"""Counseling evaluation: how likely base and adapter find the therapists' answers to held-out counsel-chat
questions, and how often the crisis screen fires on the model's own replies.

``held_out_rows`` reads the counsel-chat test split (every answer of each question), drops and counts bad
rows, and checks each question against the train split the trainer uses (``prepare_dataset``): one found
in a training prompt is dropped as ``question_in_training``. ``nll_comparison`` gives each model's mean
answer-token NLL and perplexity (token-weighted) with percentile-bootstrap intervals over questions (all
answers of a drawn question count), and the paired adapter - base difference with its verdict: lower is
better, so "better" means the interval is below zero. ``run_counseling`` is ``phyassist eval --dataset
counsel-chat``; ``crisis_rate`` screens replies with the Space's crisis screen.
"""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np

from ..data.loading import COUNSEL_CHAT
from ..errors import UserError
from .bootstrap import LEVEL, RESAMPLES, SEED, resample_indices, verdict

logger = logging.getLogger(__name__)

ANSWERS = "all"  # every therapist's answer to a held-out question is scored
METHOD = "percentile bootstrap over questions, token-weighted mean"


def wanted(datasets) -> bool:
    """True when an eval names counsel-chat (it is scored on its own, not with the IMHI tasks)."""
    names = [str(d).lower() for d in datasets]
    if COUNSEL_CHAT not in names:
        return False
    if len(names) > 1:
        raise UserError(f"`datasets`: counsel-chat is evaluated on its own, got {', '.join(datasets)}; "
                        "expected counsel-chat alone or IMHI tasks")
    return True


def training_prompts(root=None) -> list[str]:
    """The user turns of the counsel-chat train split the trainer uses (``prepare_dataset``), normalised."""
    from ..data.overlap import normalize_post
    from ..data.prepare import prepare_dataset

    dsd, _ = prepare_dataset(COUNSEL_CHAT, root=root)
    return [normalize_post(m[0]["content"]) for m in dsd["train"]["messages"]]


def held_out_rows(*, limit: int | None = None, seed: int = SEED, root=None) -> tuple[list[dict], Counter, dict]:
    """(the rows of a seeded sample of ``limit`` held-out questions, skipped rows by reason, the held-out check)."""
    from ..data.clean import Cleaner
    from ..data.loading import load_counsel_chat

    test = load_counsel_chat("test", answers=ANSWERS, root=root)
    train = training_prompts(root)
    rows, skipped = [], Counter()
    cleaner = Cleaner(drop_links=False, drop_mojibake=False)  # as the test split is prepared: repaired, kept
    for r in test:
        if not str(r["query"] or "").strip():
            skipped["empty_question"] += 1
        elif not str(r["response"] or "").strip():
            skipped["empty_answer"] += 1
        elif any(r["question_key"] in prompt for prompt in train):
            skipped["question_in_training"] += 1
        elif (pair := cleaner(r["query"], r["response"])) is not None:
            rows.append({"query": pair[0], "response": pair[1], "question_id": r["question_id"]})
    skipped.update(cleaner.dropped)
    check = {"against": "the counsel-chat train split `phyassist train` prepares", "train_rows": len(train),
             "test_questions_in_training": len({r["question_id"] for r in test
                                                if any(r["question_key"] in p for p in train)})}
    return sample_questions(rows, limit, seed), skipped, check


def encode_rows(tokenizer, rows: list[dict], context: int | None, skipped: Counter) -> list[dict]:
    """``rows`` with their token ids and answer start (``nll.encode``); rows longer than ``context`` are
    counted in ``skipped`` as ``too_long_for_context`` and left out."""
    from .nll import encode

    out = []
    for r in rows:
        ids, start = encode(tokenizer, r["query"], r["response"])
        if context is not None and len(ids) > context:
            skipped["too_long_for_context"] += 1
        else:
            out.append({**r, "ids": ids, "start": start})
    return out


def sample_questions(rows: list[dict], limit: int | None, seed: int = SEED) -> list[dict]:
    """Every row of a seeded sample of ``limit`` questions (all when None), in file order."""
    questions = list(dict.fromkeys(r["question_id"] for r in rows))
    if limit is None or limit >= len(questions):
        return rows
    picked = {questions[i] for i in np.random.default_rng(seed).permutation(len(questions))[:limit]}
    return [r for r in rows if r["question_id"] in picked]


def _by_question(rows: list[dict], values: list[float]) -> np.ndarray:
    groups = {q: k for k, q in enumerate(dict.fromkeys(r["question_id"] for r in rows))}
    out = np.zeros(len(groups))
    np.add.at(out, [groups[r["question_id"]] for r in rows], values)
    return out


def _interval(values: np.ndarray, level: float) -> dict[str, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return {"low": float(low), "high": float(high)}


def nll_comparison(rows: list[dict], tokens: list[int], base_nll: list[float], adapter_nll: list[float] | None, *,
                   level: float = LEVEL, resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """Mean NLL per answer token and perplexity of each model with intervals, and the paired difference.

    Each resample draws questions with replacement; a model's mean is the NLL summed over the drawn
    questions' answer tokens over their number. The difference is adapter minus base on the same draws.
    """
    if not rows or sum(tokens) == 0:
        raise UserError("counseling: no answer tokens to score (every test row was skipped); expected at least one row")
    tok = _by_question(rows, tokens)
    idx = np.vstack([np.arange(len(tok)), resample_indices(len(tok), resamples, seed)])  # row 0: the point estimate
    denom = tok[idx].sum(axis=1)
    means = {name: _by_question(rows, nll)[idx].sum(axis=1) / denom
             for name, nll in (("base", base_nll), ("adapter", adapter_nll)) if nll is not None}
    out = {name: {"nll": float(m[0]), "perplexity": float(np.exp(m[0])),
                  "ci": {"nll": _interval(m[1:], level),
                         "perplexity": {k: float(np.exp(v)) for k, v in _interval(m[1:], level).items()}}}
           for name, m in means.items()}
    if "adapter" in means:
        diff = means["adapter"] - means["base"]
        ci = _interval(diff[1:], level)
        # lower is better: the verdict of base - adapter, whose interval is the negated one
        out["difference"] = {"nll": float(diff[0]), **ci, "verdict": verdict(-ci["high"], -ci["low"])}
    return {**out, "bootstrap": {"level": level, "resamples": resamples, "seed": seed, "method": METHOD}}


def crisis_rate(replies: list[str]) -> dict:
    """How many replies the Space's crisis screen fires on (``screen_conversation``, as on a chat turn)."""
    from ..serve.safety import screen_conversation

    signals = [screen_conversation([reply]) for reply in replies]
    fired = [{"row": i, "rule": s.rule} for i, s in enumerate(signals) if s]
    return {"replies": len(replies), "fired": len(fired), "rate": len(fired) / len(replies) if replies else None,
            "fired_rows": fired}
