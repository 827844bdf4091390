"""The learned label classifier: TF-IDF n-grams (negation-marked, first and last sentence marked again)
and class-balanced logistic regression per task, trained on the IMHI training explanations with their
label sentence removed, stored as plain arrays (``.npz``, never pickled)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Sequence

from ...data.tasks import get_task
from ...errors import UserError

logger = logging.getLogger(__name__)

CLASSIFIER_VERSION = 2


def explanation(response: str) -> str:
    """The response with its leading label sentence removed (the text after ``Reasoning:``)."""
    parts = str(response).split("Reasoning:", 1)
    return parts[1].strip() if len(parts) == 2 else str(response).strip()


def question_key(query: str | None) -> str:
    """A token for the question asked (which wellness dimension or risk), e.g. ``q_spiritual_wellness``."""
    if not query:
        return ""
    _, sep, tail = str(query).rpartition("Question:")  # the last one: a post may contain the word itself
    words = re.findall(r"[a-z]+", tail.lower() if sep else "")
    keep = [w for w in words if w not in _QSTOP][:4]
    return "q_" + "_".join(keep) if keep else ""


_QSTOP = {"does", "the", "post", "show", "risk", "of", "exist", "exists", "in", "what", "is", "this", "dimension",
          "answer", "to", "question", "a"}
_NEG = re.compile(r"(?:not|no|never|without|nor|n't|cannot|lack|absence|neither)")


def features(text: str, query: str | None = None) -> str:
    """Classifier input: lower-cased tokens, those after a negation (to the clause end) marked ``neg_``;
    the first and last sentences again with ``F_`` / ``L_`` prefixes (the verdict is usually stated
    there); a layout token (line breaks, number of numbered points); and the question key."""
    text = str(text)
    # layout: Irf "no" explanations are mostly one paragraph, "yes" ones numbered lists
    points = len(re.findall(r"(?:^|\s)\d+[.)]\s", text))
    out = (["__nl__"] if "\n" in text else []) + [f"__pts{min(points, 4)}__"]
    sents = []  # "1. The post ..." is one sentence, not "1." and "The post ..."
    for sent in re.split(r"(?<=[.!?])(?<!\d\.)\s+|\n+", text.lower()):
        toks, neg = [], False
        # "doesn't" -> "does n't", so the contraction negates
        for tok in re.findall(r"\w+(?=n't)|n't|\w+|[.!?,;:]", sent):
            if tok in ".!?,;:":
                neg = False
                continue
            toks.append("neg_" + tok if neg else tok)
            neg = neg or bool(_NEG.fullmatch(tok))
        if toks:
            sents.append(toks)
    out += [t for toks in sents for t in toks]
    if sents:
        out += ["F_" + t for t in sents[0]] + ["L_" + t for t in sents[-1]]
    qk = question_key(query)
    return " ".join(out + ([qk] if qk else []))


class LabelClassifier:
    """TF-IDF (1-3 grams over ``features``) + logistic regression over explanations, stored as plain arrays."""

    def __init__(self, task: str, terms: Sequence[str], idf, coef, intercept, classes: Sequence[str], meta: dict):
        import numpy as np

        self.task, self.classes, self.meta = task, list(classes), meta
        self.vocab = {t: i for i, t in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self._vec = None

    def _vectorizer(self):
        if self._vec is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vec = TfidfVectorizer(**_VEC_ARGS, vocabulary=self.vocab)
            vec.idf_ = self.idf
            self._vec = vec
        return self._vec

    def predict(self, texts: Sequence[str], queries: Sequence[str | None] | None = None) -> list[str]:
        if not texts:
            return []
        queries = queries if queries is not None else [None] * len(texts)
        X = self._vectorizer().transform([features(explanation(t), q) for t, q in zip(texts, queries)])
        scores = X @ self.coef.T + self.intercept
        if scores.shape[1] == 1:  # binary logistic regression keeps one column: classes[1] vs classes[0]
            return [self.classes[int(s > 0)] for s in scores[:, 0]]
        return [self.classes[i] for i in scores.argmax(1)]

    def save(self, path: Path) -> Path:
        """Write the arrays as an ``.npz`` whose bytes depend only on them (fixed zip timestamps), atomically."""
        import io
        import zipfile

        import numpy as np

        from ...io import atomic_path

        terms = sorted(self.vocab, key=self.vocab.get)
        arrays = {"terms": np.array(terms, dtype=str), "idf": self.idf, "coef": self.coef.astype(np.float32),
                  "intercept": self.intercept, "classes": np.array(self.classes, dtype=str),
                  "meta": np.array(json.dumps(self.meta, sort_keys=True))}
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w") as z:
                for name, arr in arrays.items():
                    buf = io.BytesIO()
                    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
                    z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue(),
                               compress_type=zipfile.ZIP_DEFLATED)
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> "LabelClassifier":
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(meta["task"], z["terms"].tolist(), z["idf"], z["coef"], z["intercept"], z["classes"].tolist(), meta)


_VEC_ARGS = {"ngram_range": (1, 3), "min_df": 2, "sublinear_tf": True, "token_pattern": r"\S+", "lowercase": False}


def training_rows(task: str, root=None) -> list[dict]:
    """IMHI train + validation rows (instruction variant) that have a gold label; [] for test-only tasks."""
    from ...data.loading import load_imhi

    spec = get_task(task)
    if not spec.has_train:
        return []
    rows = []
    for split in ("train", "validation"):
        try:
            rows += load_imhi(spec.name, split, "instruction", root=root)
        except UserError as e:  # Irf and MultiWD ship without train.csv in some copies
            logger.debug("%s", e)
    return [r for r in rows if r["label"] is not None]


def train_classifier(task: str, rows: Sequence[dict], C: float = 10.0) -> LabelClassifier:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len({r["label"] for r in rows}) < 2:
        raise UserError(f"cannot train a {task} label classifier: need at least 2 labels in the training rows")
    vec = TfidfVectorizer(**_VEC_ARGS)
    X = vec.fit_transform([features(explanation(r["response"]), r.get("query")) for r in rows])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(X, [r["label"] for r in rows])
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    meta = {"task": task, "version": CLASSIFIER_VERSION, "rows": len(rows), "C": C, "class_weight": "balanced"}
    # float32 coefficients halve the artifact (SAD: 9 classes x ~76k terms); rounding here, not in
    # save(), keeps a loaded classifier's predictions identical to the trained one's
    coef = clf.coef_.astype("float32")
    return LabelClassifier(task, terms, vec.idf_, coef, clf.intercept_, clf.classes_.tolist(), meta)
