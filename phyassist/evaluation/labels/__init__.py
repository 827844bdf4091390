"""Label inference: turn a generated IMHI response into one of its task's labels, or ``None``.

It owns the strict parser for responses that state the label first (``strict``) or in other words
before the reasoning (``statement``); the learned TF-IDF + logistic-regression classifier per task
(``learned``), its published, sha256-checked files and where they are found (``classifiers``) and
the ``phyassist labels`` command that builds and shows them (``cli``); MentalLLaMA's own classifiers
(``mentalbert``) and any transformers sequence classifier (``hf``); and ``labeler``, which runs the
parser, then a classifier on what it left, with the method picked by name (learned, strict,
mentalbert, or a path or Hub id) and named in every result. ``None`` (written ``unparsed``) means no
label could be inferred; callers keep the row.

It imports ``data`` (the task registry, the IMHI training rows), ``io`` and ``errors``; never the
rest of ``evaluation``, nor ``train``, ``hub`` or ``serve``. torch, transformers and scikit-learn
load only when a classifier is trained or run.
"""

from .classifiers import ClassifierSet, ClassifiersNotFound, find_classifiers
from .hf import HFLabelClassifier
from .labeler import METHODS, Labeler, infer_label, infer_labels, make_labeler
from .learned import CLASSIFIER_VERSION, LabelClassifier, explanation, train_classifier, training_rows
from .mentalbert import MentalBertClassifier
from .statement import read_statement
from .strict import parse_label

__all__ = [
    "CLASSIFIER_VERSION", "METHODS", "ClassifierSet", "ClassifiersNotFound", "HFLabelClassifier", "LabelClassifier",
    "Labeler", "MentalBertClassifier", "explanation", "find_classifiers", "infer_label", "infer_labels",
    "make_labeler", "parse_label", "read_statement", "train_classifier", "training_rows",
]
