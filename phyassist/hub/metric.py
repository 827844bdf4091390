"""Publish the IMHI metric: its label classifiers as a tagged model repo, then the evaluate module.

The classifiers folder (``phyassist labels build``) is verified file by file against its manifest,
staged with a model card, pushed to ``classifiers_repo`` and tagged ``tag``, the revision that
``phyassist.evaluation.labels.classifiers`` pins; then the metric folder goes to its Space.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..evaluation.labels.classifiers import HUB_REPO, HUB_REVISION, MANIFEST, ClassifierSet
from .push import check_repo_id, push_folder

logger = logging.getLogger(__name__)
METRIC_FILES = ("imhi.py", "README.md", "app.py", "requirements.txt")


@dataclass
class MetricPushConfig:
    """``scripts/push_metric.py``: what is published where."""

    folder: str = field(default="metrics/imhi", metadata={"help": "The evaluate module folder."})
    repo_id: str = field(default="phyassist/imhi", metadata={"help": "Space for the module, ORG/NAME."})
    classifiers: str | None = field(default=None, metadata={
        "help": "Folder written by `phyassist labels build`; required unless --skip-classifiers."})
    classifiers_repo: str = field(default=HUB_REPO, metadata={"help": "Model repo for the classifiers."})
    tag: str = field(default=HUB_REVISION, metadata={"help": "Tag of the classifiers commit (the pinned revision)."})
    skip_classifiers: bool = field(default=False, metadata={"help": "Push the module only."})
    private: bool = field(default=False, metadata={"help": "Create the repos private."})

    def __post_init__(self):
        check_repo_id(self.repo_id)
        check_repo_id(self.classifiers_repo)
        if not self.skip_classifiers and not self.classifiers:
            raise UserError("`classifiers` is required (--classifiers DIR from `phyassist labels build --out DIR`), "
                            "or pass --skip-classifiers to push the module alone")


def classifier_card(found: ClassifierSet, repo_id: str, tag: str) -> str:
    m = found.manifest
    rows = []
    for task, e in m["tasks"].items():
        held = e.get("held_out", {})
        cell = lambda s: f"{held[s]['accuracy']:.2f} ({held[s]['rows']})" if s in held else "-"  # noqa: E731
        rows.append(f"| {task} | {e['rows']} | {', '.join(e['classes'])} | {cell('instruction')} | {cell('expert')} "
                    f"| `{e['sha256'][:16]}` |")
    table = "\n".join(rows)
    return f"""---
license: mit
library_name: scikit-learn
pipeline_tag: text-classification
tags:
- imhi
- mental-health
- evaluate
---

# IMHI label classifiers (classifier version {m['classifier_version']}, format {m['format']})

Per-task TF-IDF + logistic-regression classifiers that the `phyassist/imhi` metric uses to read the label
out of a generated IMHI explanation when the answer does not state it first. They are plain numpy arrays
in `.npz` files (no pickle), listed with their sha256 in `{MANIFEST}`; the metric downloads them at the
pinned revision `{tag}`, checks every hash and caches them.

| task | training rows | classes | held-out accuracy, test gold explanations (rows) | expert explanations (rows) | sha256 |
|---|---:|---|---:|---:|---|
{table}

Held-out accuracy: the classifier alone on the gold explanations with their label sentence removed.

Rebuild them from the IMHI training data (MentalLLaMA, MIT) with `phyassist labels build --out DIR`; the
build is deterministic, so with the same data and versions it gives the same files and hashes. Use them
locally with `PHYASSIST_LABEL_CLASSIFIERS=DIR`, or from here with `evaluate.load("phyassist/imhi")`.
Source: `{repo_id}@{tag}`.
"""


def stage_classifiers(folder: str | Path, dest: Path, repo_id: str, tag: str) -> Path:
    """Verify ``folder`` (every file against its sha256) and copy it with a card into ``dest``."""
    found = ClassifierSet.open(folder)
    for task in found.manifest["tasks"]:
        found.get(task)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found.root / MANIFEST, dest / MANIFEST)
    for entry in found.manifest["tasks"].values():
        shutil.copy2(found.root / Path(entry["file"]).name, dest / Path(entry["file"]).name)
    (dest / "README.md").write_text(classifier_card(found, repo_id, tag))
    return dest


def main(cfg: MetricPushConfig) -> int:
    folder = Path(cfg.folder)
    for name in METRIC_FILES:
        if not (folder / name).exists():
            raise UserError(f"{folder / name} is missing; expected an evaluate module folder")
    if not cfg.skip_classifiers:
        with tempfile.TemporaryDirectory(prefix="phyassist-classifiers-") as tmp:
            staged = stage_classifiers(cfg.classifiers, Path(tmp) / "classifiers", cfg.classifiers_repo, cfg.tag)
            url = push_folder(staged, cfg.classifiers_repo, private=cfg.private, tag=cfg.tag,
                              commit_message=f"Label classifiers {cfg.tag}")
            print(f"Pushed the label classifiers to {url} (tag {cfg.tag})")
        if cfg.tag != HUB_REVISION or cfg.classifiers_repo != HUB_REPO:
            logger.warning("The metric pins %s@%s; these classifiers went to %s@%s.", HUB_REPO, HUB_REVISION,
                           cfg.classifiers_repo, cfg.tag)
    url = push_folder(folder, cfg.repo_id, repo_type="space", private=cfg.private,
                      commit_message="Upload the IMHI evaluate module")
    print(f"Pushed {folder} to {url}; load it with evaluate.load({cfg.repo_id!r})")
    return 0
