"""Classification scores for IMHI: weighted/macro/micro F1 and accuracy (x 100; the headline is sklearn's
weighted F1), per-label counts and the confusion matrix. An unparsed prediction (``None`` or
``"unparsed"``) stays in its row and counts as wrong, so predictions never drift out of line with the golds."""

from __future__ import annotations

from typing import Sequence

from ..errors import UserError

UNPARSED = "unparsed"


def _clean(values: Sequence, name: str) -> list[str]:
    out = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, str) and v.strip() in ("", UNPARSED)):
            out.append(UNPARSED)
        elif isinstance(v, str):
            out.append(v.strip().lower())
        else:
            raise UserError(f"`{name}` row {i}: expected a label string or None, got {type(v).__name__}")
    return out


def classification_scores(golds: Sequence, preds: Sequence, labels: Sequence[str]) -> dict:
    """Scores of predicted against gold labels over a task's label set (F1 and accuracy x 100).

    ``labels`` fixes the label order of ``label_counts`` and of the confusion matrix; the matrix has
    one extra column, ``unparsed``, for predictions without a label. A gold label outside
    ``labels`` is an error (it would silently shift the averages).
    """
    from sklearn.metrics import confusion_matrix, f1_score

    if len(golds) != len(preds):
        raise UserError(f"predictions and references differ in length: {len(preds)} predictions, {len(golds)} references")
    if not golds:
        raise UserError("no predictions to score: got 0 rows")
    labels = [str(l).lower() for l in labels]
    g, p = _clean(golds, "references"), _clean(preds, "predictions")
    for i, v in enumerate(g):
        if v not in labels:
            raise UserError(f"reference row {i}: gold label {v!r} is not one of {', '.join(labels)}")
    for i, v in enumerate(p):
        if v != UNPARSED and v not in labels:
            raise UserError(f"prediction row {i}: label {v!r} is not one of {', '.join(labels)} (or None for unparsed)")
    present = sorted(set(g) | (set(p) - {UNPARSED}), key=labels.index)
    n = len(g)

    def f1(avg):
        # labels= restricts the average to real labels: "unparsed" is a wrong answer, not a class
        return float(f1_score(g, p, labels=present, average=avg, zero_division=0)) * 100

    cm = confusion_matrix(g, p, labels=labels + [UNPARSED])[: len(labels)]
    return {
        "n": n,
        "weighted_f1": f1("weighted"),
        "macro_f1": f1("macro"),
        "micro_f1": f1("micro"),
        "accuracy": sum(a == b for a, b in zip(g, p)) / n * 100,
        "unparsed": p.count(UNPARSED),
        "labels": labels,
        "label_counts": {"gold": {l: g.count(l) for l in labels}, "predicted": {l: p.count(l) for l in labels + [UNPARSED]}},
        "confusion_matrix": cm.tolist(),
    }


def average(results: dict[str, dict], keys: Sequence[str] = ("weighted_f1", "accuracy")) -> dict:
    """Unweighted mean over tasks of each key (how IMHI reports its average)."""
    out = {}
    for key in keys:
        values = [r[key] for r in results.values() if r.get(key) is not None]
        if values:
            out[key] = sum(values) / len(values)
    return out
