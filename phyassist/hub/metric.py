"""Publish the IMHI metric: its label classifiers as a tagged model repo, then the evaluate module.

The classifiers folder (``phyassist labels build``) is verified file by file against its manifest,
staged with a model card (``model_cards/classifiers.md``), pushed to ``classifiers_repo`` and tagged
``tag``, the revision that ``phyassist.evaluation.labels.classifiers`` pins; then the metric folder goes to
its Space with the phyassist wheel beside it. phyassist is not on PyPI (``pip download phyassist`` finds
nothing), so the module's ``requirements.txt`` and the ``# From:`` hints evaluate prints for a missing import
name that wheel by its URL in the Space (``requirement``): what ``pip install`` can fetch.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import UserError
from ..evaluation.labels.classifiers import HUB_REPO, HUB_REVISION, MANIFEST, ClassifierSet
from .push import check_repo_id, push_folder
from .templates import render

logger = logging.getLogger(__name__)
METRIC_FILES = ("imhi.py", "README.md", "app.py", "requirements.txt")
METRIC_REPO = "phyassist/imhi"  # the Space evaluate.load("phyassist/imhi") reads


def wheel_name(version: str = __version__) -> str:
    """The pure-Python wheel ``pip wheel --no-deps .`` builds for this version."""
    return f"phyassist-{version}-py3-none-any.whl"


def requirement(repo_id: str = METRIC_REPO, version: str = __version__) -> str:
    """What the metric Space installs and evaluate's hint tells a user to install: the wheel in that Space."""
    return f"phyassist[metric] @ https://huggingface.co/spaces/{repo_id}/resolve/main/{wheel_name(version)}"


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
    wheel: str | None = field(default=None, metadata={
        "help": "The phyassist wheel the Space installs (pip wheel --no-deps -w dist .); required."})
    private: bool = field(default=False, metadata={"help": "Create the repos private."})

    def __post_init__(self):
        check_repo_id(self.repo_id)
        check_repo_id(self.classifiers_repo)
        if not self.skip_classifiers and not self.classifiers:
            raise UserError("`classifiers` is required (--classifiers DIR from `phyassist labels build --out DIR`), "
                            "or pass --skip-classifiers to push the module alone")
        if not self.wheel or Path(self.wheel).name != wheel_name():
            raise UserError(f"`wheel` must be the file {wheel_name()} (build it: pip wheel --no-deps -w dist .), got "
                            f"{self.wheel!r}; the module's requirements.txt installs it from the Space")


def classifier_card(found: ClassifierSet, repo_id: str, tag: str) -> str:
    """README.md of the classifiers repo: ``model_cards/classifiers.md``, one table row per task."""
    from huggingface_hub import ModelCard, ModelCardData

    m = found.manifest
    rows = []
    for task, e in m["tasks"].items():
        held = e.get("held_out", {})
        cell = lambda s: f"{held[s]['accuracy']:.2f} ({held[s]['rows']})" if s in held else "-"  # noqa: E731
        rows.append({"task": task, "rows": e["rows"], "classes": ", ".join(e["classes"]),
                     "instruction": cell("instruction"), "expert": cell("expert"), "sha256": e["sha256"][:16]})
    data = ModelCardData(license="mit", library_name="scikit-learn", pipeline_tag="text-classification",
                         tags=["imhi", "mental-health", "evaluate"])
    return str(render(ModelCard, data, "classifiers.md", classifier_version=m["classifier_version"],
                      format=m["format"], manifest=MANIFEST, tag=tag, tasks=rows, repo_id=repo_id))


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


def stage_module(folder: str | Path, wheel: str | Path, dest: Path, repo_id: str = METRIC_REPO) -> Path:
    """The metric folder and the wheel in ``dest``; for another Space than ``METRIC_REPO`` its install lines
    (requirements.txt, imhi.py's hints) name that Space's copy of the wheel."""
    folder, wheel = Path(folder), Path(wheel)
    for name in METRIC_FILES:
        if not (folder / name).exists():
            raise UserError(f"{folder / name} is missing; expected an evaluate module folder")
    if not wheel.is_file():
        raise UserError(f"{wheel}: no such wheel; build it with: pip wheel --no-deps -w dist .")
    if requirement() not in (folder / "requirements.txt").read_text(encoding="utf-8"):
        raise UserError(f"{folder / 'requirements.txt'} does not install {requirement()!r}; expected that line")
    dest.mkdir(parents=True, exist_ok=True)
    for name in METRIC_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        (dest / name).write_text(text.replace(requirement(), requirement(repo_id)), encoding="utf-8")
    shutil.copyfile(wheel, dest / wheel.name)
    return dest


def main(cfg: MetricPushConfig) -> int:
    with tempfile.TemporaryDirectory(prefix="phyassist-metric-") as tmp:
        module = stage_module(cfg.folder, cfg.wheel, Path(tmp) / "imhi", cfg.repo_id)  # checked before any push
        if not cfg.skip_classifiers:
            staged = stage_classifiers(cfg.classifiers, Path(tmp) / "classifiers", cfg.classifiers_repo, cfg.tag)
            url = push_folder(staged, cfg.classifiers_repo, private=cfg.private, tag=cfg.tag,
                              commit_message=f"Label classifiers {cfg.tag}")
            print(f"Pushed the label classifiers to {url} (tag {cfg.tag})")
            if cfg.tag != HUB_REVISION or cfg.classifiers_repo != HUB_REPO:
                logger.warning("The metric pins %s@%s; these classifiers went to %s@%s.", HUB_REPO, HUB_REVISION,
                               cfg.classifiers_repo, cfg.tag)
        url = push_folder(module, cfg.repo_id, repo_type="space", private=cfg.private,
                          commit_message=f"Upload the IMHI evaluate module and {wheel_name()}")
    print(f"Pushed {cfg.folder} and {wheel_name()} to {url}; load it with evaluate.load({cfg.repo_id!r})")
    return 0
