"""The recipe lookup: which YAML recipe a base model and dataset train with, found inside the package.

Recipes ship in the wheel as the package ``phyassist.recipes`` (the repository's top-level
``recipes/`` folder) and are read with ``importlib.resources``. ``find_recipe(base, dataset)`` gives
``recipes/<preset>/<dataset>.yaml`` when there is one, else the preset's own recipe (the embedded
SmolLM2's CPU-sized LoRA, the seed's Mixtral QLoRA), else None: a Hub id or a local model folder
trains with the ``TrainConfig`` defaults. ``phyassist train`` and ``phyassist publish`` both use it.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from ..models import PRESETS, BasePreset, as_preset

PACKAGE = "phyassist.recipes"


def recipe_path(relative: str) -> Path | None:
    """The file of a recipe given relative to the recipes folder, or None when it does not exist."""
    resource = files(PACKAGE).joinpath(*relative.split("/"))
    if not resource.is_file():
        return None
    # wheels and editable installs put package data on disk, so this is the file itself, valid after return
    with as_file(resource) as path:
        return Path(path)


def find_recipe(base_model: str | BasePreset, dataset: str | None = None) -> Path | None:
    """The recipe for ``base_model`` (a looked-up preset; or a preset name, Hub id or folder) on ``dataset``,
    or None."""
    preset = as_preset(base_model)
    if preset.name not in PRESETS:  # a Hub id or a local folder: no recipe folder of its own
        return None
    specific = recipe_path(f"{preset.name}/{dataset}.yaml") if dataset else None
    return specific or (recipe_path(preset.recipe) if preset.recipe else None)
