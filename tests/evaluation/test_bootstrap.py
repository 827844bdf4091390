"""Bootstrap intervals against a plain loop over classification_scores, the paired verdict, the
row-pairing check, the label-stratified sample, and the speed at MultiWD's full test size."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from phyassist.errors import UserError
from phyassist.evaluation import bootstrap as bs
from phyassist.evaluation.scores import classification_scores

LABELS = ["a", "b", "c"]


def _case(n=30, seed=3):
    rng = np.random.default_rng(seed)
    golds = list(rng.choice(LABELS, n, p=[0.5, 0.3, 0.2]))
    preds = [g if rng.random() < 0.5 else rng.choice(LABELS + [None]) for g in golds]
    return golds, preds


def test_resampled_scores_equal_a_loop_over_sklearn():
    golds, preds = _case()
    g, p = bs.encode(golds, preds, LABELS)
    idx = bs.resample_indices(len(golds), 100, seed=7)
    fast = bs.scores(g, p, len(LABELS), idx)
    for b, rows in enumerate(idx):
        # classification_scores is sklearn's f1_score(average="weighted") over the labels present
        ref = classification_scores([golds[i] for i in rows], [preds[i] for i in rows], LABELS)
        assert fast["weighted_f1"][b] == pytest.approx(ref["weighted_f1"], abs=1e-9)
        assert fast["accuracy"][b] == pytest.approx(ref["accuracy"], abs=1e-9)


def test_intervals_are_seeded_and_hold_the_point_estimate():
    golds, preds = _case(80)
    ci = bs.intervals(golds, preds, LABELS, resamples=500, seed=1)
    assert ci == bs.intervals(golds, preds, LABELS, resamples=500, seed=1)
    assert ci != bs.intervals(golds, preds, LABELS, resamples=500, seed=2)
    assert {k: ci[k] for k in ("level", "resamples", "seed")} == {"level": 0.95, "resamples": 500, "seed": 1}
    point = classification_scores(golds, preds, LABELS)
    for key in ("weighted_f1", "accuracy"):
        assert ci[key]["low"] < point[key] < ci[key]["high"]


def test_paired_verdicts():
    golds, preds = _case(120)
    better = bs.paired_difference(golds, preds, golds, LABELS)
    assert better["weighted_f1"]["verdict"] == better["accuracy"]["verdict"] == "better"
    assert better["weighted_f1"]["low"] > 0 and better["n"] == 120 and better["resamples"] == 1000
    point = 100 - classification_scores(golds, preds, LABELS)["weighted_f1"]
    assert better["weighted_f1"]["difference"] == pytest.approx(point)
    worse = bs.paired_difference(golds, golds, preds, LABELS)
    assert worse["weighted_f1"]["verdict"] == "worse" and worse["weighted_f1"]["high"] < 0
    same = bs.paired_difference(golds, preds, preds, LABELS)
    assert same["accuracy"] == {"difference": 0.0, "low": 0.0, "high": 0.0, "verdict": "no significant difference"}
    assert [bs.verdict(*x) for x in ((0.1, 3), (-1, 1), (0, 2), (-2, -0.5))] == [
        "better", "no significant difference", "no significant difference", "worse"]


def _results(golds, preds, index=None):
    index = list(range(len(golds))) if index is None else index
    return {"variant": "instruction", "test_set": "instruction", "tasks": {"T": {
        "labels": LABELS, "rows": {"index": index, "gold": golds, "pred": preds, "queries_sha256": "q"}}}}


def test_compare_runs_pairs_rows_or_says_why_not():
    golds, preds = _case(40)
    out = bs.compare_runs(_results(golds, preds), _results(golds, golds))
    assert list(out) == ["T"] and out["T"]["weighted_f1"]["verdict"] == "better"
    with pytest.raises(UserError, match=r"^T: base and adapter scored different test rows \(40 and 40\); "
                                        r"evaluate both with the same limit and sample_seed$"):
        bs.compare_runs(_results(golds, preds), _results(golds, golds, index=list(range(1, 41))))
    with pytest.raises(UserError, match="different test rows"):
        bs.compare_runs(_results(golds, preds), {**_results(golds, golds), "test_set": "expert"})
    # results written before per-row labels were kept: no comparison, no error
    assert bs.compare_runs({"tasks": {"T": {"n": 1}}}, _results(golds, golds)) == {}


def test_bad_labels_and_settings():
    with pytest.raises(UserError, match="reference label 'unparsed' is not one of a, b, c"):
        bs.encode([None], ["a"], LABELS)
    with pytest.raises(UserError, match="prediction label 'd' is not one of a, b, c"):
        bs.encode(["a"], ["d"], LABELS)
    with pytest.raises(UserError, match="`resamples` must be positive, got 0"):
        bs.intervals(["a"], ["a"], LABELS, resamples=0)


def test_stratified_sample_is_proportional_seeded_and_nested():
    labels = ["no"] * 123 + ["yes"] * 77 + [None] * 3
    rng = np.random.default_rng(0)
    rng.shuffle(labels)
    pick = bs.stratified_sample(labels, 100)
    assert pick == sorted(set(pick)) and len(pick) == 100
    # shares 60.6 / 37.9 / 1.5 -> floors 60 / 37 / 1, the two rows left to the largest remainders
    assert Counter(labels[i] for i in pick) == {"no": 61, "yes": 38, None: 1}
    assert pick == bs.stratified_sample(labels, 100, seed=0) != bs.stratified_sample(labels, 100, seed=1)
    small = bs.stratified_sample(labels, 40)
    assert set(small) <= set(pick)  # each label draws from one seeded order: a smaller sample is inside a larger
    assert bs.stratified_sample(labels, 500) == list(range(len(labels)))


def test_thousand_resamples_of_a_full_test_set_take_well_under_a_second():
    rng = np.random.default_rng(0)
    golds = list(rng.choice(["yes", "no"], 2441))  # MultiWD's test size
    preds = [g if rng.random() < 0.6 else rng.choice(["yes", "no", None]) for g in golds]
    start = time.perf_counter()
    bs.paired_difference(golds, preds, golds, ["yes", "no"])
    bs.intervals(golds, preds, ["yes", "no"])
    assert time.perf_counter() - start < 2.0
