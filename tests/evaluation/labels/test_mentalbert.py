"""MentalLLaMA's classifiers: the label order per task, loading and its errors, on tiny random BERTs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from phyassist.data.tasks import TASKS
from phyassist.errors import UserError
from phyassist.evaluation.labels.mentalbert import MENTALBERT, MentalBertClassifier, describe

_WORDS = ["the", "post", "shows", "no", "yes", "depression", "stress", "reasoning", "poster", "suffers", "from",
          "this", "of", "and", "a", "to", "is", "##s", "##ing"]


@pytest.fixture(scope="module")
def tiny_berts(tmp_path_factory):
    """One saved random BERT per class count (2, 4, 5, 6, 9), configs with generic LABEL_i names."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    root = tmp_path_factory.mktemp("mentalbert")
    vocab = root / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    torch.manual_seed(0)
    folders = {}
    for n in sorted({len(order) for _, order in MENTALBERT.values()}):
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=64, num_labels=n,
                            id2label={i: f"LABEL_{i}" for i in range(n)},
                            label2id={f"LABEL_{i}": i for i in range(n)})
        folders[n] = root / f"bert-{n}"
        BertForSequenceClassification(config).save_pretrained(folders[n])
        tokenizer.save_pretrained(folders[n])
    return folders


def _force(clf: MentalBertClassifier, k: int) -> None:
    """Make class id ``k`` win whatever the input."""
    import torch

    with torch.no_grad():
        clf.model.classifier.weight.zero_()
        clf.model.classifier.bias.zero_()
        clf.model.classifier.bias[k] = 10.0


TEXTS = ["Yes, the poster suffers from depression. Reasoning: the post shows stress", "no", "this is a post"]


@pytest.mark.parametrize("task", list(MENTALBERT))
def test_argmax_id_maps_to_mentalllama_order(task, tiny_berts):
    order = MENTALBERT[task][1]
    clf = MentalBertClassifier(task, str(tiny_berts[len(order)]), batch_size=2)
    for k, label in enumerate(order):
        _force(clf, k)
        assert clf.predict(TEXTS) == [label] * len(TEXTS)


def test_multiclass_orders_are_mentalllamas_not_ours():
    # label_inference.py get_dict: t-sid {depression, suicide, ptsd, control},
    # swmh {depression, suicide, anxiety, bipolar, no mental}
    assert MENTALBERT["t-sid"][1] == ("depression", "suicide or self-harm tendency", "ptsd", "no mental disorders")
    assert MENTALBERT["swmh"][1] == ("depression", "suicide or self-harm tendency", "anxiety", "bipolar disorder",
                                     "no mental disorders")
    for task in ("t-sid", "swmh"):
        assert list(MENTALBERT[task][1]) != TASKS[task].labels
    for task in ("DR", "dreaddit", "Irf", "MultiWD", "loneliness"):
        assert MENTALBERT[task][1] == ("no", "yes")  # id 0 = no


def test_table_is_a_permutation_of_each_tasks_labels():
    assert set(MENTALBERT) == set(TASKS)
    for task, (hub_id, order) in MENTALBERT.items():
        assert sorted(order) == sorted(TASKS[task].labels), task
        assert hub_id == f"Tianlin668/{task}"


def test_config_label_names_are_ignored(tiny_berts, tmp_path):
    """A mirror whose config names the classes in our order still reads in MentalLLaMA's order."""
    from transformers import AutoTokenizer, BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(tiny_berts[4])
    model.config.id2label = dict(enumerate(TASKS["t-sid"].labels))
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    model.save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(tiny_berts[4]).save_pretrained(tmp_path)
    clf = MentalBertClassifier("T-SID", str(tmp_path))
    _force(clf, 0)
    assert clf.predict(["post"]) == ["depression"]


def test_long_texts_truncate_to_max_length(tiny_berts):
    clf = MentalBertClassifier("DR", str(tiny_berts[2]), max_length=16)
    _force(clf, 1)
    # 200 words > 64 positions: only truncation to 16 tokens lets this run
    assert clf.predict(["the post " * 100, "no"]) == ["yes", "yes"]
    assert clf.tokenizer.truncation_side == "right"
    assert clf.predict([]) == []


def test_wrong_class_count_is_one_exact_line(tiny_berts):
    path = str(tiny_berts[2])
    with pytest.raises(UserError, match=rf"^classifier '{re.escape(path)}' has 2 classes; MentalLLaMA's swmh classifier has 5, "
                                        r"by id: depression, suicide or self-harm tendency, anxiety, "
                                        r"bipolar disorder, no mental disorders$"):
        MentalBertClassifier("swmh", path)


def test_missing_path_is_one_exact_line(tmp_path):
    path = str(tmp_path / "missing")
    with pytest.raises(UserError) as info:
        MentalBertClassifier("t-sid", path)
    msg = str(info.value)
    assert msg.startswith(f"cannot load MentalLLaMA's t-sid classifier from '{path}' (Hub id Tianlin668/t-sid): "
                          "it needs a download from the Hub, or a local copy's folder as the path override (")
    assert "\n" not in msg


def test_hub_id_offline_names_the_hub_id():
    # conftest sets HF_HUB_OFFLINE=1 and the classifier is not in the cache
    with pytest.raises(UserError, match=r"^cannot load MentalLLaMA's CAMS classifier from 'Tianlin668/CAMS' "
                                        r"\(Hub id Tianlin668/CAMS\): it needs a download from the Hub"):
        MentalBertClassifier("cams")


def test_unknown_task():
    with pytest.raises(UserError, match="unknown IMHI task 'CLP'"):
        MentalBertClassifier("CLP")


def test_describe():
    assert describe("t-sid") == "mentalbert:Tianlin668/t-sid"
    assert describe("sad", "/mirror/SAD") == "mentalbert:/mirror/SAD"


def test_import_needs_no_torch():
    code = "import sys, phyassist.evaluation.labels.mentalbert; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_labeler_by_name_reads_a_local_copy_per_task_without_the_parser(tiny_berts, tmp_path):
    """``labels="mentalbert:DIR"`` with DIR laid out as label_inference.py reads it (DIR/<task>/): every
    answer goes to the classifier, even one the parser would read."""
    import shutil

    from phyassist.evaluation.labels import make_labeler

    shutil.copytree(tiny_berts[2], tmp_path / "DR")
    labeler = make_labeler("dr", f"mentalbert:{tmp_path}")
    assert labeler.info == {"label_method": "mentalbert", "label_classifier": f"mentalbert:{tmp_path / 'DR'}"}
    _force(labeler.classifier, 1)
    assert labeler(["No, the poster does not suffer from depression.", ""]) == ["yes", "yes"]
