"""Experiment trackers for a training run: check the names, and say afterwards where the run is.

``report_to`` passes through to trl's trainer (``trackio``, ``tensorboard``, ``wandb``; ``none`` by
default). ``check_trackers`` turns a tracker whose package is missing into one line before any work
starts; ``tracking_info`` records, after training, what a model card can link or name: the run name,
TensorBoard's log folder (the Hub shows TensorBoard logs staged under ``runs/``), the Weights & Biases
run URL, the Trackio project and its Space.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import UserError

# tracker -> the module it needs (any one of them)
TRACKERS = {"tensorboard": ("tensorboard", "tensorboardX"), "trackio": ("trackio",), "wandb": ("wandb",)}


def trackers(report_to) -> list[str]:
    """The tracker names in ``report_to`` ("none", a name, a comma-separated string or a list)."""
    if report_to is None:
        return []
    names = report_to if isinstance(report_to, (list, tuple)) else str(report_to).split(",")
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    return [] if names in ([], ["none"]) else names


def check_trackers(report_to) -> list[str]:
    names = trackers(report_to)
    for name in names:
        if name not in TRACKERS:
            raise UserError(f"`report_to` must be none or some of {', '.join(TRACKERS)}, got {name!r}")
        if not any(importlib.util.find_spec(m) for m in TRACKERS[name]):
            raise UserError(f"`report_to` {name} needs the {TRACKERS[name][0]} package: pip install {TRACKERS[name][0]}")
    return names


def tracking_info(config, output_dir: str | Path) -> dict | None:
    """Where the run can be followed, for the model card; None when no tracker was on."""
    names = trackers(getattr(config, "report_to", None))
    if not names:
        return None
    out = Path(output_dir)
    info: dict = {"trackers": names, "run_name": getattr(config, "run_name", None)}
    if "tensorboard" in names:
        events = sorted(out.glob("runs/**/events.out.tfevents.*"))
        info["tensorboard"] = {"logdir": "runs", "event_files": len(events)}
    if "wandb" in names:
        import wandb

        run = wandb.run
        info["wandb"] = {"url": run.url if run else None, "project": run.project if run else None}
    if "trackio" in names:
        space = getattr(config, "trackio_space_id", None)
        info["trackio"] = {"project": getattr(config, "project", None), "space_id": space,
                           "url": f"https://huggingface.co/spaces/{space}" if space else None}
    return info
