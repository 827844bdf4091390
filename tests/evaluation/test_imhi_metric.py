"""The evaluate module metrics/imhi: loads offline, its doctests run, scores (labels and explanations),
bad input, BARTScore, rouge-score in its requirements."""

from __future__ import annotations

import doctest
import importlib.util
import inspect
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO / "metrics" / "imhi"


@pytest.fixture(scope="module")
def imhi():
    import evaluate

    return evaluate.load(str(MODULE_DIR))


def _load_source():
    """metrics/imhi/imhi.py as a plain module, for its docstrings and signature."""
    spec = importlib.util.spec_from_file_location("imhi_module", MODULE_DIR / "imhi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(markdown: str) -> dict[str, str]:
    """Heading line -> the text under it, up to the next heading (a ``#`` inside a code block is text)."""
    out, heading, fenced = {}, None, False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        if line.startswith("#") and not fenced:
            heading = line.strip()
            out[heading] = ""
        elif heading:
            out[heading] += line + "\n"
    return out


def test_loads_through_evaluate_with_typed_features(imhi):
    import datasets

    assert type(imhi).__name__ == "Imhi" and imhi.name == "imhi"
    assert imhi.features == datasets.Features({"predictions": datasets.Value("string"),
                                               "references": datasets.Value("string")})
    module = _load_source()
    assert (imhi.description, imhi.citation, imhi.inputs_description) == (
        module._DESCRIPTION, module._CITATION, module._KWARGS_DESCRIPTION)
    assert "@inproceedings{yang2024mentallama" in imhi.citation and imhi.reference_urls


def test_metric_card_has_the_space_front_matter_and_every_section():
    import yaml

    card = (MODULE_DIR / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert (meta["sdk"], meta["app_file"], meta["title"]) == ("gradio", "app.py", "IMHI")
    assert {"evaluate", "metric"} <= set(meta["tags"]) and meta["description"].strip()
    sections = _sections(card.split("---\n", 2)[2])
    assert "# Metric Card for IMHI" in sections
    for heading in ("## Metric Description", "## How to Use", "### Inputs",
                    "### Output Values", "### Examples", "## Limitations and Bias", "## Citation"):
        assert sections.get(heading, "").strip(), heading
    # every argument of _compute and every key it returns is documented
    module = _load_source()
    args = [a for a in inspect.signature(module.Imhi._compute).parameters if a != "self"]
    assert args == ["predictions", "references", "task", "queries", "labels", "bart_score", "bart_checkpoint"]
    for name in args:
        assert f"**{name}**" in sections["### Inputs"], name
    for name in ("weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed", "label_method", "label_classifier",
                 "rouge_l", "rouge_l_rows", "explained_rate", "bart_score"):
        assert f"**{name}**" in sections["### Output Values"], name
    assert module._CITATION.strip() in sections["## Citation"]
    requirements = [line for line in (MODULE_DIR / "requirements.txt").read_text().splitlines()
                    if not line.startswith("#")]
    assert requirements[0].startswith("phyassist[metric] @ https://huggingface.co/spaces/")  # tests/hub/test_metric.py
    assert any(line.startswith("rouge-score") for line in requirements)


def test_doctests(monkeypatch):
    import evaluate

    monkeypatch.chdir(REPO)
    module = _load_source()
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
    assert set(res) == {"weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed", "label_method", "label_classifier",
                        "rouge_l", "rouge_l_rows", "explained_rate"}
    # bare labels and "Reasoning: ..." carry no explanation: no ROUGE-L (None, not 0) over 0 rows
    assert (res["rouge_l"], res["rouge_l_rows"]) == (None, 0)
    assert (res["label_method"], res["label_classifier"]) == ("strict", "none")
    assert res["accuracy"] == pytest.approx(100 / 3) and res["unparsed"] == 1
    learned = imhi.compute(predictions=["Reasoning: exams and homework and my teacher stress me out at school"],
                           references=["school"], task="SAD")
    assert learned["unparsed"] == 0 and learned["accuracy"] == 100.0
    assert learned["label_method"] == "learned" and learned["label_classifier"].startswith("SAD v2 sha256:")


def test_numbers_are_the_librarys(imhi):
    """``_compute`` is a thin call: the scores of the library's labels, each under its own name."""
    from phyassist.data.tasks import TASKS
    from phyassist.evaluation.labels import infer_labels
    from phyassist.evaluation.scores import classification_scores

    preds = ["This post shows the stress cause related to work.", "Family issues.", "I do not know", "School.",
             "work", "Other causes. Reasoning: ...", "School. Reasoning: exams"]
    golds = ["work", "school", "school", "school", "family issues", "other causes", "work"]
    res = imhi.compute(predictions=preds, references=golds, task="SAD", labels="strict")
    want = classification_scores(golds, infer_labels("SAD", preds), TASKS["SAD"].labels)
    keys = ("weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed")
    assert {k: res[k] for k in keys} == {k: want[k] for k in keys}
    assert len({res["weighted_f1"], res["macro_f1"], res["micro_f1"]}) == 3  # a swapped key would show


def test_explanation_scores_are_the_librarys(imhi):
    """ROUGE-L and the explained rate: the library's, an answer labelled when its label method reads a label."""
    from phyassist.evaluation.explanation import explanation_scores
    from phyassist.evaluation.labels import infer_labels

    gold = ("This post shows the stress cause related to work. Reasoning: The poster describes long shifts, a "
            "demanding manager and the fear of losing the job, which are occupational stressors.")
    preds = ["This post shows the stress cause related to work. Reasoning: The poster talks about long shifts at "
             "work and a manager who keeps asking for more, and fears losing the job.",
             "This post shows the stress cause related to work. Reasoning: The",
             "Work. The poster mentions a demanding manager and long shifts, and worries about keeping the job "
             "through the next round of layoffs at the company.",
             "I cannot tell. The poster mentions a demanding manager and long shifts, and worries about keeping "
             "the job through the next round of layoffs at the company.", ""]
    golds = [gold, gold, gold, gold, "work"]
    res = imhi.compute(predictions=preds, references=golds, task="SAD", labels="strict")
    want = explanation_scores(preds, golds, [label is not None for label in infer_labels("SAD", preds)])
    assert (res["rouge_l"], res["rouge_l_rows"], res["explained_rate"]) == (
        want["rouge_l"], want["explanation_counts"]["scored"], want["explained_rate"])
    assert res["rouge_l_rows"] == 4 and res["explained_rate"] == 40.0  # rows 0 and 2 are explained
    assert 0 < res["rouge_l"] < 100


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
