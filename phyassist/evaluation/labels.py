"""Label inference: turn a generated IMHI response into one of its task's labels, or ``None``.

1. A strict parser (``parse_label``) for responses that state the label first ("Yes, ...",
   "No. Reasoning: ...", "This post shows the stress cause related to work."). It matches whole words
   and whole phrases anchored at the start of the answer, and prefers the longest match, so "no"
   never matches "not" or "know" and no keyword wins just by being listed first; then the verdict
   stated in other words before the reasoning (``statement``).
2. A learned classifier (``LabelClassifier``): TF-IDF n-grams (negation-marked, first and last sentence
   marked again) + class-balanced logistic regression per task, trained on the IMHI training
   explanations with their label sentence removed, stored as plain arrays (``.npz``, never pickled).
   The published, verified artifacts and where they are found live in ``classifiers``.
3. A transformers sequence classifier by path or Hub id, ``HFLabelClassifier``.

``infer_labels`` runs the parser, then a classifier on what it left. ``None`` (written ``unparsed``)
means no label could be inferred; callers keep the row. ``labeler`` picks the method by name.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from ..data.tasks import ImhiTask, get_task, normalize
from ..errors import UserError
from .statement import read_statement

logger = logging.getLogger(__name__)

CLASSIFIER_VERSION = 2
# answers often open with a tag the parser can skip ("Answer: yes", "Label: work")
_LEAD = re.compile(r"^(?:(?:final\s+)?answer|label|response|prediction|output)\s*[:\-]\s*")


def _phrases(task: ImhiTask) -> list[tuple[str, str]]:
    """(normalised phrase, label) pairs, longest first."""
    pairs = set()
    for label in task.labels:
        for text in (task.sentences[label], task.answers[label], *task.aliases.get(label, ())):
            pairs.add((normalize(text), label))
        pairs.add((normalize(label), label))
    return sorted(pairs, key=lambda p: -len(p[0]))


@lru_cache(maxsize=None)
def _patterns(name: str) -> list[tuple[re.Pattern, str]]:
    task = get_task(name)
    pats = [(re.compile(rf"{re.escape(p)}(?![\w-])"), label) for p, label in _phrases(task)]
    if not task.binary:
        # "This post shows <anything short> <answer>" in the first clause, e.g. "this post shows
        # causes of stress related to work": the answer must be a whole phrase before the clause ends.
        for p, label in _phrases(task):
            if not p.startswith("this post"):
                pats.append((re.compile(rf"this post (?:shows|indicates|reflects)\b[^.,;\n]{{0,60}}?\b{re.escape(p)}(?![\w-])"), label))
    return pats


def parse_label(task: str, text) -> str | None:
    """The label a response states at its start, or None. Case, leading white space and quotes are ignored.
    A verdict stated in other words before the reasoning is read by ``statement.read_statement``."""
    name = get_task(task).name
    if not isinstance(text, str):
        return None
    head = re.sub(r"\s+", " ", text).strip().lower().lstrip(" \"'*#>-:")
    head = _LEAD.sub("", head)
    if not head:
        return None
    for pat, label in _patterns(name):
        if pat.match(head):
            return label
    return read_statement(name, text)


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

        from ..io import atomic_path

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
    from ..data.loading import load_imhi

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


def infer_labels(task: str, texts: Sequence, queries: Sequence[str | None] | None = None, *,
                 classifier=None, parse: bool = True) -> list[str | None]:
    """One label or None per text, in order: the strict parser, then ``classifier`` (anything with
    ``predict(texts, queries)``) for the non-empty texts the parser left; without one, the parser alone.
    ``parse=False`` sends every text to the classifier (MentalLLaMA's own scoring does)."""
    spec = get_task(task)
    if queries is not None and len(queries) != len(texts):
        raise UserError(f"queries and texts differ in length: {len(queries)} queries, {len(texts)} texts")
    if not parse and classifier is None:
        raise UserError("`parse=False` needs a classifier")
    out = [parse_label(spec.name, t) if parse else None for t in texts]
    todo = [i for i, (t, lab) in enumerate(zip(texts, out)) if lab is None and isinstance(t, str) and (t.strip() or not parse)]
    if todo and classifier is not None:
        preds = classifier.predict([texts[i] for i in todo], [queries[i] for i in todo] if queries is not None else None)
        for i, p in zip(todo, preds):
            out[i] = p
    return out


class HFLabelClassifier:
    """A transformers sequence classifier (e.g. MentalLLaMA's MentalBERT ones) by path or Hub id.

    Output ids map to labels through ``config.id2label`` when those names are task labels, else to
    the task's labels in registry order (``no``/``yes`` for binary tasks, as MentalLLaMA's are).
    """

    def __init__(self, task: str, name_or_path: str, batch_size: int = 16, max_length: int = 512):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.task = get_task(task)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            self.model = AutoModelForSequenceClassification.from_pretrained(name_or_path).eval()
        except OSError as e:
            raise UserError(f"cannot load label classifier {name_or_path!r}: {str(e).splitlines()[0]}") from None
        names = [str(self.model.config.id2label[i]).lower() for i in range(self.model.config.num_labels)]
        if set(names) <= set(self.task.labels):
            self.id2label = names
        elif len(names) == len(self.task.labels):
            self.id2label = list(self.task.labels)
        else:
            raise UserError(f"classifier {name_or_path!r} has {len(names)} classes; task {self.task.name} has "
                            f"{len(self.task.labels)} ({', '.join(self.task.labels)})")
        self.batch_size, self.max_length = batch_size, max_length

    def predict(self, texts: Sequence[str], queries=None) -> list[str]:
        """``queries`` is accepted for a common signature and unused: the model reads the response only."""
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(list(texts[i:i + self.batch_size]), truncation=True, max_length=self.max_length,
                                     padding=True, return_tensors="pt")
                out += [self.id2label[j] for j in self.model(**enc).logits.argmax(-1).tolist()]
        return out
