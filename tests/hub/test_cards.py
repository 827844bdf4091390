"""Model cards: metadata (Hub id, datasets, license, tags), eval results round-trip, body sections."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import imhi_results, write_adapter_folder

from phyassist.errors import UserError
from phyassist.hub import cards


def _card(adapter_dir, base=None, adapter=None, **kw):
    base = base or imhi_results(("MultiWD", "SAD"))
    adapter = adapter or imhi_results(("MultiWD", "SAD"), offset=7.5, bart=True)
    return cards.build_card(adapter_dir, base, adapter, repo_id=kw.pop("repo_id", "someone/phyassist-tiny"),
                            dataset=kw.pop("dataset", "final"), **kw)


def test_metadata_uses_hub_id_license_and_tags(tiny_adapter_dir, tmp_path):
    card = _card(tiny_adapter_dir)
    card.save(tmp_path / "README.md")
    meta = yaml.safe_load((tmp_path / "README.md").read_text().split("---")[1])
    # the adapter was saved from a local folder; the card records the Hub id from phyassist_base.json
    assert json.loads((tiny_adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"].startswith("/")
    assert meta["base_model"] == "phyassist-tests/tiny-llama"
    assert meta["library_name"] == "peft" and meta["pipeline_tag"] == "text-generation"
    assert {"phyassist", "mental-health", "imhi", "lora"} <= set(meta["tags"])
    assert meta["license"] == "apache-2.0"
    assert meta["datasets"] == ["imhi"]
    assert str(tiny_adapter_dir) not in (tmp_path / "README.md").read_text()


def test_eval_results_round_trip(tiny_adapter_dir, tmp_path):
    from huggingface_hub import ModelCard

    adapter = imhi_results(("MultiWD", "SAD"), offset=7.5, bart=True)
    _card(tiny_adapter_dir, adapter=adapter).save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    got = cards.scores_from_eval_results(loaded.data.eval_results)
    assert got == {t: {"weighted_f1": s["weighted_f1"], "accuracy": s["accuracy"], "bart_score": s["bart_score"]}
                   for t, s in adapter["tasks"].items()}
    f1 = next(r for r in loaded.data.eval_results if r.metric_type == "f1")
    assert f1.metric_args == {"average": "weighted"} and f1.dataset_split == "test"
    cards.validate_card(tmp_path / "README.md", adapter)


def test_validate_card_catches_drifted_scores(tiny_adapter_dir, tmp_path):
    adapter = imhi_results(("MultiWD",), offset=7.5)
    _card(tiny_adapter_dir, adapter=adapter).save(tmp_path / "README.md")
    adapter["tasks"]["MultiWD"]["weighted_f1"] += 1
    with pytest.raises(UserError, match="model-index results .* differ"):
        cards.validate_card(tmp_path / "README.md", adapter)


def test_validate_card_rejects_local_base_path(tmp_path):
    (tmp_path / "README.md").write_text(f"---\nbase_model: {tmp_path}\nlibrary_name: peft\ndatasets: [imhi]\n---\nx\n")
    with pytest.raises(UserError, match="`base_model` must be a Hub id"):
        cards.validate_card(tmp_path / "README.md", {"tasks": {}})


def test_body_has_results_table_and_sections(tiny_adapter_dir):
    text = str(_card(tiny_adapter_dir))
    # base 41.2 (41.25 rounds half-even in format) vs adapter 48.8 on MultiWD
    assert "| MultiWD | 8 | 41.2 | 48.8 | 50.0 | 57.5 | 1 / 1 | learned (MultiWD v2 sha256:0123456789ab) | -3.512 |" in text
    assert "scored against the release's gold explanations (test_instruction)" in text
    for needle in ("PeftModel.from_pretrained(base, \"someone/phyassist-tiny\")", "load_in_4bit=True",
                   "| train | 9 |", "empty query: 1", "no train.csv in this copy", "| learning_rate | 0.0002 |",
                   "| train_loss | 3.05 |", "f1_chart.png", "peft: 0.21.2", "Not for clinical use", "988",
                   "MentaLLaMA", "Counsel Chat", "QLoRA: Efficient Finetuning"):
        assert needle in text, needle
    assert "output_dir" not in text  # local paths stay out of the hyperparameter table


def test_qlora_tag_and_no_results(tmp_path, tiny_llama_dir):
    folder = write_adapter_folder(tiny_llama_dir, tmp_path / "q", quantization="qlora")
    card = cards.build_card(folder, {"tasks": {}}, {"tasks": {}}, repo_id="a/b", dataset="MultiWD")
    assert "qlora" in card.data.tags and card.data.eval_results is None


def test_eval_results_file_format():
    from huggingface_hub import parse_eval_result_entries

    results = imhi_results(("MultiWD",), bart=True)
    entries = parse_eval_result_entries(yaml.safe_load(cards.eval_results_yaml(results, "2026-11-29T00:00:00Z")))
    assert {(e.task_id, e.value) for e in entries} == {
        ("MultiWD/weighted_f1", 41.25), ("MultiWD/accuracy", 50.0), ("MultiWD/bart_score", -3.512)}
    assert all(e.dataset_id == "imhi" and e.date == "2026-11-29T00:00:00Z" for e in entries)


def test_missing_adapter_config_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no adapter_config.json"):
        cards.build_card(tmp_path, {}, {}, repo_id="a/b", dataset="MultiWD")


def test_expert_test_set_is_named_in_body_and_metadata(tiny_adapter_dir):
    from conftest import imhi_results

    base, adapter = imhi_results(), imhi_results(offset=7.5)
    base["test_set"] = adapter["test_set"] = "expert"
    card = cards.build_card(tiny_adapter_dir, base, adapter, repo_id="someone/phyassist-tiny", dataset="MultiWD")
    assert "scored against expert-written gold explanations (test_instruction_expert)" in str(card)
    results = card.data.eval_results
    assert results and {r.dataset_split for r in results} == {"test_expert"}
    assert {r.dataset_name for r in results} == {"IMHI MultiWD (expert explanations)"}
    notes = [e.notes for e in cards.eval_result_entries(adapter)]
    assert all("split test_expert" in n and "labels: learned (MultiWD v2 sha256:0123456789ab)" in n for n in notes)
