"""Pick a label-inference method by name and say, in every result, which one ran.

``learned`` (the default): the strict parser, then the published TF-IDF classifier of the task
(``classifiers.find_classifiers``; an error when none can be found). ``strict``: the parser alone.
``mentalbert``: MentalLLaMA's own classifier of the task on every response, no parser, as their
``label_inference.py`` scores (``mentalbert``; ``mentalbert:DIR`` reads a local copy). Any other
value is a sequence-classifier folder or Hub id (``labels.HFLabelClassifier``). Test-only tasks
(CAMS, loneliness, t-sid, swmh) have no training data and so no learned classifier: ``learned``
runs the parser alone for them, on every machine, and says so in ``label_method``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..data.tasks import get_task
from ..errors import UserError
from .labels import infer_labels

METHODS = ("learned", "strict", "mentalbert")


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
    """The labeler ``method`` names for ``task``; errors are one line naming what is missing."""
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
    from .labels import HFLabelClassifier

    return Labeler(name, "hf", HFLabelClassifier(name, method), method)


def infer_label(task: str, text, query: str | None = None, method: str = "learned") -> str | None:
    """The label of one response (``None``: unparsed) with ``method``."""
    return make_labeler(task, method)([text], [query])[0]
