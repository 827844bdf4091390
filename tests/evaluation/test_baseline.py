"""The TF-IDF + logistic regression baseline (phyassist.evaluation.baseline) on hand-written rows."""

from __future__ import annotations

import numpy as np
import pytest

from phyassist.errors import UserError
from phyassist.evaluation.baseline import TfidfBaseline, baseline_rows, compare_to_baseline
from phyassist.evaluation.bootstrap import paired_difference
from phyassist.evaluation.scores import classification_scores

Q = 'Consider this post: "{}" Question: Does the poster suffer from depression?'
SAD = ["I feel hopeless and empty every day", "everything feels hopeless and I cry", "empty and hopeless again tonight",
       "I cry alone, hopeless", "so empty, I cry all day"]
FINE = ["great hike with friends this weekend", "friends came over, great dinner", "a great run this morning",
        "weekend trip with friends", "great news at work, friends cheered"]


def _train():
    texts = [Q.format(t) for t in SAD + FINE]
    return texts, ["yes"] * len(SAD) + ["no"] * len(FINE)


def test_learns_a_word_signal_and_scores_like_the_adapter():
    model = TfidfBaseline().fit(*_train(), task="DR")
    tests = [Q.format("hopeless and empty, I cry"), Q.format("a great weekend with friends")]
    assert model.predict(tests) == ["yes", "no"]
    assert model.labels == ["no", "yes"] and model.train_rows == 10
    assert model.describe()["train_labels"] == {"no": 5, "yes": 5}
    golds, adapter = ["yes", "no", "yes", "no"], ["no", "no", "no", "no"]
    baseline = model.predict([Q.format("I cry, hopeless"), Q.format("friends, great"), Q.format("empty"),
                              Q.format("weekend run")])
    out = compare_to_baseline(golds, baseline, adapter, ["yes", "no"], resamples=200)
    assert out["weighted_f1"] == classification_scores(golds, baseline, ["yes", "no"])["weighted_f1"]
    # the difference is the adapter's minus the baseline's, over the same resampled rows
    assert out["adapter_minus_baseline"] == paired_difference(golds, baseline, adapter, ["yes", "no"], resamples=200)
    assert out["adapter_minus_baseline"]["weighted_f1"]["difference"] == pytest.approx(
        classification_scores(golds, adapter, ["yes", "no"])["weighted_f1"] - out["weighted_f1"])


def test_test_rows_never_influence_the_model():
    """Fitted on training rows alone: a test row's probabilities do not depend on the rows predicted with
    it, and words only test rows hold are no features."""
    model = TfidfBaseline().fit(*_train())
    row = Q.format("hopeless weekend with friends")
    alone = model.probabilities([row])[0]
    crowd = [row] + [Q.format("zebra zebra hopeless " * 3)] * 20 + [Q.format(t) for t in SAD]
    np.testing.assert_array_equal(model.probabilities(crowd)[0], alone)
    assert "zebra" not in model.pipeline[0].vocabulary_
    # and refitting on the same training rows gives the same model, whatever was predicted in between
    np.testing.assert_array_equal(TfidfBaseline().fit(*_train()).probabilities([row])[0], alone)


def test_baseline_rows_take_one_task_from_prepared_rows():
    rows = [{"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a"}], "task": "DR",
             "label": "yes"},
            {"messages": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "a"}], "task": "SAD",
             "label": "money"},
            {"messages": [{"role": "user", "content": "q3"}, {"role": "assistant", "content": "a"}], "task": "DR",
             "label": "no"}]
    assert baseline_rows(rows, "DR") == (["q1", "q3"], ["yes", "no"])
    with pytest.raises(UserError, match="TF-IDF baseline for Irf: no labelled training rows of Irf; expected"):
        baseline_rows(rows, "Irf")


def test_bad_input():
    with pytest.raises(UserError, match=r"TF-IDF baseline for DR: the training rows hold 2 rows and labels "
                                        r"\{'yes': 2\}; expected at least two different labels"):
        TfidfBaseline().fit(["a b", "a c"], ["yes", "yes"], task="DR")
    with pytest.raises(UserError, match="TF-IDF baseline: 2 training texts but 1 labels"):
        TfidfBaseline().fit(["a", "b"], ["yes"])
    with pytest.raises(UserError, match="TF-IDF baseline: predict called before fit"):
        TfidfBaseline().predict(["a"])


def test_quality_benchmark_trains_it_on_the_adapters_rows(tiny_llama_dir, data_dir, monkeypatch, tmp_path, capsys):
    """benchmarks/quality.py's baseline: fitted on the rows the adapter's recipe trains on, scored on the rows
    the adapter answered, its difference paired with the adapter's predictions."""
    import importlib.util

    from conftest import REPO, tiny_train_config

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.run import queries_sha256, repaired, sample
    from phyassist.models import load_tokenizer
    from phyassist.train.splits import prepare_splits

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    spec = importlib.util.spec_from_file_location("phyassist_benchmarks_quality", REPO / "benchmarks" / "quality.py")
    quality = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quality)
    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "adapter", max_train_examples=40)
    rows = repaired(sample(load_imhi("MultiWD", "test"), 30, 0, "MultiWD"))  # as run_eval records them
    golds = [r["label"] for r in rows]
    adapter = {"variant": "instruction", "tasks": {"MultiWD": {"labels": ["yes", "no"], "rows": {
        "index": [r["index"] for r in rows], "gold": golds, "pred": golds, "queries_sha256": queries_sha256(rows)}}}}
    out = quality.tfidf_baseline(cfg, ["MultiWD"], adapter)["MultiWD"]
    trained = prepare_splits(cfg, load_tokenizer(cfg.base_preset))[0]
    assert out["train_rows"] == len(trained) and out["n"] == 30
    assert sum(out["train_labels"].values()) == len(trained)
    # the adapter here answers every row right: it is at least as good as the baseline on every resample
    assert out["adapter_minus_baseline"]["weighted_f1"]["difference"] == pytest.approx(100 - out["weighted_f1"])
    assert out["adapter_minus_baseline"]["weighted_f1"]["low"] >= 0
    printed = capsys.readouterr().out
    assert f"MultiWD   TF-IDF baseline: weighted F1 {out['weighted_f1']:6.2f}" in printed
    assert "adapter - baseline paired diff" in printed
    adapter["tasks"]["MultiWD"]["rows"]["queries_sha256"] = "0" * 64
    with pytest.raises(SystemExit, match="MultiWD: the test file's rows differ from those the adapter answered"):
        quality.tfidf_baseline(cfg, ["MultiWD"], adapter)


def test_a_minority_label_is_not_drowned_by_the_majority():
    # 8 "yes" rows among 40, each with a word pair no "no" row has: the class-balanced fit answers "yes" to new
    # posts with that pair (an unweighted fit of these rows answers "no" to all of them)
    import random

    rng = random.Random(0)
    words = [f"w{i}" for i in range(60)]

    def post(extra: str = "") -> str:
        return " ".join(rng.choice(words) for _ in range(12)) + extra

    labels = ["yes" if i % 5 == 0 else "no" for i in range(40)]
    texts = [post(" garden walk" if label == "yes" else "") for label in labels]
    model = TfidfBaseline().fit(texts, labels)
    assert model.predict([post(" garden walk") for _ in range(10)]) == ["yes"] * 10
    assert model.describe()["settings"]["class_weight"] == "balanced"
