"""Classification metrics: gold against gold on every IMHI test file, agreement with scikit-learn,
unparsed predictions kept in line, and bad input."""

from __future__ import annotations

import pytest

from phyassist.data.tasks import TASKS
from phyassist.errors import UserError
from phyassist.evaluation.labels import infer_labels
from phyassist.evaluation.scores import UNPARSED, average, classification_scores

PRESENT = ["CAMS", "DR", "Irf", "MultiWD", "SAD", "dreaddit", "loneliness", "t-sid"]


@pytest.mark.parametrize("task", PRESENT)
def test_gold_against_gold_is_100(task, data_dir, monkeypatch):
    from phyassist.data.loading import load_imhi

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    rows = load_imhi(task, "test")
    golds = [r["label"] for r in rows]
    preds = infer_labels(task, [r["response"] for r in rows])  # the generated side's path
    res = classification_scores(golds, preds, TASKS[task].labels)
    assert res["n"] == len(rows) and res["unparsed"] == 0
    assert res["weighted_f1"] == res["accuracy"] == res["macro_f1"] == 100.0


def test_matches_sklearn_and_counts_unparsed_as_wrong():
    from sklearn.metrics import accuracy_score, f1_score

    labels = ["school", "work", "other causes"]
    golds = ["school", "work", "work", "other causes", "school", "work"]
    preds = ["school", "school", None, "other causes", "unparsed", "work"]
    res = classification_scores(golds, preds, labels)
    filled = [p or UNPARSED for p in preds]
    assert res["weighted_f1"] == pytest.approx(100 * f1_score(golds, filled, labels=labels, average="weighted"))
    assert res["macro_f1"] == pytest.approx(100 * f1_score(golds, filled, labels=labels, average="macro"))
    assert res["micro_f1"] == pytest.approx(100 * f1_score(golds, filled, labels=labels, average="micro"))
    assert res["accuracy"] == pytest.approx(100 * accuracy_score(golds, filled))
    assert res["unparsed"] == 2
    assert res["label_counts"]["gold"] == {"school": 2, "work": 3, "other causes": 1}
    assert res["label_counts"]["predicted"][UNPARSED] == 2
    # rows: gold labels; columns: labels + unparsed
    assert res["confusion_matrix"] == [[1, 0, 0, 1], [1, 1, 0, 1], [0, 0, 1, 0]]


def test_bad_input_is_a_clear_error():
    with pytest.raises(UserError, match="differ in length: 1 predictions, 2 references"):
        classification_scores(["yes", "no"], ["yes"], ["no", "yes"])
    with pytest.raises(UserError, match="reference row 1: gold label 'maybe' is not one of no, yes"):
        classification_scores(["yes", "maybe"], ["yes", "no"], ["no", "yes"])
    with pytest.raises(UserError, match="prediction row 0: label 'perhaps'"):
        classification_scores(["yes"], ["perhaps"], ["no", "yes"])
    with pytest.raises(UserError, match="`predictions` row 0: expected a label string or None, got int"):
        classification_scores(["yes"], [1], ["no", "yes"])
    with pytest.raises(UserError, match="0 rows"):
        classification_scores([], [], ["no", "yes"])


def test_average_is_unweighted_over_tasks():
    assert average({"a": {"weighted_f1": 50.0, "accuracy": 40.0}, "b": {"weighted_f1": 70.0, "accuracy": 80.0}}) == \
        {"weighted_f1": 60.0, "accuracy": 60.0}
