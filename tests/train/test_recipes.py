"""The recipe lookup: the base model's own recipe, found inside the installed package."""

from __future__ import annotations

from pathlib import Path

import yaml

from phyassist.train.recipes import find_recipe, recipe_path

REPO = Path(__file__).resolve().parents[2]


def test_presets_get_their_own_recipe_whatever_the_dataset():
    qlora = find_recipe("mixtral-8x7b-instruct", "SAD")
    assert qlora is not None and qlora.name == "qlora.yaml"
    assert yaml.safe_load(qlora.read_text())["optim"] == "paged_adamw_32bit"  # the seed's recipe
    assert find_recipe("mixtral-8x7b-instruct", "counsel-chat") == qlora
    assert find_recipe("mistralai/Mixtral-8x7B-Instruct-v0.1", "final") == qlora  # the preset's Hub id
    smol = find_recipe("smollm2-135m-instruct", "MultiWD")
    assert smol is not None and smol.name == "lora.yaml" and find_recipe("smollm2-135m-instruct", "SAD") == smol
    assert find_recipe("mistral-7b-instruct", "SAD") is None  # a preset without a recipe: TrainConfig defaults
    assert find_recipe("some-org/some-model", "SAD") is None


def test_every_recipe_is_package_data_of_the_wheel():
    """A wheel holds the files pyproject's package-data patterns match under the recipes folder (setuptools globs
    them the same way); a recipe they miss would be found in a checkout and missing after `pip install`."""
    import tomllib

    from phyassist.models import PRESETS

    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folder = REPO / setuptools["package-dir"]["phyassist.recipes"]
    shipped = {p for pattern in setuptools["package-data"]["phyassist.recipes"] for p in folder.glob(pattern)}
    recipes = set(folder.rglob("*.yaml"))
    assert recipes and recipes <= shipped, sorted(str(p.relative_to(folder)) for p in recipes - shipped)
    for preset in PRESETS.values():
        if preset.recipe:
            assert folder / preset.recipe in shipped, preset.recipe
            assert recipe_path(preset.recipe) is not None, preset.recipe  # and importlib.resources finds it
    assert recipe_path("smollm2-135m-instruct/nope.yaml") is None


def test_a_dataset_recipe_wins_over_the_preset_recipe(tmp_path, monkeypatch):
    from phyassist.train import recipes

    root = tmp_path / "recipes"
    (root / "smollm2-135m-instruct").mkdir(parents=True)
    (root / "smollm2-135m-instruct" / "SAD.yaml").write_text("lora_r: 4\n")
    monkeypatch.setattr(recipes, "files", lambda package: root)
    assert find_recipe("smollm2-135m-instruct", "SAD") == root / "smollm2-135m-instruct" / "SAD.yaml"
    assert find_recipe("smollm2-135m-instruct", "MultiWD") is None  # lora.yaml is not in this folder


def test_counsel_chat_has_its_own_recipe_on_the_embedded_base():
    """counsel-chat answers carry no label sentence: whole answers, no label weight, its own step count."""
    counsel = find_recipe("smollm2-135m-instruct", "counsel-chat")
    assert counsel is not None and counsel.name == "counsel-chat.yaml"
    recipe, default = (yaml.safe_load(p.read_text()) for p in (counsel, find_recipe("smollm2-135m-instruct", "SAD")))
    assert "reasoning_max_sentences" not in recipe and "label_loss_weight" not in recipe
    assert default["label_loss_weight"] > 1 and default["reasoning_max_sentences"]  # the IMHI tasks' whole answers
