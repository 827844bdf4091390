"""A consumer's install: the wheel, in a fresh virtual environment outside the checkout, with a fresh HOME.

It must find its recipes and card template inside the installed package (not through the checkout)
and run the publishing pipeline end to end: card rendered, the base's recipe applied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import shutil

    # a clean copy: an in-tree build/ folder left from an earlier build could leak stale modules in
    source = tmp_path_factory.mktemp("source") / "phyassist"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "outputs", "runs", "*.egg-info", "__pycache__", ".venv", ".pytest_cache"))
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: the build backend already installed here, no index needed
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (found,) = out.glob("phyassist-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A venv that sees this machine's torch & co. (system site-packages) but phyassist only from the wheel."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], check=True, timeout=120)
    done = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def test_wheel_ships_recipes_and_card_templates(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"phyassist/recipes/{p.relative_to(REPO / 'recipes').as_posix()}" for p in (REPO / "recipes").rglob("*.yaml")}
    shipped |= {f"phyassist/model_cards/{p.name}" for p in (REPO / "model_cards").glob("*.md")}
    assert shipped and shipped <= names, shipped - names


def test_wheel_install_publishes_a_dry_run(venv, data_dir, smol_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    cache = home / ".cache" / "phyassist"
    cache.mkdir(parents=True)
    # the converted embedded base and the label classifiers are rebuilt on a real first run (about a
    # minute); here they are shared with this machine's cache to keep the suite short
    for name in ("models", "labels"):
        if (smol_dir.parents[1] / name).is_dir():
            (cache / name).symlink_to(smol_dir.parents[1] / name)
    if (smol_dir.parents[1] / "gguf-sha256.json").exists():
        (cache / "gguf-sha256.json").write_bytes((smol_dir.parents[1] / "gguf-sha256.json").read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PHYASSIST_CACHE", "XDG_CACHE_HOME")}
    env.update(HOME=str(home), PHYASSIST_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="2")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import phyassist; print(phyassist.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr  # the wheel, not the checkout
    out = tmp_path / "run"
    done = subprocess.run([str(venv / "bin" / "phyassist"), "publish", "--dataset", "MultiWD", "--dry-run",
                           "--max-steps", "1", "--eval-limit", "2", "--output-dir", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Staged" in done.stdout and "not pushed: --dry-run" in done.stdout
    # the recipe came from the installed package: its values, with the flag's max_steps on top
    recipe = yaml.safe_load((REPO / "recipes" / "smollm2-135m-instruct" / "lora.yaml").read_text())
    used = yaml.safe_load((out / "adapter" / "phyassist_config.yaml").read_text())
    assert used["max_steps"] == 1
    for key in ("learning_rate", "lora_r", "lora_dropout", "lr_scheduler_type", "max_train_examples"):
        assert used[key] == recipe[key], key
    assert used["lora_target_modules"] == sorted(recipe["lora_target_modules"])
    assert "Recipe" in done.stderr or "recipe" in done.stderr
    # the card was rendered from the packaged template and carries the results
    from huggingface_hub import ModelCard

    card = ModelCard.load(out / "hub" / "README.md")
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct" and card.data.library_name == "peft"
    results = json.loads((out / "hub" / "eval" / "adapter.json").read_text())
    assert results["tasks"]["MultiWD"]["n"] == 2
    template = (REPO / "model_cards" / "adapter.md").read_text()
    heading = next(line for line in template.splitlines() if line.startswith("## ") and "{" not in line)
    assert heading in card.text
