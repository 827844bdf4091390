"""Model cards: metadata (Hub id, datasets, license, tags), eval results round-trip (ROUGE-L included), body
sections, both axes in the results and paired tables with a sentence per task and axis, and a description
of what the adapter answers that follows its measured explained rate."""

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


def test_metadata_uses_hub_id_license_and_tags(tiny_adapter_dir, tmp_path, hub_standin, monkeypatch):
    # the base's license comes from its own card (here on the stand-in): no preset declares this base's
    hub_standin.add_repo("phyassist-tests/tiny-llama", {"README.md": b"---\nlicense: llama3.2\n---\n# tiny\n"})
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    card = _card(tiny_adapter_dir)
    card.save(tmp_path / "README.md")
    meta = yaml.safe_load((tmp_path / "README.md").read_text().split("---")[1])
    # the adapter was saved from a local folder; the card records the Hub id from phyassist_base.json
    assert json.loads((tiny_adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"].startswith("/")
    assert meta["base_model"] == "phyassist-tests/tiny-llama"
    assert meta["library_name"] == "peft" and meta["pipeline_tag"] == "text-generation"
    assert {"phyassist", "mental-health", "imhi", "lora"} <= set(meta["tags"])
    assert meta["license"] == "llama3.2" and "License: `llama3.2`, the base model's" in card.text
    assert meta["datasets"] == ["phyassist/IMHI"]  # Hub dataset ids: the benchmark dataset's training splits
    assert str(tiny_adapter_dir) not in (tmp_path / "README.md").read_text()


def test_unknown_base_license_is_left_out_and_said(tiny_adapter_dir, tmp_path):
    """Offline, a base no preset declares has no license to read: none is stated (never a default)."""
    card = _card(tiny_adapter_dir)
    assert card.data.license is None and "license:" not in str(card).split("---")[1]
    assert "The base model's license could not be determined (phyassist-tests/tiny-llama's model card could " \
           "not be read), so this card states none" in card.text
    card.save(tmp_path / "README.md")
    cards.validate_card(tmp_path / "README.md", imhi_results(("MultiWD", "SAD"), offset=7.5, bart=True))


def test_other_license_keeps_its_name_and_link(tiny_adapter_dir, hub_standin, monkeypatch):
    hub_standin.add_repo("phyassist-tests/tiny-llama", {"README.md": b"---\nlicense: other\nlicense_name: tiny-1.0\n"
                                                                      b"license_link: LICENSE\n---\n"})
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    data = _card(tiny_adapter_dir).data
    assert (data.license, data.license_name, data.license_link) == (
        "other", "tiny-1.0", "https://huggingface.co/phyassist-tests/tiny-llama/blob/main/LICENSE")


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
    assert (f1.dataset_type, f1.dataset_config, f1.dataset_revision) == ("phyassist/IMHI", "MultiWD", "v1")
    assert f1.source_url == "https://huggingface.co/spaces/phyassist/imhi" and f1.source_name
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
    # base 41.2 (41.25 rounds half-even in format) vs adapter 48.8 on MultiWD; no explanation scores: n/a
    assert ("| MultiWD | 8 | 41.2 | 48.8 | n/a | n/a | n/a | n/a | 50.0 | 57.5 | 1 / 1 | "
            "learned (MultiWD v2 sha256:0123456789ab) | n/a | -3.512 |") in text
    assert "how often its answers carry a finished explanation was not measured" in text
    assert "scored against the release's gold explanations (test_instruction)" in text
    for needle in ("PeftModel.from_pretrained(base, \"someone/phyassist-tiny\")", "load_in_4bit=True",
                   "| train | 9 |", "empty query: 1", "no train.csv in this copy", "| learning_rate | 0.0002 |",
                   "| train_loss | 3.05 |", "| label_loss_weight | 5.0 |",
                   "| reasoning_max_sentences | 2 |", "f1_chart.png", "peft: 0.21.2", "Not for clinical use", "988",
                   "MentaLLaMA", "Counsel Chat", "QLoRA: Efficient Finetuning"):
        assert needle in text, needle
    assert "output_dir" not in text  # local paths stay out of the hyperparameter table
    assert "answer_max_words" not in text  # unset: no row


def test_qlora_tag_and_no_results(tmp_path, tiny_llama_dir):
    folder = write_adapter_folder(tiny_llama_dir, tmp_path / "q", quantization="qlora")
    card = cards.build_card(folder, {"tasks": {}}, {"tasks": {}}, repo_id="a/b", dataset="MultiWD")
    assert "qlora" in card.data.tags and card.data.eval_results is None


def test_eval_results_file_format():
    from huggingface_hub import parse_eval_result_entries

    results = imhi_results(("MultiWD",), bart=True)
    raw = yaml.safe_load(cards.eval_results_yaml(results, "2026-11-29T00:00:00Z"))
    assert raw[0]["dataset"] == {"id": "phyassist/IMHI", "task_id": "MultiWD", "revision": "v1"}
    assert raw[0]["source"]["url"] == "https://huggingface.co/spaces/phyassist/imhi"
    entries = parse_eval_result_entries(raw)
    # tasks of the benchmark's eval.yaml; BARTScore stays in the model-index (no leaderboard task)
    assert {(e.task_id, e.value) for e in entries} == {("MultiWD", 41.25), ("MultiWD_accuracy", 50.0)}
    assert all(e.dataset_id == "phyassist/IMHI" and e.dataset_revision == "v1" and e.date == "2026-11-29T00:00:00Z"
               for e in entries)


def test_complete_variant_and_splits_outside_the_release():
    results = imhi_results(("DR", "swmh"))
    results["variant"] = "complete"
    assert {r.dataset_split for r in cards.eval_results(results)} == {"test_complete"}
    # swmh has no completion test set in the release: no leaderboard entry for a task that does not exist
    assert [e.task_id for e in cards.eval_result_entries(results)] == ["DR_complete", "DR_complete_accuracy"]


def test_datasets_are_the_training_data_by_hub_id(tiny_adapter_dir):
    card = cards.build_card(tiny_adapter_dir, {"tasks": {}}, imhi_results(), repo_id="a/b", dataset="all")
    assert card.data.datasets == ["phyassist/IMHI", "nbertagnolli/counsel-chat"]  # `all` includes counsel-chat
    assert "Trained on [phyassist/IMHI](https://huggingface.co/datasets/phyassist/IMHI) (its `train` and " \
           "`validation` splits) and [nbertagnolli/counsel-chat]" in card.text
    # never the test sets a model is only scored on: a counsel-chat adapter trained on no IMHI row
    assert cards.hub_datasets("counsel-chat") == ["nbertagnolli/counsel-chat"]
    assert cards.hub_datasets("SAD") == cards.hub_datasets("final") == ["phyassist/IMHI"]
    assert "[phyassist/IMHI](https://huggingface.co/datasets/phyassist/IMHI) at revision `v1`" in str(card)


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
    entries = cards.eval_result_entries(adapter)
    assert [e.task_id for e in entries] == ["MultiWD_expert", "MultiWD_expert_accuracy"]
    notes = [e.notes for e in entries]
    assert all("split test_expert" in n and "labels: learned (MultiWD v2 sha256:0123456789ab)" in n for n in notes)


def _with_rows(results: dict, golds: list, preds: list) -> dict:
    from phyassist.evaluation.bootstrap import intervals

    for task in results["tasks"].values():
        task["n"] = len(golds)
        task["rows"] = {"index": list(range(len(golds))), "gold": golds, "pred": preds, "queries_sha256": "q"}
        task["ci"] = intervals(golds, preds, task["labels"])
    return results


def test_card_shows_intervals_and_the_paired_verdict(tiny_adapter_dir):
    golds = ["yes", "no"] * 60
    base = _with_rows(imhi_results(("MultiWD", "SAD")), golds, ["no"] * 120)
    adapter = _with_rows(imhi_results(("MultiWD", "SAD"), offset=7.5), golds, golds[:100] + ["no"] * 20)
    adapter["tasks"]["SAD"]["rows"]["pred"] = ["no"] * 120  # the same answers as the base on SAD
    text = str(_card(tiny_adapter_dir, base, adapter))
    ci = base["tasks"]["MultiWD"]["ci"]["weighted_f1"]
    assert f"| MultiWD | 120 | 41.2 [{ci['low']:.1f}, {ci['high']:.1f}] | 48.8 [" in text
    assert "95% bootstrap intervals in brackets (percentile bootstrap over rows, 1000 resamples, seed 0)" in text
    assert "| MultiWD | weighted F1 | +" in text and "| better |" in text
    assert "| SAD | accuracy | +0.0 | [+0.0, +0.0] | no significant difference |" in text
    assert "**MultiWD**, weighted F1: the adapter is **better** than the base (+" in text
    assert "**SAD**, accuracy: **no significant difference** between the adapter and the base (+0.0 points, " \
           "95% interval +0.0 to +0.0, 120 paired rows)." in text
    adapter["tasks"]["MultiWD"]["rows"]["index"] = list(range(1, 121))
    with pytest.raises(UserError, match="MultiWD: base and adapter scored different test rows"):
        _card(tiny_adapter_dir, base, adapter)


def _with_explanations(results: dict, rouge: list, explained: list) -> dict:
    """Per-row ROUGE-L and explained flags on every task, with their means and intervals, as eval writes them."""
    from phyassist.evaluation.bootstrap import mean_intervals

    for task in results["tasks"].values():
        task["rows"].update(rouge_l=rouge, explained=explained)
        kept = [v for v in rouge if v is not None]
        task["rouge_l"], task["explained_rate"] = sum(kept) / len(kept), 100 * sum(explained) / len(explained)
        task["ci"].update(mean_intervals({"rouge_l": rouge, "explained_rate": [100.0 * e for e in explained]}))
    return results


def test_card_shows_both_axes_and_says_per_task_how_the_adapter_compares(tiny_adapter_dir, tmp_path):
    golds = ["yes", "no"] * 60
    rouge = [None if i % 12 == 0 else 10.0 + i % 7 for i in range(120)]  # 10 golds without explanation
    base = _with_explanations(_with_rows(imhi_results(("MultiWD", "SAD")), golds, ["no"] * 120), rouge, [False] * 120)
    adapter = _with_explanations(_with_rows(imhi_results(("MultiWD", "SAD"), offset=7.5), golds, golds[:100] + ["no"] * 20),
                                 [None if v is None else v + 8 for v in rouge], [i % 20 != 0 for i in range(120)])
    sad = adapter["tasks"]["SAD"]  # on SAD the adapter explains as the base does: no difference
    sad["rows"].update(rouge_l=rouge, explained=[False] * 120)
    sad["rouge_l"], sad["explained_rate"] = base["tasks"]["SAD"]["rouge_l"], 0.0
    sad["ci"].update(base["tasks"]["SAD"]["ci"])
    card = _card(tiny_adapter_dir, base, adapter)
    text = str(card)
    a, b = adapter["tasks"]["MultiWD"], base["tasks"]["MultiWD"]
    ci = {k: r["ci"][k] for r, k in ((a, "rouge_l"), (a, "explained_rate"))}
    assert (f"| MultiWD | 120 | 41.2 [{b['ci']['weighted_f1']['low']:.1f}, {b['ci']['weighted_f1']['high']:.1f}] | 48.8 ["
            in text)
    assert (f"| {b['rouge_l']:.1f} [{b['ci']['rouge_l']['low']:.1f}, {b['ci']['rouge_l']['high']:.1f}] | {a['rouge_l']:.1f} "
            f"[{ci['rouge_l']['low']:.1f}, {ci['rouge_l']['high']:.1f}] | 0.0 [0.0, 0.0] | {a['explained_rate']:.1f} "
            f"[{ci['explained_rate']['low']:.1f}, {ci['explained_rate']['high']:.1f}] |") in text
    # the paired table has a row per axis, and a sentence per task and axis says it in words
    assert "| MultiWD | ROUGE-L | +8.0 | [+8.0, +8.0] | better |" in text
    assert "| MultiWD | explained rate | +95.0 | [" in text
    assert ("**MultiWD**, ROUGE-L: the adapter is **better** than the base (+8.0 points, 95% interval +8.0 to +8.0, "
            "110 paired rows).") in text
    assert "**MultiWD**, explained rate: the adapter is **better** than the base (+95.0 points" in text
    assert ("**SAD**, ROUGE-L: **no significant difference** between the adapter and the base (+0.0 points, 95% "
            "interval +0.0 to +0.0, 110 paired rows).") in text
    # the description follows the lowest measured explained rate (SAD: 0%)
    assert "the model mostly answers with the label sentence" in text and "MultiWD 95.0%, SAD 0.0%." in text
    # the model-index carries ROUGE-L, and the card validates
    card.save(tmp_path / "README.md")
    got = cards.scores_from_eval_results(cards.validate_card(tmp_path / "README.md", adapter).data.eval_results)
    assert got["MultiWD"]["rouge_l"] == a["rouge_l"] and got["SAD"]["rouge_l"] == sad["rouge_l"]
    rouge_entry = next(r for r in card.data.eval_results if r.metric_type == "rouge")
    assert rouge_entry.metric_name == "ROUGE-L" and rouge_entry.metric_args == {"rouge_type": "rougeL", "use_stemmer": True}


@pytest.mark.parametrize("rates, words", [
    ({"MultiWD": 97.5, "SAD": 95.0}, "the model answers with a label and a finished reasoning, in the style of the IMHI "
                                     "benchmark (MentalLLaMA): on every task measured, at least 95% of its answers give "
                                     "a label sentence, then a reasoning of 15 or more words that ends a sentence "
                                     "(MultiWD 97.5%, SAD 95.0%)."),
    ({"MultiWD": 97.5, "SAD": 80.0}, "answers with a label and, in most answers, a finished reasoning, in the style "
                                     "of the IMHI benchmark (MentalLLaMA). Share of its answers that give a label "
                                     "sentence, then a reasoning of 15 or more words that ends a sentence: MultiWD "
                                     "97.5%, SAD 80.0%; the others stop early or give no reasoning."),
    ({"MultiWD": 3.0}, "the model mostly answers with the label sentence, in the style of the IMHI benchmark "
                       "(MentalLLaMA); its reasoning is often missing or cut off. Share of its answers that give a "
                       "label sentence, then a reasoning of 15 or more words that ends a sentence: MultiWD 3.0%."),
])
def test_description_follows_the_explained_rate(tiny_adapter_dir, rates, words):
    adapter = imhi_results(tuple(rates), offset=7.5)
    for task, rate in rates.items():
        adapter["tasks"][task]["explained_rate"] = rate
    text = " ".join(str(_card(tiny_adapter_dir, imhi_results(tuple(rates)), adapter)).split())
    assert words in text
    assert "answers with a label and an explanation" not in text  # the old promise, whatever was measured


def test_card_without_per_row_labels_has_no_verdict(tiny_adapter_dir):
    text = str(_card(tiny_adapter_dir))
    assert "Adapter against base" not in text and "bootstrap intervals" not in text


def test_card_shows_the_test_overlap_of_the_data_report(tiny_adapter_dir, tmp_path):
    """A data report written by `data prepare` (decontaminated against the IMHI test sets) reaches the card."""
    import shutil

    from conftest import FIXTURES

    from phyassist.data.prepare import prepare_dataset

    assert "Decontamination" not in str(_card(tiny_adapter_dir))  # a report from before the check: nothing claimed
    folder = shutil.copytree(tiny_adapter_dir, tmp_path / "adapter")
    report = prepare_dataset("dreaddit", root=FIXTURES / "imhi_overlap")[1]
    (folder / "data_report.json").write_text(json.dumps(report))
    text = str(_card(folder, dataset="dreaddit"))
    assert "Rows dropped while cleaning:\n\n- test_overlap: 3\n" in text
    assert ("**Decontamination:** 3 rows (train: dreaddit 2; validation: dreaddit 1) were dropped as `test_overlap` "
            "because their post also appears in a test set (5 posts in 4 IMHI test files, every task, both prompt "
            "variants and the expert set; posts compared after mojibake repair, Unicode NFKC normalisation, case "
            "folding and white-space collapsing), so the adapter was neither trained nor selected on a post it is "
            "scored on.") in text
    off = {"test_overlap": {"checked": False}}
    assert cards.decontamination_note(off).startswith("**Decontamination:** not done")
    clean = {"test_overlap": {"checked": True, "test_posts": 9, "test_files": ["a.csv"],
                              "dropped": {"train": {"SAD": 0}}}}
    assert cards.decontamination_note(clean).startswith("**Decontamination:** no training or validation post appears")
