"""Publishing the IMHI metric (phyassist.hub.metric): the classifiers' card, the config's checks, the module
pushed as a Space to the repo asked for with the wheel its install lines name, and those lines (requirements.txt,
evaluate's `# From:` hints, the README, the BARTScore error) naming what pip can install. The classifiers' build,
tagged push and verified download are tests/evaluation/test_classifiers.py's."""

from __future__ import annotations

from pathlib import Path
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


def test_config_checks(tmp_path):
    with pytest.raises(UserError, match=r"^`classifiers` is required \(--classifiers DIR"):
        metric.MetricPushConfig()
    with pytest.raises(UserError, match="`repo_id` must look like ORG/NAME, got 'imhi'"):
        metric.MetricPushConfig(repo_id="imhi", skip_classifiers=True)
    with pytest.raises(UserError, match=r"^`wheel` must be the file phyassist-0\.1\.0-py3-none-any\.whl \(build "
                                        r"it: pip wheel --no-deps -w dist \.\), got 'dist/phyassist-0.0.9-py3"):
        metric.MetricPushConfig(skip_classifiers=True, wheel="dist/phyassist-0.0.9-py3-none-any.whl")


@pytest.fixture
def wheel(tmp_path) -> Path:
    path = tmp_path / "dist" / metric.wheel_name()  # its name is what the install lines fetch; content is pip's
    path.parent.mkdir()
    path.write_bytes(b"PK\x03\x04 not a real wheel")
    return path


def test_module_goes_to_the_space_asked_for(hub_standin, wheel, capsys):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", TOKEN)
        mp.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
        mp.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
        cfg = metric.MetricPushConfig(folder=str(REPO / "metrics" / "imhi"), repo_id="me/imhi-copy",
                                      skip_classifiers=True, private=True, wheel=str(wheel))
        assert metric.main(cfg) == 0
    assert set(hub_standin.repos) == {"me/imhi-copy"}  # no classifiers repo
    repo = hub_standin.repos["me/imhi-copy"]
    assert repo["payload"]["type"] == "space" and repo["payload"]["visibility"] == "private"
    assert set(repo["files"]) == {*metric.METRIC_FILES, "phyassist-0.1.0-py3-none-any.whl"}
    # this Space's install lines fetch this Space's wheel, at the path it was pushed to
    own = "https://huggingface.co/spaces/me/imhi-copy/resolve/main/phyassist-0.1.0-py3-none-any.whl"
    assert metric.requirement("me/imhi-copy") == f"phyassist[metric] @ {own}"
    for name in ("requirements.txt", "imhi.py", "README.md"):
        text = repo["files"][name].decode()
        assert own in text and metric.requirement() not in text, name
    assert "evaluate.load('me/imhi-copy')" in capsys.readouterr().out


def test_install_lines_name_what_pip_can_install():
    """phyassist is not on PyPI, so every line that tells pip what to install names the wheel pushed to the metric
    Space by URL (a direct reference pip fetches); the other requirements are PyPI names (installed here)."""
    import importlib.metadata

    from evaluate.loading import get_imports
    from packaging.requirements import Requirement

    folder = REPO / "metrics" / "imhi"
    lines = [line for line in (folder / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    parsed = [Requirement(line) for line in lines]
    ours = next(r for r in parsed if r.name == "phyassist")
    assert str(ours) == metric.requirement() and ours.extras == {"metric"}
    assert ours.url == f"https://huggingface.co/spaces/{metric.METRIC_REPO}/resolve/main/{metric.wheel_name()}"
    for r in parsed:
        if r.name != "phyassist":
            assert importlib.metadata.version(r.name), r.name  # a real distribution name
    # what evaluate.load prints when phyassist is missing: "pip install <the `# From:` text>"
    hints = {path for kind, name, path, _ in get_imports(str(folder / "imhi.py")) if name == "phyassist"}
    assert hints == {f'"{metric.requirement()}"'}
    assert f'pip install "{metric.requirement()}"' in (folder / "README.md").read_text()
    text = (folder / "imhi.py").read_text()
    assert "pip install 'phyassist[" not in text and "git+" not in (folder / "requirements.txt").read_text()
    # BARTScore's error names the 'bartscore' extra's own PyPI packages, as pyproject.toml pins them
    import re
    import tomllib

    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bartscore"]
    assert re.search(r"^BARTSCORE_PACKAGES = '([^']*)'", text, re.M).group(1) == " ".join(f'"{r}"' for r in extra)
