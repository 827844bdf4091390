"""Run label inference: ``infer_labels`` (the strict parser, then a classifier on what it left), and a
labeler picked by method name that says, in every result, which method ran."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ...data.tasks import get_task
from ...errors import UserError
from .strict import parse_label

METHODS = ("learned", "strict", "mentalbert")


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


@dataclass
class Labeler:
    task: str
    method: str  # what ran: learned, strict, mentalbert or hf
    classifier: object | None = None
    label_classifier: str | None = None  # version and hash, or the model id
    parse: bool = True  # the strict parser first; MentalLLaMA's scoring sends everything to its classifier

    def __call__(self, texts: Sequence, queries: Sequence[str | None] | None = None) -> list[str | None]:
        return infer_labels(self.task, texts, queries, classifier=self.classifier, parse=self.parse)

    @property
    def info(self) -> dict:
        """``label_method`` and ``label_classifier`` as results record them (plain strings)."""
        return {"label_method": self.method, "label_classifier": self.label_classifier or "none"}


def make_labeler(task: str, method: str = "learned") -> Labeler:
    """The labeler ``method`` names for ``task``; errors are one line naming what is missing.

    ``learned`` (the default): the strict parser, then the published TF-IDF classifier of the task
    (``classifiers.find_classifiers``; an error when none can be found). ``strict``: the parser alone.
    ``mentalbert``: MentalLLaMA's own classifier of the task on every response, no parser, as their
    ``label_inference.py`` scores (``mentalbert:DIR`` reads a local copy). Any other value is a
    sequence-classifier folder or Hub id (``hf``). Test-only tasks (CAMS, loneliness, t-sid, swmh) have
    no training data and so no learned classifier: ``learned`` runs the parser alone for them, on every
    machine, and says so in ``label_method``.
    """
    name = get_task(task).name
    if not isinstance(method, str) or not method.strip():
        raise UserError(f"`labels` must be one of {', '.join(METHODS)} or a classifier path or Hub id, got {method!r}")
    method = method.strip()
    if method == "strict":
        return Labeler(name, "strict")
    if method == "learned":
        if not get_task(name).has_train:
            return Labeler(name, "strict", label_classifier=f"none ({name} has no training data)")
        from .classifiers import find_classifiers

        found = find_classifiers(name)
        return Labeler(name, "learned", found.get(name), found.describe(name))
    if method == "mentalbert" or method.startswith("mentalbert:"):
        from pathlib import Path

        from .mentalbert import MentalBertClassifier

        # mentalbert:DIR = a local copy laid out as label_inference.py reads it (DIR/<task>/), or one model
        local = method.partition(":")[2] or None
        if local and (Path(local).expanduser() / name).is_dir():
            local = str(Path(local).expanduser() / name)
        clf = MentalBertClassifier(name, local)
        return Labeler(name, "mentalbert", clf, clf.description, parse=False)
    from .hf import HFLabelClassifier

    return Labeler(name, "hf", HFLabelClassifier(name, method), method)


def infer_label(task: str, text, query: str | None = None, method: str = "learned") -> str | None:
    """The label of one response (``None``: unparsed) with ``method``."""
    return make_labeler(task, method)([text], [query])[0]
