"""A consumer's install: the wheel, in a fresh virtual environment outside the checkout, with a fresh HOME.

The full install must find its recipes and card template inside the installed package (not through
the checkout) and run the publishing pipeline end to end: card rendered, the base's recipe applied.
The light one (``pip install phyassist``, no extras, nothing of this machine's packages) must infer
IMHI labels, score them and run ``phyassist data`` without torch, and name the extra a model command
needs in one line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
# what only the extras bring; the light install must not have them
EXTRA_ONLY = ("torch", "transformers", "peft", "trl", "accelerate", "bitsandbytes", "gradio", "evaluate")
TRAIN_NEEDED = "needs the 'train' extra (pip install 'phyassist[train]'); missing module"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import shutil

    # a clean copy: an in-tree build/ folder left from an earlier build could leak stale modules in
    source = tmp_path_factory.mktemp("source") / "phyassist"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "outputs", "runs", "*.egg-info", "__pycache__", ".venv", ".pytest_cache"))
    out = tmp_path_factory.mktemp("wheel")
    # the build backend installed here needs no index (a venv of Python >= 3.12 has none: pip fetches it)
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q",
                           "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (found,) = out.glob("phyassist-*.whl")
    return found


def _running_site_dirs() -> list[str]:
    """The folders the running interpreter imports packages from: its environment's (a venv's, or the
    system's when it runs outside one, both for a venv made with --system-site-packages) and the user's."""
    import site
    import sysconfig

    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def _own_site_dir(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A venv that sees the running interpreter's torch & co. but phyassist only from the wheel.

    ``--system-site-packages`` would show the base interpreter's packages, which inside a virtual
    environment lack what that environment installed. Instead a .pth file lists the running
    interpreter's package folders as plain paths, after the venv's own: the .pth files inside them (an
    editable install of the checkout) are not run, so the checkout's phyassist is not importable."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    (Path(_own_site_dir(root)) / "_running_interpreter.pth").write_text("\n".join(_running_site_dirs()) + "\n")
    done = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def light_venv(wheel, tmp_path_factory) -> Path:
    """``pip install phyassist`` with no extras in a venv that sees none of this machine's packages;
    the dependencies come from the package index (pip's cache makes a rerun quick)."""
    root = tmp_path_factory.mktemp("light")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def _light_run(light_venv, tmp_path, *args, **env):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PHYASSIST_CACHE", "XDG_CACHE_HOME")}
    return subprocess.run([str(light_venv / "bin" / args[0]), *args[1:]], capture_output=True, text=True, cwd=tmp_path,
                          env={**clean, "HOME": str(home), "HF_HUB_OFFLINE": "1", **env}, timeout=300)


@pytest.mark.slow
def test_wheel_ships_recipes_and_card_templates(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"phyassist/recipes/{p.relative_to(REPO / 'recipes').as_posix()}" for p in (REPO / "recipes").rglob("*.yaml")}
    shipped |= {f"phyassist/model_cards/{p.name}" for p in (REPO / "model_cards").glob("*.md")}
    shipped |= {"phyassist/serve/safety/crisis_model.npz", "phyassist/serve/safety/concepts.txt",
                "phyassist/data/checksums.json"}
    shipped |= {f"phyassist/{p.relative_to(REPO / 'phyassist').as_posix()}"
                for p in (REPO / "phyassist" / "base_configs").rglob("config.json")}
    assert shipped and shipped <= names, shipped - names


@pytest.mark.slow
def test_wheel_venv_has_no_phyassist_but_the_wheel(venv, tmp_path):
    """Without the wheel's own folder on its path, the venv finds no phyassist at all (no checkout)."""
    probe = ("import importlib.util, sys; own = sys.argv[1]; sys.path[:] = [p for p in sys.path if p != own]; "
             "print(importlib.util.find_spec('phyassist'), importlib.util.find_spec('huggingface_hub') is not None)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(venv / "bin" / "python"), "-c", probe, _own_site_dir(venv)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.stdout.split() == ["None", "True"], done.stdout + done.stderr


@pytest.mark.slow
def test_wheel_install_publishes_a_dry_run(venv, data_dir, smol_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    cache = home / ".cache" / "phyassist"
    cache.mkdir(parents=True)
    # the converted embedded base and the label classifiers are rebuilt on a real first run; here they
    # are shared with this machine's cache to keep the suite short
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


@pytest.mark.slow
def test_light_install_has_no_torch(light_venv, tmp_path):
    done = _light_run(light_venv, tmp_path, "python", "-m", "pip", "list", "--format=json")
    installed = {p["name"].lower().replace("_", "-") for p in json.loads(done.stdout)}
    assert not installed & set(EXTRA_ONLY), installed & set(EXTRA_ONLY)
    assert {"phyassist", "scikit-learn", "numpy", "huggingface-hub"} <= installed


@pytest.mark.slow
def test_light_install_infers_labels_and_scores_f1(light_venv, tmp_path):
    script = """
import json
import phyassist, phyassist.errors, phyassist.io, phyassist.config, phyassist.cli, phyassist.models
import phyassist.data.cli, phyassist.data.chat_csv, phyassist.data.download, phyassist.data.prepare
from phyassist.evaluation.labels import infer_labels
from phyassist.evaluation.scores import classification_scores

answers = ["Yes, the poster suffers from depression. Reasoning: ...", "No, the poster does not suffer from depression.",
           "Yes. The poster feels hopeless.", "It is hard to tell."]
preds = infer_labels("DR", answers)  # no classifier: the strict parser alone
print(json.dumps({"preds": preds, "scores": classification_scores(["yes", "no", "no", "yes"], preds, ["no", "yes"])}))
"""
    done = _light_run(light_venv, tmp_path, "python", "-c", script)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["preds"] == ["yes", "no", "yes", None]
    # yes: P 1/2, R 1/2, F1 1/2; no: P 1, R 1/2, F1 2/3; weighted by 2 golds each: (1/2 + 2/3) / 2
    assert out["scores"]["weighted_f1"] == pytest.approx(175 / 3)
    assert out["scores"]["unparsed"] == 1


@pytest.mark.slow
def test_light_install_screens_for_crisis_with_the_shipped_model(light_venv, tmp_path):
    script = """
from phyassist.serve.safety.model import shipped
from phyassist.serve.safety import detect_crisis, screen_conversation
model = shipped()
assert model is not None, "crisis model missing from the wheel"
print(detect_crisis("quiero morirme") is not None, detect_crisis("I killed it at karaoke") is None,
      screen_conversation(["I keep looking at the pills in the cabinet", "ok"]) is not None)
"""
    done = _light_run(light_venv, tmp_path, "python", "-c", script)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "True", "True"]


@pytest.mark.slow
def test_light_install_runs_data_and_names_the_missing_extra(light_venv, data_dir, tmp_path):
    assert _light_run(light_venv, tmp_path, "phyassist", "--help").returncode == 0
    evaluate = ["eval", "--dataset", "MultiWD", "--limit", "1", "--labels", "strict", "--out", str(tmp_path / "eval")]
    for args in (["train", "--help"], evaluate):
        done = _light_run(light_venv, tmp_path, "phyassist", *args, PHYASSIST_DATA_DIR=str(data_dir))
        assert done.returncode == 2, done.stderr[-3000:]
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith(f"phyassist {args[0]}: {TRAIN_NEEDED} '") and "Traceback" not in done.stderr, done.stderr
    # the data commands parse their flags without transformers' HfArgumentParser
    listed = _light_run(light_venv, tmp_path, "phyassist", "data", "list", "--data-dir", str(data_dir))
    assert listed.returncode == 0 and "MultiWD" in listed.stdout, listed.stderr[-3000:]
    out = tmp_path / "prepared"
    done = _light_run(light_venv, tmp_path, "phyassist", "data", "prepare", "--dataset", "MultiWD", "--out", str(out),
                      "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / "data_report.json").read_text())["rows"]["train"] > 0


def _config_classes():
    """Every command's config dataclass (``train``, ``publish`` and ``models`` parse trl's SFTConfig, which needs
    transformers)."""
    from phyassist.cli import COMMANDS, _load

    for command, (config, main, _) in COMMANDS.items():
        if command in ("train", "publish", "models"):
            continue
        if main is None:  # a command with actions
            yield from (cls for cls, _ in _load(config).values())
        else:
            yield _load(config)


def test_plain_parser_matches_hfargumentparser():
    """Without transformers the flags come from a plain argparse parser: the same flags, defaults and help."""
    from transformers import HfArgumentParser

    from phyassist.config import _plain_parser

    def actions(parser):
        return [(a.option_strings, a.dest, a.default, a.nargs, a.const, a.required, a.choices, a.help,
                 getattr(a.type, "__name__", a.type)) for a in parser._actions]

    classes = list(_config_classes())
    assert len(classes) >= 6
    for cls in classes:
        ours = _plain_parser(cls, "phyassist x", "help")
        theirs = HfArgumentParser([cls], prog="phyassist x", description="help", allow_abbrev=False)
        assert actions(ours) == actions(theirs), cls.__name__
        assert ours.format_help() == theirs.format_help(), cls.__name__


def test_missing_extra_is_one_line(monkeypatch, capsys):
    from phyassist.cli import main

    monkeypatch.setitem(sys.modules, "trl", None)  # `import trl` now fails as if it were not installed
    monkeypatch.delitem(sys.modules, "phyassist.train.config", raising=False)
    assert main(["train", "--help"]) == 2
    assert capsys.readouterr().err == f"phyassist train: {TRAIN_NEEDED} 'trl'\n"


def test_a_missing_module_of_our_own_keeps_its_traceback(monkeypatch):
    from phyassist.cli import main

    monkeypatch.setitem(sys.modules, "phyassist.train.config", None)
    with pytest.raises(ModuleNotFoundError):
        main(["train", "--help"])
