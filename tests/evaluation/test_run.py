"""``phyassist eval`` end to end: a tiny base + LoRA adapter made with peft, outputs on disk (both axes:
labels and explanations, per row), resuming, the paired table against a base run, BARTScore from a tiny
BART folder or a one-line note without one, adapter base resolution, bad input; and one slow run on the
embedded SmolLM2."""

from __future__ import annotations

import csv
import json

import pytest

from phyassist.errors import UserError
from tiny_adapters import save_lora_adapter

from phyassist.evaluation.bootstrap import compare_runs
from phyassist.evaluation.explanation import explanation_scores
from phyassist.evaluation.run import EvalConfig, adapter_base, run_eval, task_names


@pytest.fixture(scope="module")
def tiny_adapter(tiny_llama_dir, tmp_path_factory):
    return _save_lora(tiny_llama_dir, tmp_path_factory.mktemp("adapter"), seed=0)


def test_run_eval_with_adapter_writes_everything(tiny_adapter, tiny_llama_dir, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    assert adapter_base(str(tiny_adapter)) == str(tiny_llama_dir)
    out = tmp_path / "adapter"
    cfg = EvalConfig(adapter=str(tiny_adapter), datasets=["MultiWD", "SAD"], limit=5, out_dir=str(out),
                     max_new_tokens=6, batch_size=2)
    res = run_eval(cfg)
    assert res["model"] == {"base_model": "phyassist-tests/tiny-llama", "adapter": str(tiny_adapter)}
    assert json.loads((out / "results.json").read_text())["tasks"] == res["tasks"]
    for task in ("MultiWD", "SAD"):
        r = res["tasks"][task]
        assert r["n"] == 5 and 0 <= r["weighted_f1"] <= 100 and len(r["confusion_matrix"]) == len(r["labels"])
        rows = list(csv.DictReader(open(out / f"{task}.csv", encoding="utf-8")))
        assert len(rows) == 5 and {"goldens", "generated_text", "gold_label", "pred_label"} <= set(rows[0])
        assert sum(row["pred_label"] == "unparsed" for row in rows) == r["unparsed"]
        assert all(row["goldens"].startswith(("Yes", "No", "This post")) for row in rows)
        # the explanation axis, from the answers and golds in the CSV, row for row
        want = explanation_scores([row["generated_text"] for row in rows], [row["goldens"] for row in rows],
                                  [row["pred_label"] != "unparsed" for row in rows])
        assert r["rows"]["rouge_l"] == want["rows"]["rouge_l"] and r["rows"]["explained"] == want["rows"]["explained"]
        assert (r["rouge_l"], r["explained_rate"], r["explanation_counts"]) == (
            want["rouge_l"], want["explained_rate"], want["explanation_counts"])
        assert [row["rouge_l"] for row in rows] == [str(round(v, 2)) for v in want["rows"]["rouge_l"]]
        assert [row["explained"] for row in rows] == [str(e) for e in want["rows"]["explained"]]
        assert r["explanation_counts"]["scored"] == 5 and "rouge_l_note" not in r
        assert r["ci"]["rouge_l"]["low"] <= r["rouge_l"] <= r["ci"]["rouge_l"]["high"]
        assert set(r["ci"]) >= {"weighted_f1", "accuracy", "rouge_l", "explained_rate"}
    assert set(res["average"]) == {"weighted_f1", "accuracy", "rouge_l", "explained_rate"}
    assert res["average"]["rouge_l"] == pytest.approx((res["tasks"]["MultiWD"]["rouge_l"] + res["tasks"]["SAD"]["rouge_l"]) / 2)
    assert res["test_set"] == "instruction"
    for task in ("MultiWD", "SAD"):
        assert res["tasks"][task]["label_method"] == "learned"
        assert res["tasks"][task]["label_classifier"].startswith(f"{task} v2 sha256:")
    assert "| MultiWD | 5 |" in (out / "results.md").read_text()
    assert (out / "f1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a base run beside it: the adapter's rerun (resumed from the cache) plots both, base first
    from phyassist.evaluation import report

    plotted = []
    monkeypatch.setattr(report, "plot_f1", lambda runs, path: plotted.append([r["model"]["adapter"] for r in runs]))
    base = run_eval(EvalConfig(adapter="none", base_model=str(tiny_llama_dir), datasets=["MultiWD"], limit=5,
                               out_dir=str(tmp_path / "base"), max_new_tokens=6))
    assert base["model"]["adapter"] is None
    cached = {task: (out / f"{task}.generations.jsonl").read_text() for task in ("MultiWD", "SAD")}
    again = run_eval(cfg)
    assert again["tasks"] == res["tasks"]
    assert {task: (out / f"{task}.generations.jsonl").read_text() for task in ("MultiWD", "SAD")} == cached
    assert plotted == [[None], [None, str(tiny_adapter)]]
    # the base run beside it: results.md gets the paired table, a row per axis
    md = (out / "results.md").read_text()
    d = compare_runs(base, again)["MultiWD"]
    assert "## Adapter against base" in md and "SAD" not in md.split("## Adapter against base")[1].split("## ")[0]
    for key, name in (("weighted_f1", "weighted F1"), ("rouge_l", "ROUGE-L"), ("explained_rate", "explained rate")):
        digits = 1 if key == "explained_rate" else 2
        assert (f"| MultiWD | {name} | {d[key]['difference']:+.{digits}f} | [{d[key]['low']:+.{digits}f}, "
                f"{d[key]['high']:+.{digits}f}] | {d[key]['verdict']} |") in md


def _save_lora(base_dir, folder, seed, scale=1.0):
    """A random (non-zero B) adapter whose B is multiplied by ``scale``."""
    import torch

    def scale_b(model):
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.mul_(scale)

    return save_lora_adapter(base_dir, folder, seed=seed, r=4, alpha=8, random_init=True, edit=scale_b)


def test_limit_is_a_stratified_sample_with_intervals_and_rows(tiny_adapter, data_dir, monkeypatch, tmp_path):
    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.bootstrap import stratified_sample

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    out = tmp_path / "adapter"
    res = run_eval(EvalConfig(adapter=str(tiny_adapter), datasets=["MultiWD"], limit=6, out_dir=str(out),
                              max_new_tokens=2, bootstrap_resamples=200, sample_seed=3))
    task = res["tasks"]["MultiWD"]
    everything = load_imhi("MultiWD", "test")
    index = stratified_sample([r["label"] for r in everything], 6, 3)
    assert index != list(range(6)) and task["rows"]["index"] == index
    assert task["rows"]["gold"] == [everything[i]["label"] for i in index]
    assert len(task["rows"]["pred"]) == 6 and len(task["rows"]["queries_sha256"]) == 64
    assert task["ci"]["resamples"] == 200 and task["ci"]["level"] == 0.95 and task["ci"]["seed"] == 0
    assert task["ci"]["weighted_f1"]["low"] <= task["weighted_f1"] <= task["ci"]["weighted_f1"]["high"]
    assert res["sample"] == {"method": "label-stratified", "seed": 3}
    assert json.loads((out / "results.json").read_text())["tasks"]["MultiWD"]["rows"] == task["rows"]
    md = (out / "results.md").read_text()
    assert "sample: 6 rows per task, label-stratified (seed 3)." in md
    ci = task["ci"]["weighted_f1"]
    assert f"| MultiWD | 6 | {task['weighted_f1']:.2f} | [{ci['low']:.2f}, {ci['high']:.2f}] |" in md
    rouge, expl = task["ci"]["rouge_l"], task["ci"]["explained_rate"]
    assert (f"| {task['rouge_l']:.2f} | [{rouge['low']:.2f}, {rouge['high']:.2f}] | {task['explained_rate']:.1f} | "
            f"[{expl['low']:.1f}, {expl['high']:.1f}] |") in md
    assert "Intervals: 95% percentile bootstrap over rows, 200 resamples, seed 0." in md
    assert len(task["rows"]["rouge_l"]) == len(task["rows"]["explained"]) == 6


@pytest.fixture(scope="module")
def tiny_bart_dir(tmp_path_factory, smol_tokenizer):
    """A random 1-layer BART with the SmolLM2 tokenizer, saved as a folder (BARTScore's weights, offline)."""
    import copy

    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tok = copy.deepcopy(smol_tokenizer)
    config = BartConfig(vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=1024,
                        pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.eos_token_id)
    folder = tmp_path_factory.mktemp("tiny-bart")
    BartForConditionalGeneration(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_bart_score_with_its_interval_or_a_note(tiny_adapter, tiny_bart_dir, data_dir, monkeypatch, tmp_path, caplog):
    import math

    from phyassist.evaluation.bartscore import BARTScorer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    out = tmp_path / "adapter"
    flags = {"adapter": str(tiny_adapter), "datasets": ["DR"], "test_set": "expert", "limit": 4, "out_dir": str(out),
             "max_new_tokens": 4, "bootstrap_resamples": 50}
    res = run_eval(EvalConfig(bart_score=True, bart_checkpoint=str(tiny_bart_dir), **flags))
    task = res["tasks"]["DR"]
    rows = list(csv.DictReader(open(out / "DR.csv", encoding="utf-8")))
    want = BARTScorer(str(tiny_bart_dir), device="cpu").score([r["generated_text"] for r in rows],
                                                              [r["goldens"] for r in rows])
    assert not any(math.isnan(s) for s in want)
    assert task["rows"]["bart_score"] == pytest.approx(want, abs=1e-4)
    assert task["bart_score"] == pytest.approx(sum(want) / 4, abs=1e-4) and res["average"]["bart_score"] < 0
    assert task["ci"]["bart_score"]["low"] <= task["bart_score"] <= task["ci"]["bart_score"]["high"]
    assert "bart_score_note" not in res and "| BARTScore | 95% CI |" in (out / "results.md").read_text()
    # weights that cannot be loaded: one line in the log and in results.json, and the run goes on without it
    missing = tmp_path / "no-such-bart"
    caplog.clear()
    res = run_eval(EvalConfig(bart_score=True, bart_checkpoint=str(missing), **flags))
    note = f"BARTScore not computed: cannot load BARTScore model {str(missing)!r}: no such folder"
    assert res["bart_score_note"] == note and "bart_score" not in res["tasks"]["DR"] and "bart_score" not in res["average"]
    assert json.loads((out / "results.json").read_text())["bart_score_note"] == note
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"].count(note) == 1
    assert f"- {note}." in (out / "results.md").read_text()
    assert res["tasks"]["DR"]["weighted_f1"] == task["weighted_f1"] and res["tasks"]["DR"]["rouge_l"] == task["rouge_l"]


def test_evaluate_task_scores_hand_written_answers_on_both_axes():
    """``evaluate_task`` on answers written here: a finished one, a cut one ("Reasoning: The"), an empty one,
    one without a label sentence; one gold without an explanation is left out of ROUGE-L and counted."""
    from phyassist.evaluation.labels import make_labeler
    from phyassist.evaluation.run import evaluate_task

    gold = ("No, the poster does not suffer from depression. Reasoning: The poster asks whether a genealogy website "
            "is safe to use and shares no feelings of sadness, hopelessness or loss of interest.")
    answers = ["No, the poster does not suffer from depression. Reasoning: The poster only asks whether a website is "
               "safe to use and mentions no sadness, hopelessness or loss of interest in anything.",
               "No, the poster does not suffer from depression. Reasoning: The", "",
               "The post is about a website. The poster asks whether a genealogy website is safe to use and shares "
               "no feelings of sadness, hopelessness or loss of interest.", "Yes, the poster suffers from depression."]
    rows = [{"query": f"Consider this post: \"post {i}\" Question: Does the poster suffer from depression?",
             "response": gold if i < 4 else "yes", "label": None} for i in range(5)]
    res, table = evaluate_task("DR", rows, answers, EvalConfig(datasets=["DR"], bootstrap_resamples=100),
                               labeler=make_labeler("DR", "strict"))
    assert res["rows"]["explained"] == [True, False, False, False, False] and res["explained_rate"] == 20.0
    rouge = res["rows"]["rouge_l"]
    assert rouge[2] == 0.0 and rouge[4] is None and rouge[3] > rouge[1] > 0  # row 3's reasoning is the gold's
    assert res["rouge_l"] == pytest.approx(sum(rouge[:4]) / 4)
    counts = res["explanation_counts"]
    assert (counts["gold_without_explanation"], counts["empty_answer"], counts["no_reasoning_marker"]) == (1, 1, 2)
    assert counts["not_explained"] == {"empty_answer": 1, "no_label_sentence": 1, "short_reasoning": 2}
    assert [row["explained"] for row in table] == res["rows"]["explained"]
    assert [row["rouge_l"] for row in table] == [round(v, 2) for v in rouge[:4]] + [""]
    assert set(res["ci"]) >= {"rouge_l", "explained_rate"}
    from phyassist.evaluation.report import summary_line

    line, ci = summary_line("DR", res), res["ci"]["explained_rate"]
    assert f"ROUGE-L {res['rouge_l']:.2f} [{res['ci']['rouge_l']['low']:.2f}, " in line
    assert f"explained 20.0% [{ci['low']:.1f}, {ci['high']:.1f}]; 1 gold answers without an explanation" in line


def test_bartscore_flag_is_an_alias():
    from phyassist.config import parse_config

    cfg, _ = parse_config(EvalConfig, ["--bartscore", "--bart-checkpoint", "some/bart"], prog="e")
    assert cfg.bart_score is True and cfg.bart_checkpoint == "some/bart"
    assert parse_config(EvalConfig, [], prog="e")[0].bart_score is False


def test_retrained_adapter_in_the_same_folder_generates_again(tiny_llama_dir, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    adapter, out = tmp_path / "adapter", tmp_path / "eval"
    cfg = EvalConfig(adapter=str(_save_lora(tiny_llama_dir, adapter, seed=1, scale=20)), datasets=["MultiWD"], limit=3,
                     out_dir=str(out), max_new_tokens=5, bootstrap_resamples=10)
    cache = out / "MultiWD.generations.jsonl"

    def answers():
        return [row["generated_text"] for row in csv.DictReader(open(out / "MultiWD.csv", encoding="utf-8"))]

    run_eval(cfg)
    first = answers()
    assert len(cache.read_text().splitlines()) == 3
    _save_lora(tiny_llama_dir, adapter, seed=1, scale=20)  # the same weights saved again: reused
    run_eval(cfg)
    assert len(cache.read_text().splitlines()) == 3 and answers() == first
    _save_lora(tiny_llama_dir, adapter, seed=2, scale=20)  # retrained into the same folder: generated again
    run_eval(cfg)
    assert len(cache.read_text().splitlines()) == 6 and answers() != first


def test_eval_help_names_the_sample_and_bootstrap_flags(capsys):
    from phyassist.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and "stratified by gold label (not the first N)" in " ".join(out.split())
    assert "--sample_seed" in out and "--bootstrap_resamples" in out and "--bootstrap_seed" in out


def test_preset_hub_id_resolves_to_the_embedded_base(tmp_path):
    from phyassist.models import resolve_base

    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct"}))
    assert resolve_base(adapter_base(str(tmp_path))).embedded


def test_bad_input(tmp_path, monkeypatch):
    with pytest.raises(UserError, match="unknown IMHI task 'nope'"):
        task_names(["MultiWD", "nope"])
    assert task_names(["all"])[:2] == ["DR", "dreaddit"]
    with pytest.raises(UserError, match="no adapter_config.json"):
        adapter_base(str(tmp_path))
    with pytest.raises(UserError, match="`limit` must be positive, got 0"):
        EvalConfig(limit=0)
    with pytest.raises(UserError, match="`bootstrap_resamples` must be positive, got 0"):
        EvalConfig(bootstrap_resamples=0)
    with pytest.raises(UserError, match="`variant` must be one of"):
        EvalConfig(variant="chat")
    with pytest.raises(UserError, match="`test_set` must be one of instruction, expert, got 'gold'"):
        EvalConfig(test_set="gold")
    with pytest.raises(UserError, match="`test_set` expert has instruction-variant files only; got `variant` 'complete'"):
        EvalConfig(test_set="expert", variant="complete")
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match=r"IMHI MultiWD test file not found: tried .*test_instruction/MultiWD.csv"):
        run_eval(EvalConfig(adapter=None, datasets=["MultiWD"], out_dir=str(tmp_path / "out")))


def test_limit_larger_than_the_test_set_is_an_error(data_dir, monkeypatch, tmp_path):
    from phyassist.evaluation.run import sample

    assert [r["index"] for r in sample([{"label": "yes"}] * 3, 3)] == [0, 1, 2]  # all rows: fine
    with pytest.raises(UserError, match=r"^`limit` 4 is larger than the test set \(3 rows\); expected at most that, "
                                        r"or no --limit for every row$"):
        sample([{"label": "yes"}] * 3, 4)
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    with pytest.raises(UserError, match=r"^`limit` 36 is larger than the DR test set \(35 rows\)"):
        run_eval(EvalConfig(datasets=["DR"], test_set="expert", limit=36, out_dir=str(tmp_path / "out")))
    assert not (tmp_path / "out").exists()  # before any model work


@pytest.mark.slow
def test_cli_eval_on_the_embedded_base(data_dir, monkeypatch, tmp_path, capsys):
    from phyassist.cli import main

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    out = tmp_path / "base"
    assert main(["eval", "--adapter", "none", "--dataset", "MultiWD", "--limit", "8", "--max-new-tokens", "32",
                 "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["model"] == {"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "adapter": None}
    assert res["tasks"]["MultiWD"]["n"] == 8
    assert "| MultiWD | 8 |" in capsys.readouterr().out
    # the expert-written explanations: 35 rows per task, named in results.json and results.md; strict labels
    expert = tmp_path / "expert"
    assert main(["eval", "--adapter", "none", "--dataset", "DR", "--test-set", "expert", "--labels", "strict",
                 "--limit", "4", "--max-new-tokens", "8", "--out", str(expert)]) == 0
    res = json.loads((expert / "results.json").read_text())
    assert res["test_set"] == "expert" and res["tasks"]["DR"]["n"] == 4
    assert res["tasks"]["DR"]["label_method"] == "strict"
    assert "expert-written gold explanations" in (expert / "results.md").read_text()
    gold = list(csv.DictReader(open(expert / "DR.csv", encoding="utf-8")))[0]["goldens"]
    from phyassist.data.loading import load_imhi

    assert gold in {r["response"] for r in load_imhi("DR", "test", test_set="expert")}
    capsys.readouterr()
    assert main(["eval", "--adapter", "none", "--dataset", "swmh", "--out", str(out)]) == 2
    assert "swmh test file not found" in capsys.readouterr().err


def test_adapter_on_4bit_experts_is_refused_in_one_line(tiny_mixtral_dir, tmp_path):
    """A 4-bit base (the Mixtral preset's default) stores its fused experts in NF4 (phyassist.experts4bit); an
    adapter trained on those experts through peft's target_parameters cannot run there, and says so."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from phyassist.evaluation.run import load_for_eval
    from phyassist.models import BasePreset

    adapter = tmp_path / "experts-adapter"
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_mixtral_dir),
                   LoraConfig(r=4, target_modules=["q_proj"], target_parameters=["mlp.experts.gate_up_proj"]),
                   ).save_pretrained(adapter)
    preset = BasePreset(str(tiny_mixtral_dir), "phyassist-tests/tiny-mixtral", ("q_proj",), quantization="nf4")
    cfg = EvalConfig(datasets="MultiWD", adapter=str(adapter), base_model=str(tiny_mixtral_dir), base_preset=preset)
    with pytest.raises(UserError) as info:
        load_for_eval(cfg)
    assert str(info.value) == (
        f"cannot load adapter {str(adapter)!r} on phyassist-tests/tiny-mixtral: `target_parameters` "
        "['mlp.experts.gate_up_proj']: these experts are stored in 4 bits, where peft's target_parameters cannot "
        "add LoRA; evaluate this adapter on a 16-bit base")
