"""One naming scheme for adapter repos: publish, the Space's adapters.yaml and README, and the main README."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import REPO

from phyassist.data.loading import DATASETS
from phyassist.hub.naming import ORG, adapter_repo_name
from phyassist.models import DEFAULT_BASE

SPACE = REPO / "space"


def test_adapter_repo_name():
    assert adapter_repo_name("smollm2-135m-instruct", "MultiWD") == "phyassist-smollm2-135m-instruct-multiwd"
    assert adapter_repo_name("HuggingFaceTB/SmolLM2-135M-Instruct", "final") == "phyassist-smollm2-135m-instruct-final"
    assert adapter_repo_name("mixtral-8x7b-instruct", "counsel-chat") == \
        "phyassist-mixtral-8x7b-instruct-v0.1-counsel-chat"


def test_publish_names_repo_and_output_folder_with_it():
    from phyassist.hub import publish

    cfg = publish.PublishConfig(dataset="final", dry_run=True)
    assert publish._resolve_repo_id(cfg, token=None) == f"your-username/{adapter_repo_name(DEFAULT_BASE, 'final')}"
    # the quickstart's staged folder, as the main README names it
    readme = (REPO / "README.md").read_text()
    assert f"outputs/{adapter_repo_name(DEFAULT_BASE, 'MultiWD')}/hub" in readme


def _space_entries() -> tuple[str, dict[str, str]]:
    config = yaml.safe_load((SPACE / "adapters.yaml").read_text())
    return config["base_model"], config["adapters"]


def _dataset_of(display_name: str) -> str:
    """The dataset an entry's display name names: the dataset itself, or `imhi-<dataset>`."""
    name = display_name.removeprefix("imhi-")
    assert any(name.lower() == d.lower() for d in DATASETS), f"{display_name!r} names no dataset of {list(DATASETS)}"
    return name


def test_space_adapters_yaml_uses_the_scheme():
    base, adapters = _space_entries()
    assert adapters
    for display, repo in adapters.items():
        assert repo == f"{ORG}/{adapter_repo_name(base, _dataset_of(display))}", display


def test_space_readme_lists_the_same_repos():
    base, adapters = _space_entries()
    text = (SPACE / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["models"][1:] == list(adapters.values())
    # the configuration example in the README body
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block, "space/README.md has no ```yaml example"
    example = yaml.safe_load(block.group(1))
    for display, repo in example["adapters"].items():
        assert repo == f"{ORG}/{adapter_repo_name(example['base_model'], _dataset_of(display))}" == adapters[display]


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_dataset_gets_a_valid_repo_name(dataset):
    from huggingface_hub.utils import validate_repo_id

    validate_repo_id(f"{ORG}/{adapter_repo_name(DEFAULT_BASE, dataset)}")
