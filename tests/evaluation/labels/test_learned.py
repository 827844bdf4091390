"""The learned classifier: its held-out accuracy on the test gold explanations, and its artifact of plain
arrays (no pickle) that predicts as the trained one does."""

from __future__ import annotations

import pytest

from phyassist.evaluation.labels.classifiers import find_classifiers
from phyassist.evaluation.labels.learned import LabelClassifier, explanation, train_classifier

# Held-out accuracy on the test gold explanations, label sentence removed, of a classifier trained on
# the train/validation explanations. DR and Irf stay below the 95% target: many of their gold "no"
# explanations argue for "yes", and no linear setting tried reaches 95% (benchmarks/RESULTS.md). They
# keep a floor and an xfail at 95%.
FLOORS = {"dreaddit": 95.0, "SAD": 95.0, "MultiWD": 95.0, "DR": 94.0, "Irf": 93.5}


@pytest.mark.parametrize("task", list(FLOORS))
def test_classifier_held_out_accuracy(task, data_dir, monkeypatch, tmp_path):
    from phyassist.data.loading import load_imhi

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    clf = find_classifiers(task).get(task)
    test = load_imhi(task, "test")
    preds = clf.predict([explanation(r["response"]) for r in test], [r["query"] for r in test])
    acc = sum(p == r["label"] for p, r in zip(preds, test)) / len(test) * 100
    assert acc >= FLOORS[task], f"{task}: {acc:.2f}%"
    if acc < 95.0:
        pytest.xfail(f"{task}: held-out accuracy {acc:.2f}% is below the 95% target")


def test_artifact_round_trip_without_pickle(tmp_path):
    import numpy as np

    rows = [{"query": "", "response": f"Reasoning: {w} {w} signs", "label": lab}
            for w, lab in [("calm", "no"), ("relaxed", "no"), ("fine", "no"),
                           ("hopeless", "yes"), ("empty", "yes"), ("despair", "yes")] * 3]
    clf = train_classifier("DR", rows)
    path = clf.save(tmp_path / "DR.npz")
    with np.load(path, allow_pickle=False) as z:  # only plain arrays inside
        assert {"terms", "idf", "coef", "intercept", "classes", "meta"} <= set(z.files)
    again = LabelClassifier.load(path)
    texts = ["so hopeless and empty", "calm and relaxed", "fine"]
    assert again.predict(texts) == clf.predict(texts) == ["yes", "no", "no"]
