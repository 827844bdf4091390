"""The IMHI benchmark dataset: task ids, the staged folder (configs with the training splits, card, eval.yaml with
its evaluation framework), loading it with `datasets`, the eval results of model cards pointing at declared tasks
at the pushed commit, and the tagged push."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, imhi_results, write_csv_rows

from phyassist.errors import PushError, UserError
from phyassist.hub import benchmark, cards
from phyassist.hub.frontmatter import folder_violations

TOKEN = "hf_" + "Tst0" * 9  # token-shaped, never valid
QUESTION = "Does the poster suffer from depression?"
DR_Q = 'Consider this post: "{}" Question: ' + QUESTION
DR_YES, DR_NO = "Yes, the poster suffers from depression", "No, the poster does not suffer from depression"


@pytest.fixture
def release(tmp_path) -> Path:
    """A data folder shaped like the release: DR's three test files and its train/val files, swmh's expert file,
    the LICENSE."""
    root = tmp_path / "data"
    imhi = root / "imhi" / "test_data"
    rows = [(DR_Q.format(f"post {i}\nsecond line, with a comma"), f"{DR_YES if i % 2 else DR_NO}. Reasoning: r{i}.")
            for i in range(6)]
    write_csv_rows(imhi / "test_instruction" / "DR.csv", ["query", "gpt-3.5-turbo"], rows)
    write_csv_rows(imhi / "test_complete" / "DR.csv", ["query", "gpt-3.5-turbo"],
                   [(f'Post: post {i} Question: The answer to the question "{QUESTION}" is',
                     f"{'yes' if i % 2 else 'no'}. Reasoning: r{i}.") for i in range(6)])
    write_csv_rows(imhi / "test_instruction_expert" / "DR.csv", ["query", "gpt-3.5-turbo"], rows[:3])
    write_csv_rows(imhi / "test_instruction_expert" / "swmh.csv", ["query", "gpt-3.5-turbo"],
                   [("Consider this post: \"x\" Question: What mental disorder does this post show?",
                     "This post shows mental disorder symptoms related to depression. Reasoning: x.")])
    train = root / "imhi" / "train_data" / "instruction_data" / "DR"
    write_csv_rows(train / "train.csv", ["query", "gpt-3.5-turbo"],
                   [(DR_Q.format(f"train {i}"), f"{DR_NO}. Reasoning: t.") for i in range(4)])
    write_csv_rows(train / "val.csv", ["query", "gpt-3.5-turbo"], [(DR_Q.format("val"), f"{DR_YES}. Reasoning: v.")])
    (root / "imhi" / "LICENSE").write_text("MIT License\n\nCopyright (c) 2023 NaCTeM\n")
    return root


def _pin(monkeypatch, root: Path):
    """Make the fixture files the 'pinned release' (the real checksums are the MentalLLaMA files')."""
    sums = {f"imhi/{p.relative_to(root / 'imhi').as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (root / "imhi").rglob("*.csv")}
    monkeypatch.setattr(benchmark, "checksums", lambda: sums)


def test_task_ids_and_splits():
    assert benchmark.task_id("MultiWD", "test", "weighted_f1") == "MultiWD"
    assert benchmark.task_id("MultiWD", "test", "accuracy") == "MultiWD_accuracy"
    assert benchmark.task_id("t-sid", "test_expert", "weighted_f1") == "t-sid_expert"
    assert benchmark.task_id("DR", "test_complete", "accuracy") == "DR_complete_accuracy"
    assert benchmark.split_name("complete", "instruction") == "test_complete"
    assert benchmark.split_name("instruction", "expert") == "test_expert"
    with pytest.raises(UserError, match="'bart_score' is not a leaderboard metric"):
        benchmark.task_id("DR", "test", "bart_score")
    with pytest.raises(UserError, match="no IMHI test split for variant 'complete' with test set 'expert'"):
        benchmark.split_name("complete", "expert")
    assert not benchmark.in_release("swmh", "test") and benchmark.in_release("swmh", "test_expert")


def test_stage_writes_configs_card_and_eval_yaml(release, tmp_path):
    from huggingface_hub import DatasetCard

    staged = benchmark.stage_benchmark(release, tmp_path / "out")
    got = {(f.task, f.split): f.rows for f in staged.files}
    assert got == {("DR", "test"): 6, ("DR", "test_complete"): 6, ("DR", "test_expert"): 3, ("DR", "train"): 4,
                   ("DR", "validation"): 1, ("swmh", "test_expert"): 1}
    # every other task's files are missing from this copy (train/val of the 4 other training tasks too): skipped
    assert len(staged.missing) == 3 * len(benchmark.TASKS) - 4 + 2 * 4
    assert ("SAD", "train", str(release / "imhi/train_data/instruction_data/SAD/train.csv")) in staged.missing
    assert ("swmh", "test", str(release / "imhi/test_data/test_instruction/swmh.csv")) in staged.missing
    source = release / "imhi/test_data/test_instruction/DR.csv"
    assert (staged.folder / "data/DR/test.csv").read_bytes() == source.read_bytes()  # byte for byte
    assert (staged.folder / "LICENSE").exists()

    card = DatasetCard.load(staged.folder / "README.md")
    assert card.data.license == "mit" and card.data.pretty_name
    assert card.data.configs == [
        {"config_name": "DR", "data_files": [{"split": "test", "path": "data/DR/test.csv"},
                                             {"split": "test_complete", "path": "data/DR/test_complete.csv"},
                                             {"split": "test_expert", "path": "data/DR/test_expert.csv"},
                                             {"split": "train", "path": "data/DR/train.csv"},
                                             {"split": "validation", "path": "data/DR/validation.csv"}]},
        {"config_name": "swmh", "data_files": [{"split": "test_expert", "path": "data/swmh/test_expert.csv"}]}]
    text = card.text
    for needle in (benchmark.IMHI_COMMIT, "Provenance", "yang2024mentallama", "MIT", "`query`", "`gpt-3.5-turbo`",
                   "Not in this copy (31 skipped)", "swmh `test` (release file `test_data/test_instruction/swmh.csv`)",
                   "| DR | test_expert | 3 |", 'revision="v1"',
                   "| DR | train | 4 | `train_data/instruction_data/DR/train.csv`",
                   "`evaluation_framework: phyassist`", "The Hub does not show these leaderboards yet",
                   "a pull request adding it to EVALUATION_FRAMEWORKS in https://github.com/huggingface/"):
        assert needle in text, needle
    assert "byte-identical" not in text  # these files are not the pinned release's

    spec = yaml.safe_load((staged.folder / "eval.yaml").read_text())
    assert spec["name"] == "IMHI" and spec["description"].startswith("IMHI")
    # required by the spec (hub-docs docs/hub/eval-results.md), from the one constant
    assert spec["evaluation_framework"] == benchmark.EVALUATION_FRAMEWORK == "phyassist"
    assert folder_violations(staged.folder, "dataset") == []  # card and eval.yaml: the Hub's rules
    assert spec["tasks"][:2] == [{"id": "DR", "config": "DR", "split": "test"},
                                 {"id": "DR_accuracy", "config": "DR", "split": "test"}]
    assert [t["id"] for t in spec["tasks"]] == ["DR", "DR_accuracy", "DR_complete", "DR_complete_accuracy", "DR_expert",
                                                "DR_expert_accuracy", "swmh_expert", "swmh_expert_accuracy"]
    # every task's config and split is one the card's configs declare
    declared = {(c["config_name"], d["split"]) for c in card.data.configs for d in c["data_files"]}
    assert {(t["config"], t["split"]) for t in spec["tasks"]} <= declared


def test_staged_folder_loads_with_datasets(release, tmp_path):
    from datasets import load_dataset

    staged = benchmark.stage_benchmark(release, tmp_path / "out")
    rows = load_dataset(str(staged.folder), "DR", split="test")
    assert rows.num_rows == 6 and rows.column_names == ["query", "gpt-3.5-turbo"]
    assert load_dataset(str(staged.folder), "DR", split="train").num_rows == 4  # what DR adapters train on
    assert rows[1]["query"] == DR_Q.format("post 1\nsecond line, with a comma")
    assert load_dataset(str(staged.folder), "swmh", split="test_expert").num_rows == 1


@pytest.fixture(scope="module")
def staged_release(data_dir, tmp_path_factory) -> benchmark.StagedBenchmark:
    return benchmark.stage_benchmark(data_dir, tmp_path_factory.mktemp("imhi-benchmark") / "imhi")


def test_staging_the_release_copy(staged_release):
    """The shared copy: every file present is the pinned release's; swmh's two missing test files and the two
    train.csv the public repository lacks (Irf, MultiWD) are skipped."""
    from datasets import load_dataset

    staged = staged_release
    assert all(f.pinned for f in staged.files), [f for f in staged.files if not f.pinned]
    assert {(t, s) for t, s, _ in staged.missing} <= {("swmh", "test"), ("swmh", "test_complete"), ("Irf", "train"),
                                                      ("MultiWD", "train")}
    assert {("SAD", "train"), ("SAD", "validation"), ("MultiWD", "validation")} <= {(f.task, f.split)
                                                                                   for f in staged.files}
    assert "byte-identical" in (staged.folder / "README.md").read_text()
    assert load_dataset(str(staged.folder), "SAD", split="test_expert").num_rows == 35


def _all_results(variant: str, test_set: str) -> dict:
    out = imhi_results(tuple(benchmark.TASKS), bart=True)
    out.update(variant=variant, test_set=test_set)
    return out


@pytest.mark.parametrize("variant,test_set", [("instruction", "instruction"), ("complete", "instruction"),
                                              ("instruction", "expert")])
def test_card_eval_results_are_tasks_of_the_staged_benchmark(staged_release, variant, test_set):
    from huggingface_hub import parse_eval_result_entries

    folder = staged_release.folder
    declared = {t["id"]: (t["config"], t["split"]) for t in yaml.safe_load((folder / "eval.yaml").read_text())["tasks"]}
    results = _all_results(variant, test_set)
    entries = parse_eval_result_entries(yaml.safe_load(cards.eval_results_yaml(results, "2026-11-29T00:00:00Z")))
    split = benchmark.split_name(variant, test_set)
    assert entries and [e.task_id for e in entries if e.task_id not in declared] == []
    assert all(declared[e.task_id][1] == split for e in entries)
    assert all(e.dataset_id == "phyassist/IMHI" and e.dataset_revision == benchmark.IMHI_REVISION
               and e.source_url == "https://huggingface.co/spaces/phyassist/imhi" for e in entries)
    # the model-index results name configs and splits the dataset has (swmh has no instruction test set)
    configs = set(declared.values())
    model_index = [r for r in cards.eval_results(results) if r.dataset_config != "swmh" or split == "test_expert"]
    assert model_index and all((r.dataset_config, r.dataset_split) in configs for r in model_index)


def test_staged_adapter_repo_points_at_declared_tasks(staged_release, tiny_adapter_dir, tmp_path):
    """What `phyassist publish` stages: README.md (model-index) and .eval_results/imhi.yaml, read back with
    huggingface_hub's own parsers, name the benchmark's configs, splits and eval.yaml tasks."""
    from huggingface_hub import ModelCard, parse_eval_result_entries

    from phyassist.hub.publish import stage

    base, adapter = imhi_results(("MultiWD", "SAD")), imhi_results(("MultiWD", "SAD"), offset=7.5, bart=True)
    out = stage(tiny_adapter_dir, base, adapter, tmp_path / "hub", repo_id="someone/phyassist-tiny", dataset="final")
    tasks = yaml.safe_load((staged_release.folder / "eval.yaml").read_text())["tasks"]
    entries = parse_eval_result_entries(yaml.safe_load((out / ".eval_results" / "imhi.yaml").read_text()))
    assert sorted(e.task_id for e in entries) == ["MultiWD", "MultiWD_accuracy", "SAD", "SAD_accuracy"]
    assert {e.task_id for e in entries} <= {t["id"] for t in tasks}
    card = ModelCard.load(out / "README.md")
    assert card.data.datasets == ["phyassist/IMHI"]
    results = card.data.eval_results
    assert {(r.dataset_type, r.dataset_config, r.dataset_split, r.dataset_revision) for r in results} == {
        ("phyassist/IMHI", "MultiWD", "test", "v1"), ("phyassist/IMHI", "SAD", "test", "v1")}
    assert {(r.dataset_config, r.dataset_split) for r in results} <= {(t["config"], t["split"]) for t in tasks}


def test_dry_run_script_stages_and_reports_missing(release, tmp_path):
    out = tmp_path / "staged"
    env = {**os.environ, "PHYASSIST_DATA_DIR": str(release), "HF_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "push_benchmark.py"), "--dry-run", "--output-dir",
                           str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "DR          test_expert         3" in proc.stdout
    assert "6 files, 21 rows" in proc.stdout and "skipped 31 missing file(s): DR" not in proc.stdout
    assert "skipped 31 missing file(s): dreaddit test (" in proc.stdout
    assert "Not pushed (--dry-run)" in proc.stdout
    # until the framework is registered, one line says the Hub shows no scores and what registering takes
    note = [line for line in proc.stdout.splitlines() if "will not show" in line]
    assert note == [benchmark.framework_note()] and note[0].startswith(
        "The Hub will not show IMHI scores yet: evaluation_framework `phyassist` is not in its list; registering")
    assert (out / "eval.yaml").exists() and (out / "data" / "DR" / "test_complete.csv").exists()


def _push(root: Path, out: Path, standin, **kw):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", TOKEN)
        mp.setattr("huggingface_hub.constants.ENDPOINT", standin.url)
        return benchmark.main(benchmark.BenchmarkPushConfig(data_dir=str(root), output_dir=str(out), **kw))


def test_push_creates_a_tagged_dataset_repo(release, tmp_path, hub_standin, monkeypatch, capsys):
    _pin(monkeypatch, release)
    assert _push(release, tmp_path / "out", hub_standin) == 0
    repo = hub_standin.repos["phyassist/IMHI"]
    assert repo["payload"]["type"] == "dataset" and repo["payload"]["visibility"] == "public"
    assert set(repo["files"]) == {"README.md", "eval.yaml", "LICENSE", "data/DR/test.csv", "data/DR/test_complete.csv",
                                  "data/DR/test_expert.csv", "data/DR/train.csv", "data/DR/validation.csv",
                                  "data/swmh/test_expert.csv"}
    assert list(repo["tags"]) == [benchmark.IMHI_REVISION] and len(hub_standin.commits) == 1
    assert f"(tag {benchmark.IMHI_REVISION})" in capsys.readouterr().out
    assert b"byte-identical" in repo["files"]["README.md"]
    # a published revision is never moved
    with pytest.raises(PushError, match="tag 'v1' already exists on phyassist/IMHI"):
        _push(release, tmp_path / "out", hub_standin)


def test_push_to_another_repo_and_tag(release, tmp_path, hub_standin, monkeypatch, caplog):
    _pin(monkeypatch, release)
    assert _push(release, tmp_path / "out", hub_standin, repo_id="me/IMHI-copy", tag="v2", private=True) == 0
    assert "phyassist/IMHI" not in hub_standin.repos
    repo = hub_standin.repos["me/IMHI-copy"]
    assert list(repo["tags"]) == ["v2"] and repo["payload"]["visibility"] == "private"
    card = repo["files"]["README.md"].decode()
    assert 'load_dataset("me/IMHI-copy", "MultiWD", split="test_expert", revision="v2")' in card
    assert "Model cards point at phyassist/IMHI@v1; this benchmark went to me/IMHI-copy@v2" in caplog.text


def test_push_refuses_files_that_are_not_the_pinned_release(release, tmp_path, hub_standin):
    with pytest.raises(UserError, match=r"refusing to publish phyassist/IMHI: DR test, DR test_complete, .* do\(es\) "
                                        r"not match the sha256 of MentalLLaMA@963f409339bb"):
        _push(release, tmp_path / "out", hub_standin)
    assert hub_standin.requests == []


def test_errors_are_one_line(tmp_path, release):
    with pytest.raises(UserError, match="no IMHI data under .*: run `phyassist data download`"):
        benchmark.stage_benchmark(tmp_path / "empty", tmp_path / "out")
    write_csv_rows(release / "imhi/test_data/test_complete/DR.csv", ["post", "response"], [("a", "b")])
    with pytest.raises(UserError, match=r"test_complete/DR.csv: missing column\(s\) 'query', 'gpt-3.5-turbo'"):
        benchmark.stage_benchmark(release, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # atomic: nothing half-staged
    with pytest.raises(UserError, match="`repo_id` must look like ORG/NAME, got 'IMHI'"):
        benchmark.BenchmarkPushConfig(repo_id="IMHI")


def test_cards_pin_the_commit_the_tag_names(release, tiny_adapter_dir, tmp_path, hub_standin, monkeypatch):
    """Pushed, the tag resolves (HfApi.dataset_info(...).sha, here the stand-in's): the model-index and
    .eval_results pin that commit and keep the tag in `notes`; unresolvable, they pin the tag (above)."""
    from huggingface_hub import ModelCard, parse_eval_result_entries

    from phyassist.hub.publish import stage

    _pin(monkeypatch, release)
    assert _push(release, tmp_path / "bench", hub_standin) == 0
    sha = hub_standin.repos["phyassist/IMHI"]["tags"]["v1"]
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    assert benchmark.resolve_revision() == benchmark.Revision("v1", sha) and len(sha) == 40
    assert benchmark.resolve_revision(tag="v9").revision == "v9"  # a tag that names nothing: the tag itself
    base, adapter = imhi_results(("MultiWD",)), imhi_results(("MultiWD",), offset=7.5)
    out = stage(tiny_adapter_dir, base, adapter, tmp_path / "hub", repo_id="someone/phyassist-tiny", dataset="MultiWD")
    entries = parse_eval_result_entries(yaml.safe_load((out / ".eval_results" / "imhi.yaml").read_text()))
    assert {e.dataset_revision for e in entries} == {sha} and all(e.notes.endswith(", IMHI tag v1") for e in entries)
    card = ModelCard.load(out / "README.md")
    assert {r.dataset_revision for r in card.data.eval_results} == {sha}
    assert f"at revision `{sha}` (tag `v1`)" in card.text
