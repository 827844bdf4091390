"""Card metadata against the Hub's rules (phyassist.hub.frontmatter): every Space card the project writes passes,
each planted bad value is one line naming the field, the value and what is allowed, and the Hub stand-in and
``push_folder`` refuse it the way the Hub does (HTTP 400 at push time), before anything is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO

from phyassist.errors import UserError
from phyassist.hub import frontmatter as F
from phyassist.hub.push import push_folder

TOKEN = "hf_" + "Tst0" * 9  # token-shaped, never valid
SPACE_FOLDERS = ("space", "metrics/imhi")  # the demo Space and the metric Space; no code writes another


def _front(path: Path) -> dict:
    meta, error = F.split_front_matter(path.read_text(encoding="utf-8"))
    assert error is None
    return meta


@pytest.mark.parametrize("folder", SPACE_FOLDERS)
def test_every_space_card_the_project_writes_passes(folder):
    root = REPO / folder
    meta = _front(root / "README.md")
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert F.folder_violations(root, "space", [p.name for p in root.iterdir() if p.is_file()]) == []
    assert len(meta.get("short_description", "")) <= F.SHORT_DESCRIPTION_MAX


def test_the_demo_space_card_keeps_its_settings():
    meta = _front(REPO / "space" / "README.md")
    assert meta["suggested_hardware"] == "zero-a10g" and meta["license"] == "mit"
    assert meta["preload_from_hub"] == meta["models"] and len(meta["short_description"]) <= 60


SPACE = {"title": "demo", "emoji": "💬", "colorFrom": "green", "colorTo": "blue", "sdk": "gradio",
         "sdk_version": "6.31.0", "app_file": "app.py", "short_description": "x" * 60}


@pytest.mark.parametrize("field,value,needle", [
    ("short_description", "x" * 61, "is 61 characters; the Hub allows a string of at most 60 characters"),
    ("colorFrom", "orange", "one of red, yellow, green, blue, indigo, purple, pink, gray"),
    ("sdk", "streamlit", "one of gradio, docker, static"),
    ("sdk_version", 5.0, "a version string"),
    ("python_version", 3.1, "'3.x' or '3.x.x' as a string"),
    ("emoji", "AB", "emoji characters only"),
    ("suggested_hardware", "h100", "one of cpu-basic"),
    ("preload_from_hub", ["org/model config.json abc123"], "'org/name file1,file2 <commit sha>'"),
    ("pinned", "yes", "true or false"),
    ("license", "apache2", "a license id of hub-docs"),
    ("models", ["not a hub id"], "a list of Hub ids"),
    ("hf_oauth_expiration_minutes", 50_000, "whole minutes up to 43200"),
    ("custom_headers", {"x-frame-options": "deny"}, "COEP, COOP and CORP"),
    ("colour", "green", "`colour` is not a documented Space setting"),
    ("app_file", "main.py", "`app_file`: 'main.py' is not in the repository"),
])
def test_a_planted_bad_space_value_is_one_line(field, value, needle):
    found = F.space_violations({**SPACE, field: value}, files=["README.md", "app.py"])
    assert len(found) == 1 and "\n" not in found[0], found
    assert found[0].startswith(f"`{field}`") and needle in found[0], found[0]
    if field != "colour":
        assert repr(value)[:20] in found[0]  # the value received


def test_app_port_is_for_docker_only():
    assert F.space_violations({**SPACE, "sdk": "docker", "app_port": 7860}) == []
    assert F.space_violations({**SPACE, "app_port": 7860}) == [
        "`app_port`: 7860 with sdk 'gradio'; the Hub reads it with sdk docker only"]


MODEL = {"license": "apache-2.0", "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "library_name": "peft",
         "datasets": ["phyassist/IMHI"]}


@pytest.mark.parametrize("change,needle", [
    ({"license": "apache2"}, "`license`: 'apache2'; the Hub allows a license id of hub-docs"),
    ({"license": "other"}, "`license`: 'other' without `license_name`"),
    ({"license_name": "x-1.0"}, "`license_name`: 'x-1.0' with license 'apache-2.0'; it goes with `license: other`"),
    ({"base_model_relation": "merge"}, "`base_model_relation`: 'merge' with 1 base model; a merge names two or more"),
    ({"base_model_relation": "lora"}, "`base_model_relation`: 'lora'; the Hub allows one of adapter, merge, quantized, "
                                      "finetune"),
    ({"base_model": "/home/me/base"}, "`base_model`: '/home/me/base'; the Hub allows a Hub id"),
    ({"model-index": [{"name": "m", "results": [{"task": {"type": "text-generation"}, "dataset": {
        "type": "phyassist/IMHI", "name": "IMHI"}, "metrics": [{"type": "f1"}]}]}]},
     "`model-index[0].results[0].metrics[0].value` is missing; it is required"),
])
def test_a_planted_bad_model_card_value_is_one_line(change, needle):
    found = F.model_violations({**MODEL, **change})
    assert len(found) == 1 and "\n" not in found[0] and needle in found[0], found


def test_model_card_merge_of_two_and_other_license_pass():
    two = {**MODEL, "base_model": ["a/b", "c/d"], "base_model_relation": "merge"}
    other = {**MODEL, "license": "other", "license_name": "my-license-1.0", "license_link": "LICENSE"}
    assert F.model_violations(two) == [] and F.model_violations(other) == []
    assert F.model_violations({**MODEL, "base_model_relation": "finetune"}) == []


def test_dataset_card_and_eval_files():
    configs = [{"config_name": "DR", "data_files": [{"split": "test", "path": "data/DR/test.csv"}]}]
    assert F.dataset_violations({"license": "mit", "configs": configs}) == []
    assert F.dataset_violations({"license": "mit", "configs": configs * 2}) == ["`configs`: 'DR' is declared twice"]
    assert F.dataset_violations({"license": "MIT"})[0].startswith("`license`: 'MIT'; the Hub allows")
    spec = {"name": "IMHI", "description": "d", "evaluation_framework": "phyassist", "tasks": [{"id": "DR"}]}
    assert F.eval_yaml_violations(spec) == []
    assert F.eval_yaml_violations({k: v for k, v in spec.items() if k != "evaluation_framework"}) == [
        "`eval.yaml.evaluation_framework` is missing; it is required"]
    assert F.eval_yaml_violations({**spec, "evaluation_framework": "inspect-ai"}) == [
        f"`tasks[0].{k}` is missing; inspect-ai requires it" for k in ("field_spec", "solvers", "scorers")]
    assert F.framework_registered("inspect-ai") and not F.framework_registered("phyassist")
    entry = {"dataset": {"id": "phyassist/IMHI", "task_id": "DR", "revision": "a" * 40}, "value": 41.2, "notes": "x"}
    assert F.eval_results_violations([entry]) == []
    assert F.eval_results_violations([{**entry, "value": "high"}]) == [
        "`[0].value`: 'high'; the Hub expects a int or float"]


def test_folder_check_names_each_file_and_is_one_line(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: apache2\n---\n# x\n")
    (tmp_path / ".eval_results").mkdir()
    (tmp_path / ".eval_results" / "imhi.yaml").write_text("- dataset: {id: a/b}\n  value: 1\n")
    with pytest.raises(UserError) as error:
        F.check_folder(tmp_path, "model")
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{tmp_path}: metadata the Hub would reject: ")
    assert "README.md: `license`: 'apache2'" in message
    assert ".eval_results/imhi.yaml: `[0].dataset.task_id` is missing" in message
    (tmp_path / "README.md").write_text("---\nlicense: [unclosed\n---\n")
    assert F.folder_violations(tmp_path, "model")[0].startswith("README.md: front matter is not valid YAML (")


# ---- the Hub stand-in refuses what the Hub refuses -----------------------------------------------------

PLANTED = [
    ("space", "README.md", "---\n" + yaml.safe_dump({**SPACE, "short_description": "x" * 61}) + "---\n",
     "`short_description`: 'xxxx"),
    ("model", "README.md", "---\nbase_model: a/b\nbase_model_relation: merge\n---\n",
     "`base_model_relation`: 'merge' with 1 base model"),
    ("model", "README.md", "---\nlicense: apache2\n---\n", "`license`: 'apache2'"),
    ("dataset", "eval.yaml", "name: IMHI\ndescription: d\ntasks:\n- id: DR\n",
     "`eval.yaml.evaluation_framework` is missing"),
]


@pytest.mark.parametrize("repo_type,name,text,needle", PLANTED, ids=["short_description", "merge", "license",
                                                                     "framework"])
def test_standin_rejects_a_planted_bad_value_in_one_line(hub_standin, repo_type, name, text, needle):
    """Sent with huggingface_hub alone, as another client would: a README.md is refused by the validate-yaml call
    huggingface_hub makes before committing it (a ValueError listing the Hub's errors), an eval.yaml by the commit
    itself (HTTP 400). Either way the violation is one line and nothing is kept."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(endpoint=hub_standin.url, token=TOKEN)
    api.create_repo("me/x", repo_type=repo_type, **({"space_sdk": "gradio"} if repo_type == "space" else {}))
    with pytest.raises((ValueError, HfHubHTTPError)) as error:
        api.create_commit("me/x", repo_type=repo_type, commit_message="planted",
                          operations=[CommitOperationAdd(name, text.encode())])
    if name == "README.md":
        lines = str(error.value).splitlines()
        assert lines[0] == "Invalid metadata in README.md." and len(lines) == 2, lines
        message = lines[1]
    else:
        assert error.value.response.status_code == 400
        message = error.value.response.json()["error"]
    assert "\n" not in message and f"{name}: {needle}" in message, message
    assert hub_standin.commits == [] and hub_standin.repos["me/x"]["files"] == {}  # nothing kept


def test_standin_takes_the_project_space_cards_and_validates_yaml(hub_standin, monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi, ModelCard

    api = HfApi(endpoint=hub_standin.url, token=TOKEN)
    api.create_repo("me/demo", repo_type="space", space_sdk="gradio")
    api.create_commit("me/demo", repo_type="space", commit_message="ok", operations=[
        CommitOperationAdd("README.md", str(REPO / "space" / "README.md")),
        CommitOperationAdd("app.py", str(REPO / "space" / "app.py"))])
    assert len(hub_standin.commits) == 1
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    with pytest.raises(ValueError, match=r"`license`: 'apache2'"):  # /api/validate-yaml, as ModelCard.validate calls it
        ModelCard("---\nlicense: apache2\n---\n# x\n").validate()
    ModelCard("---\nlicense: mit\n---\n# x\n").validate()


def test_push_folder_refuses_a_bad_card_before_any_request(hub_standin, tmp_path):
    (tmp_path / "README.md").write_text("---\n" + yaml.safe_dump({**SPACE, "short_description": "y" * 65}) + "---\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    with pytest.raises(UserError, match=r"README.md: `short_description`: 'yyyy.*' is 65 characters; the Hub allows"):
        push_folder(tmp_path, "me/demo", repo_type="space", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.requests == []
