"""The counseling evaluation (phyassist.evaluation.counseling, counsel_run): held-out rows, the paired NLL
interval and verdict, the crisis rate, ``phyassist eval --dataset counsel-chat`` on a tiny Llama + adapter,
and the counseling block of the adapter card and the staged folder."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter

import numpy as np
import pytest
from conftest import write_csv_rows
from tiny_adapters import save_lora_adapter

from phyassist.errors import UserError
from phyassist.evaluation.counseling import (crisis_rate, encode_rows, held_out_rows, nll_comparison,
                                             sample_questions, wanted)
from phyassist.evaluation.run import EvalConfig, run_eval

HEADER = ["questionID", "questionTitle", "questionText", "answerText", "upvotes", "views", "split"]
ROWS = [
    ("1", "How do I sleep?", "I wake at 3am every night and lie awake.", "Keep a routine.", "1", "5", "train"),
    ("2", "Worry", "I worry about everything all day and it exhausts me.", "Write worries down.", "1", "5", "train"),
    ("3", "Nerves", "I get shaky before every therapy session, is that normal?", "Yes, it is common.", "1", "5",
     "train"),
    ("4", "Tired", "Why am I so tired all the time?", "See a doctor.", "1", "5", "val"),
    ("10", "Trust", "He lied to me twice. Can I trust him again?", "Trust takes time.", "2", "5", "test"),
    ("10", "Trust", "He lied to me twice. Can I trust him again?", "Talk about it together.", "1", "5", "test"),
    ("11", "Silence", "My friend stopped talking to me.", "", "1", "5", "test"),
    # asked inside a longer training question: found by the held-out check, skipped
    ("12", "Worry", "I worry about everything all day", "Breathe slowly.", "1", "5", "test"),
    # the same question as training row 3 under another ID: the split gives it to test, so it is kept here
    ("13", "Therapy nerves", "I get SHAKY before every therapy session, is that normal?", "It gets easier.", "1", "5",
     "test"),
]


@pytest.fixture
def counsel_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    write_csv_rows(root / "counsel-chat/20200325_counsel_chat.csv", HEADER, ROWS)
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(root))
    return root


def test_held_out_rows_count_what_they_skip(counsel_root, smol_tokenizer):
    rows, skipped, check = held_out_rows()
    assert [(r["question_id"], r["response"]) for r in rows] == [
        ("10", "Trust takes time."), ("10", "Talk about it together."), ("13", "It gets easier.")]
    assert skipped == Counter({"empty_answer": 1, "question_in_training": 1})
    # the training row that asks question 13 was dropped by the split, so 2 training rows remain
    assert check["train_rows"] == 2 and check["test_questions_in_training"] == 1
    assert [r["question_id"] for r in sample_questions(rows, 1, seed=0)] in (["10", "10"], ["13"])
    encoded = encode_rows(smol_tokenizer, rows, context=40, skipped=skipped)
    assert [r["question_id"] for r in encoded] == [r["question_id"] for r in rows if len(r["query"]) < 40]
    assert skipped["too_long_for_context"] == len(rows) - len(encoded) > 0
    assert all(len(r["ids"]) <= 40 for r in encoded)


def test_no_test_question_of_the_release_is_in_the_training_split(data_dir, monkeypatch):
    """On the shared release: no counsel-chat test question, by ID or by normalised text, is asked by a row of
    the train split the trainer uses (two questions were, under other IDs, before the split kept them out)."""
    from phyassist.data.loading import load_counsel_chat
    from phyassist.data.overlap import normalize_post
    from phyassist.data.prepare import prepare_dataset

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    test = load_counsel_chat("test", answers="all")
    kept = [r for r in load_counsel_chat("train", answers="all") if r["question_in"] is None]
    assert not {r["question_id"] for r in test} & {r["question_id"] for r in kept}
    assert not {r["question_key"] for r in test} & {r["question_key"] for r in kept}
    prompts = [normalize_post(m[0]["content"]) for m in prepare_dataset("counsel-chat")[0]["train"]["messages"]]
    assert not [r["question_id"] for r in test if any(r["question_key"] in p for p in prompts)]
    assert held_out_rows()[2]["test_questions_in_training"] == 0


def _rows(questions):
    return [{"question_id": q} for q in questions]


def test_paired_nll_interval_and_verdict():
    questions, tokens = ["a", "a", "b", "c"], [10, 30, 20, 40]
    base = [20.0, 30.0, 10.0, 80.0]
    out = nll_comparison(_rows(questions), tokens, base, [b - 0.5 * t for b, t in zip(base, tokens)], resamples=300)
    # token-weighted: 140 nats over 100 tokens (the mean of per-row means would be 1.375)
    assert out["base"]["nll"] == pytest.approx(1.4) and out["base"]["perplexity"] == pytest.approx(math.exp(1.4))
    assert out["base"]["ci"]["perplexity"]["low"] == pytest.approx(math.exp(out["base"]["ci"]["nll"]["low"]))
    assert out["difference"] == pytest.approx({"nll": -0.5, "low": -0.5, "high": -0.5, "verdict": "better"})
    worse = nll_comparison(_rows(questions), tokens, base, [b + 0.2 * t for b, t in zip(base, tokens)], resamples=300)
    assert worse["difference"]["verdict"] == "worse" and worse["difference"]["low"] == pytest.approx(0.2)
    # per question +-0.3 nats per token: the interval holds zero
    qs = [str(i) for i in range(20)]
    mixed = nll_comparison(_rows(qs), [10] * 20, [20.0] * 20, [20.0 + (3 if i % 2 else -3) for i in range(20)])
    d = mixed["difference"]
    assert d["low"] < 0 < d["high"] and d["verdict"] == "no significant difference"
    assert mixed["bootstrap"]["method"] == "percentile bootstrap over questions, token-weighted mean"
    assert "difference" not in nll_comparison(_rows(qs), [10] * 20, [20.0] * 20, None)


def test_the_bootstrap_draws_questions_not_rows():
    """Every answer of a drawn question counts: one question of two answers has a single possible resample."""
    out = nll_comparison(_rows(["q", "q"]), [10, 10], [10.0, 30.0], [5.0, 40.0], resamples=200)
    assert out["base"]["ci"]["nll"] == pytest.approx({"low": 2.0, "high": 2.0})
    assert out["difference"] == pytest.approx({"nll": 0.25, "low": 0.25, "high": 0.25, "verdict": "worse"})
    with pytest.raises(UserError, match=r"counseling: no answer tokens to score \(every test row was skipped\)"):
        nll_comparison([], [], [], None)


def test_crisis_rate_uses_the_spaces_screen():
    out = crisis_rate(["Try a short walk and some water.", "I want to kill myself tonight."])
    assert out["replies"] == 2 and out["fired"] == 1 and out["rate"] == 0.5
    assert out["fired_rows"] == [{"row": 1, "rule": "intent"}]
    assert crisis_rate([])["rate"] is None


@pytest.fixture
def counsel_run(counsel_root, tiny_llama_dir, tmp_path):
    adapter = save_lora_adapter(tiny_llama_dir, tmp_path / "adapter", seed=2, random_init=True)
    cfg = EvalConfig(adapter=str(adapter), datasets=["counsel-chat"], out_dir=str(tmp_path / "eval"), max_new_tokens=4,
                     counsel_replies=2, bootstrap_resamples=200, batch_size=2)
    return cfg, run_eval(cfg)


def test_eval_counsel_chat_writes_the_counseling_section(counsel_run, tiny_llama_dir, tmp_path):
    from pathlib import Path

    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from phyassist.evaluation.nll import answer_nll, encode

    cfg, results = counsel_run
    out, c = Path(cfg.out_dir), counsel_run[1]["counseling"]
    assert json.loads((out / "results.json").read_text())["counseling"] == c
    assert results["model"] == {"base_model": "phyassist-tests/tiny-llama", "adapter": cfg.adapter}
    assert (c["questions"], c["rows"], c["skipped"]) == (2, 3, {"empty_answer": 1, "question_in_training": 1})
    # the base's NLL is the adapter's model with the adapter off; both from the answer tokens by hand
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama_dir), cfg.adapter).eval()
    rows = [r for r in csv.DictReader(open(out / "counsel-chat.csv", encoding="utf-8"))]
    encoded = [encode(tokenizer, r["query"], r["answer"]) for r in rows]
    with model.disable_adapter():
        base = answer_nll(model, tokenizer, encoded)
    adapter = answer_nll(model, tokenizer, encoded)
    assert c["per_row"]["base_nll"] == pytest.approx([s for s, _ in base], rel=1e-5)
    assert c["per_row"]["adapter_nll"] == pytest.approx([s for s, _ in adapter], rel=1e-5)
    assert c["tokens"] == sum(n for _, n in base)
    assert c["base"]["nll"] == pytest.approx(sum(s for s, _ in base) / c["tokens"], rel=1e-5)
    assert c["difference"]["nll"] == pytest.approx(c["adapter"]["nll"] - c["base"]["nll"])
    assert c["crisis"]["replies"] == 2 and c["crisis"]["model"] == "adapter" and c["crisis"]["max_new_tokens"] == 4
    replies = list(csv.DictReader(open(out / "counsel-chat-replies.csv", encoding="utf-8")))
    assert len(replies) == 2 and sum(bool(r["crisis_rule"]) for r in replies) == c["crisis"]["fired"]
    md = (out / "results.md").read_text()
    assert "| base |" in md and "| adapter |" in md and f"paired 95% interval [{c['difference']['low']:+.4f}" in md


def test_eval_counsel_chat_on_the_base_alone_and_bad_input(counsel_root, tiny_llama_dir, tmp_path):
    cfg = EvalConfig(base_model=str(tiny_llama_dir), datasets=["counsel-chat"], out_dir=str(tmp_path / "base"),
                     limit=1, counsel_replies=0, bootstrap_resamples=50)
    c = run_eval(cfg)["counseling"]
    assert c["questions"] == 1 and "adapter" not in c and "difference" not in c and c["crisis"]["replies"] == 0
    with pytest.raises(UserError, match="`datasets`: counsel-chat is evaluated on its own, got counsel-chat, MultiWD"):
        wanted(["counsel-chat", "MultiWD"])
    with pytest.raises(UserError, match="`counsel_replies` must be 0 or positive, got -1"):
        EvalConfig(datasets=["counsel-chat"], counsel_replies=-1)
    assert not wanted(["MultiWD", "SAD"])


def test_the_adapter_card_and_staged_folder_report_it(counsel_run, tiny_adapter_dir, tmp_path):
    from phyassist.hub import publish
    from phyassist.hub.cards import build_card

    c = counsel_run[1]["counseling"]
    empty = {"tasks": {}}
    card = str(build_card(tiny_adapter_dir, empty, empty, repo_id="me/counsel", dataset="counsel-chat", counseling=c))
    d = c["difference"]
    assert "## Counseling evaluation" in card and "## Evaluation" not in card
    assert f"| base | {c['base']['nll']:.3f} [{c['base']['ci']['nll']['low']:.3f}, " in card
    assert f"| adapter | {c['adapter']['nll']:.3f}" in card
    assert (f"adapter - base {d['nll']:+.3f} nats per token, 95% paired interval {d['low']:+.3f} to "
            f"{d['high']:+.3f}") in card
    assert f"fired on {c['crisis']['fired']} of 2 generated replies" in card
    assert "1 of them were found in the" in card and "question_in_training 1" in card
    imhi = str(build_card(tiny_adapter_dir, empty, empty, repo_id="me/x", dataset="MultiWD"))
    assert "Counseling evaluation" not in imhi
    staged = publish.stage(tiny_adapter_dir, empty, empty, tmp_path / "hub", repo_id="me/counsel",
                           dataset="counsel-chat", counseling=c)
    assert json.loads((staged / "eval" / "counseling.json").read_text())["difference"] == d
    assert not (staged / "f1_chart.png").exists() and not (staged / ".eval_results").exists()
    assert "## Counseling evaluation" in (staged / "README.md").read_text()
    assert np.isfinite(c["adapter"]["perplexity"])


def test_counsel_nll_benchmark_prints_and_writes(counsel_run, tmp_path, monkeypatch, capsys):
    import importlib
    import sys

    from conftest import REPO

    monkeypatch.setattr(sys, "path", [str(REPO / "benchmarks"), *sys.path])
    bench = importlib.import_module("counsel_nll")
    cfg, _ = counsel_run
    assert bench.main(["--adapter", cfg.adapter, "--replies", "1", "--max-new-tokens", "3", "--out",
                       str(tmp_path / "bench")]) == 0
    c = json.loads((tmp_path / "bench" / "counsel_nll.json").read_text())["counseling"]
    printed = capsys.readouterr().out
    assert "3 therapist answers" in printed and "skipped: empty_answer 1, question_in_training 1." in printed
    d = c["difference"]
    assert f"{d['nll']:+.4f}, paired 95% interval [{d['low']:+.4f}, {d['high']:+.4f}]: **{d['verdict']}**" in printed
    assert f"| base | {c['base']['nll']:.4f} |" in printed and "Crisis screen on 1 generated replies" in printed
    with pytest.raises(SystemExit, match=r"counsel_nll.py: error: --adapter .*none: expected an adapter folder"):
        bench.main(["--adapter", str(tmp_path / "none")])


def test_publish_evaluates_a_counsel_chat_adapter_on_counseling(data_dir, tiny_llama_dir, tiny_adapter_dir, tmp_path,
                                                                 monkeypatch):
    """`phyassist publish --dataset counsel-chat` runs the counseling evaluation instead of the IMHI tasks
    (training is stood in for by a finished adapter folder)."""
    from types import SimpleNamespace

    from phyassist.hub import publish
    from phyassist.train import trainer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    monkeypatch.setattr(trainer, "train", lambda config: SimpleNamespace(output_dir=tiny_adapter_dir))
    cfg, _ = publish.parse_args(["--dataset", "counsel-chat", "--base-model", str(tiny_llama_dir), "--dry-run",
                                 "--output-dir", str(tmp_path / "out"), "--eval-limit", "1"])
    result = publish.publish(cfg)
    c = json.loads((result.stage_dir / "eval" / "counseling.json").read_text())
    assert c["questions"] == 1 and c["crisis"]["replies"] == 1
    assert c["crisis"]["max_new_tokens"] == publish.COUNSEL_MAX_NEW_TOKENS
    assert sorted(p.name for p in (tmp_path / "out" / "eval").iterdir()) == ["counseling"]  # no IMHI eval
    assert "eval counseling" in result.timings
    assert "## Counseling evaluation" in (result.stage_dir / "README.md").read_text()
