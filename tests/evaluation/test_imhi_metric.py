"""The evaluate module metrics/imhi: loads offline, its doctests run, scores, bad input, BARTScore."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO / "metrics" / "imhi"


@pytest.fixture(scope="module")
def imhi():
    import evaluate

    return evaluate.load(str(MODULE_DIR))


def test_layout():
    for name in ("imhi.py", "README.md", "app.py", "requirements.txt"):
        assert (MODULE_DIR / name).is_file()
    card = (MODULE_DIR / "README.md").read_text()
    assert card.startswith("---\n") and "sdk: gradio" in card and "app_file: app.py" in card
    assert "def build_demo(" in (MODULE_DIR / "app.py").read_text()


def test_doctests(monkeypatch):
    import evaluate

    monkeypatch.chdir(REPO)
    spec = importlib.util.spec_from_file_location("imhi_module", MODULE_DIR / "imhi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    test = doctest.DocTestParser().get_doctest(module._KWARGS_DESCRIPTION, {"evaluate": evaluate}, "imhi", None, 0)
    assert test.examples
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_compute_with_labels_or_gold_answers(imhi, data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    res = imhi.compute(predictions=["This post shows the stress cause related to work.", "Family issues.", "I do not know"],
                       references=["work", "This post shows the stress cause related to school. Reasoning: ...", "school"],
                       task="SAD", labels="strict")
    assert set(res) == {"weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed", "label_method", "label_classifier"}
    assert (res["label_method"], res["label_classifier"]) == ("strict", "none")
    assert res["accuracy"] == pytest.approx(100 / 3) and res["unparsed"] == 1
    learned = imhi.compute(predictions=["Reasoning: exams and homework and my teacher stress me out at school"],
                           references=["school"], task="SAD")
    assert learned["unparsed"] == 0 and learned["accuracy"] == 100.0
    assert learned["label_method"] == "learned" and learned["label_classifier"].startswith("SAD v2 sha256:")


def test_bad_input(imhi):
    from phyassist.errors import UserError

    with pytest.raises(ValueError):  # evaluate checks the lengths itself
        imhi.compute(predictions=["yes", "no"], references=["yes"], task="DR")
    with pytest.raises(UserError, match="unknown IMHI task"):
        imhi.compute(predictions=["yes"], references=["yes"], task="XYZ")
    with pytest.raises(UserError, match="reference 0: states none of the DR labels"):
        imhi.compute(predictions=["yes"], references=["maybe"], task="DR")
    with pytest.raises(UserError, match="queries and predictions differ in length: 2 and 1"):
        imhi.compute(predictions=["yes"], references=["yes"], queries=["q", "q"], task="DR")
    with pytest.raises(UserError, match="`labels` must be one of learned, strict, mentalbert"):
        imhi.compute(predictions=["yes"], references=["yes"], task="DR", labels="")
    assert imhi.compute(predictions=[""], references=["yes"], task="DR", labels="strict")["unparsed"] == 1


def test_bart_score(imhi, tmp_path, smol_tokenizer):
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    config = BartConfig(vocab_size=len(smol_tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                        max_position_embeddings=128, pad_token_id=smol_tokenizer.pad_token_id,
                        decoder_start_token_id=smol_tokenizer.eos_token_id)
    BartForConditionalGeneration(config).save_pretrained(tmp_path)
    smol_tokenizer.save_pretrained(tmp_path)
    res = imhi.compute(predictions=["Yes, the poster suffers from stress."],
                       references=["Yes, the poster suffers from stress. Reasoning: exams."], task="dreaddit",
                       labels="strict", bart_score=True, bart_checkpoint=str(tmp_path))
    assert res["bart_score"] < 0 and res["weighted_f1"] == 100.0
