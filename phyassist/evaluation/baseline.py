"""A post-to-label baseline that is no language model: TF-IDF word 1-2 grams + logistic regression.

``TfidfBaseline`` is fitted on training rows only (the query text and its gold label) with fixed
settings, never tuned on test rows, and predicts the label of each test query. ``baseline_rows``
picks a task's rows out of prepared training rows; ``compare_to_baseline`` scores the predictions as
the adapter's are scored and pairs them with the adapter's on the same rows (adapter minus baseline).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import UserError
from .bootstrap import RESAMPLES, SEED, intervals, paired_difference
from .scores import classification_scores

# Fixed settings: common text-classification defaults, chosen before any score was seen.
NGRAMS = (1, 2)  # words and word pairs
MIN_DF = 2  # a feature must occur in two training rows: drops one-off words and pairs
SUBLINEAR_TF = True  # 1 + log(tf): a word said ten times is not ten times the evidence
C = 1.0  # sklearn's default L2 strength
# each class weighs as much as the others: unweighted, 400 rows of a 2:1 task gave the majority label to
# every test row, a baseline too weak to say anything against weighted F1
CLASS_WEIGHT = "balanced"
MAX_ITER = 2000


@dataclass
class TfidfBaseline:
    """TF-IDF (word 1-2 grams, lower-cased) + class-balanced logistic regression, fitted on ``fit``'s rows."""

    labels: list[str] = field(default_factory=list)  # the classes seen in training, in the model's order
    train_rows: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    pipeline: object = None

    def fit(self, texts: Sequence[str], labels: Sequence[str], task: str = "") -> "TfidfBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        where = f"TF-IDF baseline{' for ' + task if task else ''}"
        if len(texts) != len(labels):
            raise UserError(f"{where}: {len(texts)} training texts but {len(labels)} labels; "
                            "expected one label per text")
        counts = Counter(str(label).lower() for label in labels)
        if len(counts) < 2:
            raise UserError(f"{where}: the training rows hold {len(texts)} rows and labels {dict(counts) or 'none'}; "
                            "expected at least two different labels")
        # min_df cannot exceed the rows there are (a tiny training set keeps every feature)
        vectorizer = TfidfVectorizer(ngram_range=NGRAMS, min_df=min(MIN_DF, len(texts)), sublinear_tf=SUBLINEAR_TF)
        self.pipeline = make_pipeline(vectorizer, LogisticRegression(C=C, class_weight=CLASS_WEIGHT, max_iter=MAX_ITER))
        self.pipeline.fit(list(texts), [str(label).lower() for label in labels])
        self.labels = [str(c) for c in self.pipeline.classes_]
        self.train_rows, self.label_counts = len(texts), dict(sorted(counts.items()))
        return self

    def probabilities(self, texts: Sequence[str]):
        """A (rows, labels) array of class probabilities, columns in ``self.labels`` order."""
        if self.pipeline is None:
            raise UserError("TF-IDF baseline: predict called before fit")
        return self.pipeline.predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        return [self.labels[i] for i in self.probabilities(texts).argmax(axis=1)]

    def describe(self) -> dict:
        return {"method": "TF-IDF word 1-2 grams + logistic regression (scikit-learn)",
                "settings": {"ngram_range": list(NGRAMS), "min_df": MIN_DF, "sublinear_tf": SUBLINEAR_TF, "C": C,
                             "class_weight": CLASS_WEIGHT},
                "train_rows": self.train_rows, "train_labels": self.label_counts}


def baseline_rows(rows: Sequence[dict], task: str) -> tuple[list[str], list[str]]:
    """(query texts, gold labels) of ``task``'s rows among prepared training rows (``messages``: the user
    turn is the query; ``task`` and ``label`` as ``phyassist.data.prepare`` writes them)."""
    texts, labels = [], []
    for r in rows:
        if r["task"] == task and r.get("label"):
            texts.append(r["messages"][0]["content"])
            labels.append(r["label"])
    if not texts:
        raise UserError(f"TF-IDF baseline for {task}: no labelled training rows of {task}; "
                        "expected the task's prepared train split")
    return texts, labels


def compare_to_baseline(golds: Sequence, baseline_preds: Sequence, adapter_preds: Sequence, labels: Sequence[str], *,
                        resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """The baseline's scores and bootstrap intervals on the rows, and the paired adapter - baseline difference."""
    scores = classification_scores(golds, baseline_preds, labels)
    return {"weighted_f1": scores["weighted_f1"], "accuracy": scores["accuracy"], "n": scores["n"],
            "ci": intervals(golds, baseline_preds, labels, resamples=resamples, seed=seed),
            "adapter_minus_baseline": paired_difference(golds, baseline_preds, adapter_preds, labels,
                                                        resamples=resamples, seed=seed)}
