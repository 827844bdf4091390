"""Publishing the IMHI metric (phyassist.hub.metric): the classifiers' card, the config's checks, and the module
pushed as a Space to the repo asked for. The classifiers' build, tagged push and verified download are
tests/evaluation/test_classifiers.py's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import REPO

from phyassist.errors import UserError
from phyassist.hub import metric

TOKEN = "hf_" + "Tst0" * 9  # token-shaped, never valid


def test_classifier_card_metadata_and_table():
    from huggingface_hub import ModelCard

    found = SimpleNamespace(manifest={"classifier_version": 3, "format": 1, "tasks": {
        "DR": {"rows": 100, "classes": ["no", "yes"], "sha256": "ab" * 32,
               "held_out": {"instruction": {"accuracy": 0.912, "rows": 50}}},
        "Irf": {"rows": 7, "classes": ["a", "b"], "sha256": "cd" * 32,
                "held_out": {"instruction": {"accuracy": 0.5, "rows": 4}, "expert": {"accuracy": 1 / 3, "rows": 3}}}}})
    card = ModelCard(metric.classifier_card(found, "me/classifiers", "v7"))
    assert (card.data.license, card.data.library_name, card.data.pipeline_tag) == ("mit", "scikit-learn",
                                                                                   "text-classification")
    assert card.data.tags == ["imhi", "mental-health", "evaluate"]
    assert "# IMHI label classifiers (classifier version 3, format 1)" in card.text
    assert "| DR | 100 | no, yes | 0.91 (50) | - | `abababababababab` |\n| Irf | 7 | a, b | 0.50 (4) | 0.33 (3) |" \
        in card.text
    assert "at the\npinned revision `v7`" in card.text and "Source: `me/classifiers@v7`." in card.text


def test_config_checks():
    with pytest.raises(UserError, match=r"^`classifiers` is required \(--classifiers DIR"):
        metric.MetricPushConfig()
    with pytest.raises(UserError, match="`repo_id` must look like ORG/NAME, got 'imhi'"):
        metric.MetricPushConfig(repo_id="imhi", skip_classifiers=True)


def test_module_goes_to_the_space_asked_for(hub_standin, capsys):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", TOKEN)
        mp.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
        mp.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
        cfg = metric.MetricPushConfig(folder=str(REPO / "metrics" / "imhi"), repo_id="me/imhi-copy",
                                      skip_classifiers=True, private=True)
        assert metric.main(cfg) == 0
    assert set(hub_standin.repos) == {"me/imhi-copy"}  # no classifiers repo
    repo = hub_standin.repos["me/imhi-copy"]
    assert repo["payload"]["type"] == "space" and repo["payload"]["visibility"] == "private"
    assert set(metric.METRIC_FILES) <= set(repo["files"])
    assert "evaluate.load('me/imhi-copy')" in capsys.readouterr().out
