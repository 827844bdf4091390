"""Staging a repo folder (atomic, Hub ids only, card validated, loads back with PEFT) and the
end-to-end ``scripts/train_and_push.py`` dry run."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, imhi_results, write_adapter_folder

from phyassist.errors import UserError
from phyassist.hub import publish

EXPECTED = {"README.md", "adapter_config.json", "adapter_model.safetensors", "data_report.json",
            "train_metrics.json", "versions.json", "phyassist_config.yaml", "f1_chart.png",
            "eval/base.json", "eval/adapter.json", ".eval_results/imhi.yaml", "tokenizer.json"}


def _checkout(env: dict) -> dict:
    """``env`` for a script run in a subprocess: it imports this checkout's phyassist, whatever is installed."""
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _stage(adapter_dir, out, adapter=None):
    return publish.stage(adapter_dir, imhi_results(), adapter or imhi_results(offset=5, bart=True), out,
                         repo_id="me/phyassist-tiny", dataset="MultiWD")


def test_stage_writes_card_results_and_hub_ids(tiny_adapter_dir, tmp_path):
    from huggingface_hub import ModelCard

    adapter = imhi_results(offset=5, bart=True)
    staged = _stage(tiny_adapter_dir, tmp_path / "hub", adapter)
    assert EXPECTED <= _files(staged)
    card = ModelCard.load(staged / "README.md")
    assert card.data.base_model == "phyassist-tests/tiny-llama"
    assert card.data.datasets == ["phyassist/IMHI"]
    results = json.loads((staged / "eval" / "adapter.json").read_text())
    got = {(r.dataset_config, r.metric_type): r.metric_value for r in card.data.eval_results}
    assert got == {("MultiWD", "f1"): results["tasks"]["MultiWD"]["weighted_f1"],
                   ("MultiWD", "accuracy"): results["tasks"]["MultiWD"]["accuracy"],
                   ("MultiWD", "bartscore"): results["tasks"]["MultiWD"]["bart_score"]}
    assert json.loads((staged / "adapter_config.json").read_text())["base_model_name_or_path"] == "phyassist-tests/tiny-llama"
    # no local folder (adapter, base, temp) leaks into any staged text file
    for name in _files(staged) - {"adapter_model.safetensors", "f1_chart.png", "tokenizer.json"}:
        text = (staged / name).read_text()
        assert str(tiny_adapter_dir) not in text and "/tmp/" not in text, name
    assert results["model"] == {"base_model": "phyassist-tests/tiny-llama", "adapter": "me/phyassist-tiny"}


def test_staging_is_atomic_and_token_blocked(tiny_llama_dir, tmp_path):
    adapter_dir = write_adapter_folder(tiny_llama_dir, tmp_path / "adapter")
    staged = _stage(adapter_dir, tmp_path / "hub")
    before = {n: (staged / n).read_bytes() for n in _files(staged)}
    (adapter_dir / "phyassist_config.yaml").write_text("hub_token: hf_" + "Zq9" * 12 + "\n")
    with pytest.raises(UserError, match=r"phyassist_config.yaml \(Hugging Face token\)"):
        _stage(adapter_dir, tmp_path / "hub")
    assert {n: (staged / n).read_bytes() for n in _files(staged)} == before  # old staging untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "hub"]  # no temp folders left


def test_training_leftovers_are_not_staged(tiny_llama_dir, tmp_path):
    adapter_dir = write_adapter_folder(tiny_llama_dir, tmp_path / "adapter")
    (adapter_dir / "training_args.bin").write_bytes(b"pickle")
    (adapter_dir / "checkpoint-2").mkdir()
    (adapter_dir / "checkpoint-2" / "optimizer.pt").write_bytes(b"x")
    names = _files(_stage(adapter_dir, tmp_path / "hub"))
    assert "training_args.bin" not in names and not any(n.startswith("checkpoint-") for n in names)


def test_staged_folder_pushes_in_one_commit(tiny_adapter_dir, tmp_path, hub_standin):
    from phyassist.hub import push as hub

    staged = _stage(tiny_adapter_dir, tmp_path / "hub")
    hub.push_folder(staged, "me/phyassist-tiny", token="hf_" + "Tst0" * 9, endpoint=hub_standin.url)
    assert len(hub_standin.commits) == 1
    assert set(hub_standin.commits[0]["files"]) == _files(staged)


@pytest.mark.slow
def test_staged_folder_loads_back_on_the_embedded_base(smol_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    adapter_dir = write_adapter_folder(smol_dir, tmp_path / "adapter")
    staged = _stage(adapter_dir, tmp_path / "hub")
    assert json.loads((staged / "adapter_config.json").read_text())["base_model_name_or_path"] == \
        "HuggingFaceTB/SmolLM2-135M-Instruct"
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(smol_dir), staged)
    saved = json.loads((staged / "adapter_config.json").read_text())
    assert model.peft_config["default"].r == saved["r"] == 4
    # the loaded LoRA weights are the staged ones
    from safetensors.torch import load_file

    weights = load_file(staged / "adapter_model.safetensors")
    key = next(k for k in weights if "lora_A" in k)
    param = dict(model.named_parameters())[key.replace("lora_A.weight", "lora_A.default.weight")]
    assert torch.equal(param.detach(), weights[key])


def test_eval_tasks_and_config_validation():
    from phyassist.data.loading import resolve_dataset

    assert resolve_dataset("multiwd").eval_tasks == ["MultiWD"]
    assert resolve_dataset("final").eval_tasks == ["Irf", "MultiWD", "SAD"]
    assert resolve_dataset("counsel-chat").eval_tasks == ["DR", "dreaddit", "Irf", "MultiWD", "SAD"]
    with pytest.raises(UserError, match=r"`max_steps` must be positive \(or -1 for `num_train_epochs`\), got 0."):
        publish.PublishConfig(dataset="MultiWD", training={"max_steps": 0})
    with pytest.raises(UserError, match="^`output_dir` is a publish setting, not a training one; set it outside "):
        publish.PublishConfig(dataset="MultiWD", training={"output_dir": "x"})
    with pytest.raises(UserError, match="`repo_id` must look like ORG/NAME, got 'x'"):
        publish.PublishConfig(dataset="MultiWD", repo_id="x")
    with pytest.raises(UserError, match="`dataset` is required"):
        publish.PublishConfig()
    with pytest.raises(UserError, match="unknown dataset 'NoSuchTask'"):
        publish.PublishConfig(dataset="NoSuchTask")


def test_publish_takes_every_training_field_as_a_flag_and_a_recipe_key(tmp_path, capsys):
    from phyassist.cli import main
    from phyassist.train.config import TrainConfig

    cfg, _ = publish.parse_args(["--dataset", "MultiWD", "--lora_r", "8", "--lr-scheduler-type", "constant",
                                 "--max-steps", "2", "--eval-limit", "8", "--dry-run", "--repo-id", "me/x",
                                 "--output-dir", str(tmp_path / "out")])
    train = cfg.train_config
    assert (train.lora_r, train.lr_scheduler_type.value, train.max_steps) == (8, "constant", 2)
    assert (cfg.eval_limit, cfg.dry_run, cfg.repo_id) == (8, True, "me/x")
    assert train.output_dir == str(tmp_path / "out" / "adapter") and train.lora_alpha == 32  # the rest: the recipe's
    recipe = tmp_path / "publish.yaml"
    recipe.write_text("dataset: SAD\nlora_r: 4\nlearning_rate: 1e-3\neval_limit: 3\nresolved: {bf16: false}\n")
    cfg, _ = publish.parse_args(["--config", str(recipe), "--lora-r", "2"])
    assert (cfg.dataset, cfg.eval_limit, cfg.train_config.learning_rate, cfg.train_config.lora_r) == ("SAD", 3, 1e-3, 2)
    # an unknown flag or key is still one line
    assert main(["publish", "--dataset", "MultiWD", "--lora_dropuot", "0.1"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "phyassist: error: unrecognized argument '--lora_dropuot' (did you mean --lora_dropout?); "
        "`phyassist publish --help` lists every flag"]
    recipe.write_text("dataset: SAD\nlora_rank: 4\n")
    assert main(["publish", "--config", str(recipe)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"phyassist: error: unknown config key `lora_rank` in {recipe} (did you mean `lora_r`?); expected a "
        "PublishConfig or TrainConfig field"]
    # --help lists every training field beside publish's own
    with pytest.raises(SystemExit):
        main(["publish", "--help"])
    out = capsys.readouterr().out
    names = [f.name for f in dataclasses.fields(TrainConfig) if f.init]
    assert "TrainConfig fields:" in out and all(f"--{name}" in out for name in names)


def test_a_training_flag_on_publish_reaches_the_trainer(data_dir, tmp_path, monkeypatch):
    from phyassist.cli import main
    from phyassist.train import trainer

    seen = []

    def train(config):
        seen.append(config)
        raise UserError("stop before training")

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    monkeypatch.setattr(trainer, "train", train)
    assert main(["publish", "--dataset", "MultiWD", "--dry-run", "--lora_r", "8", "--max-steps", "2",
                 "--output-dir", str(tmp_path / "out")]) == 2
    assert [(c.lora_r, c.max_steps, c.output_dir) for c in seen] == [(8, 2, str(tmp_path / "out" / "adapter"))]


def test_publish_looks_up_its_names_once(data_dir, tiny_adapter_dir, tmp_path, monkeypatch, lookups):
    """One `phyassist publish` looks up its dataset and base model once: training, evaluation and the data
    check get the objects (here with stand-ins for the trainer, the eval and the staging)."""
    from types import SimpleNamespace

    from phyassist.evaluation import run
    from phyassist.train import trainer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    calls = {"eval": []}

    def train(config):
        calls["train"] = config
        return SimpleNamespace(output_dir=tiny_adapter_dir)

    def run_eval(cfg):
        calls["eval"].append(cfg)
        Path(cfg.out_dir).mkdir(parents=True)
        (Path(cfg.out_dir) / "results.json").write_text(json.dumps(imhi_results()))

    monkeypatch.setattr(trainer, "train", train)
    monkeypatch.setattr(run, "run_eval", run_eval)
    monkeypatch.setattr(publish, "stage", lambda *a, **k: tmp_path / "out" / "hub")
    cfg, _ = publish.parse_args(["--dataset", "MultiWD", "--dry-run", "--output-dir", str(tmp_path / "out")])
    publish.publish(cfg)
    assert lookups == {"resolve_base": 1, "resolve_dataset": 1}
    assert calls["train"].base_preset is cfg.base_preset and calls["train"].dataset_spec is cfg.dataset_spec
    assert [e.base_preset for e in calls["eval"]] == [cfg.base_preset] * 2


# what a publish run writes, relative to its output folder; the log names each once, in the summary
OUTPUTS = ("adapter", "eval/base/results.json", "eval/base/results.md", "eval/adapter/results.json",
           "eval/adapter/results.md", "hub/README.md", "hub")


def assert_outputs_named_once(log: str, out: Path) -> None:
    """Every output exists and the log names its path exactly once (the push command aside: an instruction),
    and the summary names nothing else."""
    import re

    lines = [line for line in log.splitlines() if not line.strip().startswith("phyassist push ")]
    for rel in OUTPUTS:
        path = out / rel
        assert path.exists(), path
        named = [line for line in lines if re.search(re.escape(str(path)) + r"(?![\w./-])", line)]
        assert len(named) == 1, (rel, named)
    summary = log.split("Outputs:\n", 1)[1].split("\n")
    rows = summary[:next(i for i, line in enumerate(summary) if not line.startswith("  "))]
    listed = [line.split()[-1] for line in rows]
    assert listed == [str(out / rel) for rel in OUTPUTS]


def test_the_summary_names_each_output_once(tmp_path):
    result = publish.PublishResult(tmp_path / "hub", "me/x", None, "phyassist push", outputs={
        "adapter folder": tmp_path / "adapter", "model card": tmp_path / "hub" / "README.md"})
    assert publish.format_outputs(result.outputs).splitlines() == [
        "Outputs:", f"  adapter folder  {tmp_path / 'adapter'}", f"  model card      {tmp_path / 'hub' / 'README.md'}"]


@pytest.mark.slow
def test_train_and_push_dry_run_end_to_end(tmp_path, data_dir, hub_standin):
    out = tmp_path / "run"
    env = _checkout({**os.environ, "PHYASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"})
    env.pop("HF_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_and_push.py"), "--dataset", "MultiWD", "--dry-run",
         "--max-steps", "2", "--eval-limit", "8", "--output-dir", str(out)],
        env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    staged = out / "hub"
    assert f"phyassist push {staged} --repo-id your-username/phyassist-smollm2-135m-instruct-multiwd" in proc.stdout
    assert_outputs_named_once(proc.stderr + proc.stdout, out)
    assert "bitsandbytes" not in proc.stderr  # a LoRA run never loads it (phyassist.lazy_bnb)
    assert EXPECTED <= _files(staged)
    results = json.loads((staged / "eval" / "adapter.json").read_text())
    assert results["tasks"]["MultiWD"]["n"] == 8
    from huggingface_hub import ModelCard

    card = ModelCard.load(staged / "README.md")
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert {r.metric_type: r.metric_value for r in card.data.eval_results}["f1"] == \
        results["tasks"]["MultiWD"]["weighted_f1"]
    # the printed "push later" command works (against the loopback stand-in, not the real Hub)
    command = proc.stdout.split("To push it later, run:")[1].split()
    env.update(HF_ENDPOINT=hub_standin.url, HF_TOKEN="hf_" + "Tst0" * 9, HF_HUB_OFFLINE="0", TRANSFORMERS_OFFLINE="0")
    push = subprocess.run([sys.executable, "-m", "phyassist.cli", *command[1:]], env=env, capture_output=True,
                          text=True, timeout=120)
    assert push.returncode == 0, push.stderr
    assert set(hub_standin.commits[0]["files"]) == _files(staged)


def test_train_and_push_is_publish_under_its_own_name():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "train_and_push.py"), "--dataset", "Nope"],
                          capture_output=True, text=True, timeout=120, env=_checkout(dict(os.environ)))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "train_and_push.py: error: unknown dataset 'Nope'; expected one of: DR, dreaddit, Irf, MultiWD, SAD, "
        "counsel-chat, final, imhi, all")
    help_text = subprocess.run([sys.executable, str(REPO / "scripts" / "train_and_push.py"), "--help"],
                               capture_output=True, text=True, timeout=120, env=_checkout(dict(os.environ))).stdout
    assert help_text.startswith("usage: train_and_push.py ") and "--eval_limit" in help_text
    assert "--lora_r" in help_text  # and every training flag


def test_train_and_push_without_data_offline_stops_in_seconds(tmp_path):
    import time

    env = _checkout({k: v for k, v in os.environ.items() if not k.startswith(("PHYASSIST_", "HF_"))})
    env.update(HOME=str(tmp_path), PHYASSIST_DATA_DIR=str(tmp_path / "nodata"), HF_HUB_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "train_and_push.py"), "--dataset", "MultiWD"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    took = time.perf_counter() - t0
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"train_and_push.py: error: MultiWD data missing under {tmp_path / 'nodata'} (")
    assert "`phyassist data download`" in last and "PHYASSIST_DATA_DIR" in last
    assert "Traceback" not in proc.stderr and not (tmp_path / ".cache" / "phyassist" / "models").exists()
    assert took < 30, took  # no base conversion, no training: the data check comes first
