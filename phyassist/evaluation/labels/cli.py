"""``phyassist labels build|show``: train the label classifiers into a folder (``classifiers.build``),
or show which set the metric would use (same lookup order) with its manifest as a table."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ...cli_utils import check_out_folder, format_table
from ...errors import UserError


@dataclass
class BuildConfig:
    """``phyassist labels build``: train the per-task label classifiers into a folder."""

    out: str | None = field(default=None, metadata={"help": "Output folder (replaced atomically)."})
    tasks: list[str] = field(default_factory=list, metadata={
        "help": "Tasks to build (default: every task with training data).", "aliases": ["--task"]})
    data_dir: str | None = field(default=None, metadata={"help": "Data folder; default: PHYASSIST_DATA_DIR, else the cache."})

    def __post_init__(self):
        check_out_folder(self.out)
        self.tasks = [t.strip() for item in self.tasks for t in str(item).split(",") if t.strip()]


@dataclass
class ShowConfig:
    """``phyassist labels show``: which classifier set the metric uses, and its manifest."""

    folder: str | None = field(default=None, metadata={"help": "A built folder; default: the metric's lookup."})


def _table(manifest: dict) -> str:
    rows = []
    for task, e in manifest["tasks"].items():
        held = e.get("held_out", {})
        cell = lambda s: f"{held[s]['accuracy']:.2f}% of {held[s]['rows']}" if s in held else "-"  # noqa: E731
        rows.append([task, str(e["rows"]), e["sha256"][:12], cell("instruction"), cell("expert")])
    return format_table(["task", "train rows", "sha256", "held-out (test)", "held-out (expert)"], rows)


def run_build(cfg: BuildConfig) -> int:
    from .classifiers import ENV_VAR, build

    root = Path(cfg.data_dir).expanduser() if cfg.data_dir else None
    if root is not None and not root.is_dir():
        raise UserError(f"--data-dir {root}: not a folder; expected the folder holding imhi/")
    manifest = build(cfg.out, cfg.tasks or None, root=root)
    print(_table(manifest))
    print(f"\nwrote {cfg.out}; use it with {ENV_VAR}={os.path.abspath(os.path.expanduser(cfg.out))}")
    return 0


def run_show(cfg: ShowConfig) -> int:
    from .classifiers import ClassifierSet, find_classifiers

    found = ClassifierSet.open(cfg.folder) if cfg.folder else find_classifiers()
    print(f"source: {found.source}\nformat {found.manifest['format']}, classifier version "
          f"{found.manifest['classifier_version']}")
    print(_table(found.manifest))
    return 0


ACTIONS = {"build": (BuildConfig, run_build), "show": (ShowConfig, run_show)}
