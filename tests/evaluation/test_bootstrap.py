"""Bootstrap intervals against a plain loop over classification_scores, the paired verdict, the
row-pairing check, the label-stratified sample, and the speed at MultiWD's full test size; intervals and
paired differences of per-row means (ROUGE-L, explained rate, BARTScore) against a plain loop."""

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


def _rows(n=60, seed=5):
    """Per-row ROUGE-L (None where the gold has no explanation), explained flags and BARTScores."""
    rng = np.random.default_rng(seed)
    rouge = [None if i % 10 == 3 else float(v) for i, v in enumerate(rng.uniform(0, 60, n))]
    return rouge, [bool(v) for v in rng.random(n) < 0.4], [float(v) for v in rng.normal(-4, 1, n)]


def test_mean_intervals_equal_a_plain_loop_and_leave_out_rows_without_a_value():
    rouge, explained, _ = _rows()
    ci = bs.mean_intervals({"rouge_l": rouge, "explained_rate": [100.0 * e for e in explained], "none": [None, None]},
                           resamples=300, seed=4)
    assert set(ci) == {"rouge_l", "explained_rate"}  # a series without any value gets no interval
    kept = [v for v in rouge if v is not None]
    means = [np.mean([kept[i] for i in rows]) for rows in bs.resample_indices(len(kept), 300, seed=4)]
    assert ci["rouge_l"] == {"low": pytest.approx(np.percentile(means, 2.5)), "high": pytest.approx(np.percentile(means, 97.5))}
    assert ci["rouge_l"]["low"] < np.mean(kept) < ci["rouge_l"]["high"]
    rate = 100 * np.mean(explained)
    assert ci["explained_rate"]["low"] < rate < ci["explained_rate"]["high"] <= 100
    # no row left out: the F1 intervals' resample indices, row for row
    full = [float(v) for v in range(60)]
    idx = bs.resample_indices(60, 300, seed=4)
    assert bs.mean_intervals({"x": full}, resamples=300, seed=4)["x"]["low"] == pytest.approx(
        np.percentile(np.array(full)[idx].mean(axis=1), 2.5))


def test_paired_mean_difference_pairs_rows_and_gives_the_verdict():
    rouge, _, _ = _rows()
    better = [None if v is None else v + 5 for v in rouge]
    d = bs.paired_mean_difference(rouge, better, resamples=300)
    assert d == {"difference": pytest.approx(5.0), "low": pytest.approx(5.0), "high": pytest.approx(5.0),
                 "verdict": "better", "n": 54}
    assert bs.paired_mean_difference(better, rouge)["verdict"] == "worse"
    noisy = [None if v is None else v + (3 if i % 2 else -3) for i, v in enumerate(rouge)]
    d = bs.paired_mean_difference(rouge, noisy, resamples=500, seed=2)
    pairs = [(a, b) for a, b in zip(rouge, noisy) if a is not None]
    diffs = [np.mean([pairs[i][1] - pairs[i][0] for i in rows]) for rows in bs.resample_indices(len(pairs), 500, seed=2)]
    assert d["low"] == pytest.approx(np.percentile(diffs, 2.5)) and d["high"] == pytest.approx(np.percentile(diffs, 97.5))
    assert d["verdict"] == "no significant difference" and d["low"] < 0 < d["high"]
    # a row only one side has (a BARTScore pair that failed in one run) is left out of both
    one_sided = list(better)
    one_sided[0] = None
    assert bs.paired_mean_difference(rouge, one_sided)["n"] == 53
    assert bs.paired_mean_difference([None], [1.0]) is None
    with pytest.raises(UserError, match=r"^paired values differ in length: 2 for the base, 1 for the adapter$"):
        bs.paired_mean_difference([1.0, 2.0], [1.0])


def test_compare_runs_carries_the_explanation_axes():
    golds, preds = _case(60)
    rouge, explained, bart = _rows()
    base, adapter = _results(golds, preds), _results(golds, golds)
    base["tasks"]["T"]["rows"].update(rouge_l=rouge, explained=explained, bart_score=bart)
    adapter["tasks"]["T"]["rows"].update(rouge_l=[None if v is None else v + 2 for v in rouge],
                                         explained=[True] * 60, bart_score=bart)
    out = bs.compare_runs(base, adapter)["T"]
    assert out["rouge_l"]["difference"] == pytest.approx(2.0) and out["rouge_l"]["verdict"] == "better"
    assert out["rouge_l"]["n"] == 54 and out["explained_rate"]["n"] == 60
    assert out["explained_rate"]["difference"] == pytest.approx(100 - 100 * np.mean(explained))
    assert out["bart_score"]["difference"] == 0.0 and out["bart_score"]["verdict"] == "no significant difference"
    assert out["weighted_f1"]["verdict"] == "better"
    # a run without per-row explanation scores (written before they were kept): labels only
    del base["tasks"]["T"]["rows"]["rouge_l"], base["tasks"]["T"]["rows"]["bart_score"]
    assert set(bs.compare_runs(base, adapter)["T"]) & {"rouge_l", "explained_rate", "bart_score"} == {"explained_rate"}


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
