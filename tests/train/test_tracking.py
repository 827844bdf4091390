"""Experiment trackers: names checked up front, TensorBoard logs written, staged and named on the card."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import imhi_results, tiny_train_config

from phyassist.errors import UserError
from phyassist.train.tracking import check_trackers, trackers


def test_tracker_names_and_missing_packages(monkeypatch):
    assert trackers("none") == [] and trackers(None) == [] and trackers([]) == []
    assert trackers("tensorboard, wandb") == ["tensorboard", "wandb"]
    with pytest.raises(UserError, match=r"`report_to` must be none or some of tensorboard, trackio, wandb, got 'mlfow'"):
        check_trackers("mlfow")
    # whatever this machine has installed: first every tracker package present, then each one absent
    present = object()
    absent: set[str] = set()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name in absent else present)
    assert check_trackers("tensorboard,trackio,wandb") == ["tensorboard", "trackio", "wandb"]
    for name in ("wandb", "trackio"):
        absent.add(name)
        with pytest.raises(UserError, match=rf"^`report_to` {name} needs the {name} package: pip install {name}$"):
            check_trackers(name)
    absent.add("tensorboard")  # tensorboardX would do too
    assert check_trackers("tensorboard") == ["tensorboard"]
    absent.add("tensorboardX")
    with pytest.raises(UserError, match="^`report_to` tensorboard needs the tensorboard package: pip install "
                                        "tensorboard$"):
        check_trackers("tensorboard")


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed")
def test_tensorboard_run_is_logged_staged_and_named(tiny_llama_dir, data_dir, monkeypatch, tmp_path):
    import json

    from phyassist.hub.publish import stage
    from phyassist.train.trainer import train

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "run", max_steps=2, report_to="tensorboard", run_name="tiny-tb")
    out = train(cfg).output_dir
    summary = json.loads((out / "train_metrics.json").read_text())["summary"]
    assert summary["tracking"]["trackers"] == ["tensorboard"] and summary["tracking"]["run_name"] == "tiny-tb"
    assert summary["tracking"]["tensorboard"]["event_files"] >= 1
    staged = stage(out, imhi_results(), imhi_results(offset=5), tmp_path / "hub", repo_id="me/tiny", dataset="MultiWD")
    assert list(staged.glob("runs/**/events.out.tfevents.*"))
    card = (staged / "README.md").read_text()
    assert "Training run `tiny-tb`, tracked with tensorboard" in card and "[`runs/`](runs/)" in card
