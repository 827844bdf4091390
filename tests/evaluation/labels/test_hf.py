"""A transformers sequence classifier by path: class ids mapped to the task's labels, and its errors."""

from __future__ import annotations

import pytest

from phyassist.errors import UserError
from phyassist.evaluation.labels.hf import HFLabelClassifier
from phyassist.evaluation.labels.labeler import infer_labels


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
