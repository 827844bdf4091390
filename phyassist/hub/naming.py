"""The one naming scheme for adapter repos: ``phyassist-<base model>-<dataset>``, lower case.

``phyassist publish`` (``scripts/train_and_push.py``) names the repo and its output folder with it,
and the demo Space's ``adapters.yaml`` and ``README.md`` list repos under ``ORG`` by it
(``tests/hub/test_naming.py`` holds them together).
"""

from __future__ import annotations

import re

from ..models import BasePreset, as_preset

ORG = "phyassist"  # the organisation the project's own adapters, metric and benchmark live under


def adapter_repo_name(base_model: str | BasePreset, dataset: str) -> str:
    """``phyassist-<last part of the base's Hub id>-<dataset>``, e.g. ``phyassist-smollm2-135m-instruct-final``."""
    base = as_preset(base_model).hub_id.rstrip("/").split("/")[-1]
    # a Hub repo name allows letters, digits, '-', '_' and '.'; anything else (a space in a folder name) becomes '-'
    return re.sub(r"[^a-z0-9._-]+", "-", f"phyassist-{base}-{dataset}".lower())

