"""IMHI: weighted F1 of labels inferred from mental-health explanations, the explanations' ROUGE-L and
explained rate, plus optional BARTScore."""
# ruff: noqa: E501
# (evaluate reads each import's `# From:` comment to the end of its line, so those lines stay whole)

import datasets
import evaluate

# evaluate.load reads these imports and, if phyassist is missing, prints the `# From:` text as the pip command:
# phyassist is not on PyPI, so it is the wheel push_metric.py puts in this Space (phyassist.hub.metric.requirement)
from phyassist.citations import BIBTEX  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"
from phyassist.data.tasks import get_task  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"
from phyassist.errors import UserError  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"
from phyassist.evaluation.labels import (  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"
    ClassifiersNotFound,
    find_classifiers,
    make_labeler,
    parse_label,
)
from phyassist.evaluation.explanation import explanation_scores  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"
from phyassist.evaluation.scores import classification_scores  # From: "phyassist[metric] @ https://huggingface.co/spaces/phyassist/imhi/resolve/main/phyassist-0.1.0-py3-none-any.whl"

_CITATION = BIBTEX["yang2024mentallama"] + "\n"
BARTSCORE_PACKAGES = '"torch>=2.4,<2.15" "transformers>=5.0,<6"'  # pyproject.toml's bartscore extra

_DESCRIPTION = """\
The IMHI benchmark (MentalLLaMA) scores a model's free-text answers to mental-health questions about
social-media posts. Each answer is mapped to one of the task's labels (a strict parser for answers that
state the label first, then a small TF-IDF + logistic-regression classifier per task, trained on the IMHI
training explanations and published as versioned, checksummed files); the headline number is the
weighted F1 (x100) of these labels against the labels of the gold answers. Answers with no inferable
label count as wrong and are reported as `unparsed`. Every result names the label method and the
classifier file (version and sha256) it used, so numbers from different machines can be compared.
The explanation is scored offline too: ROUGE-L F1 (x100, rouge-score's rougeL with stemming) of the
generated reasoning (the text after "Reasoning:", or after the first sentence when there is no such
marker) against the gold one, over the references that have an explanation, and the explained rate:
the percent of answers that give a label sentence (a label is inferred from the answer) and then a
reasoning of at least 15 words that ends a sentence. Optionally BARTScore (mean per-token
log-likelihood of the gold answer given the generated one).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): generated answers.
    references (`list` of `str`): gold answers ("<label sentence>. Reasoning: ...") or bare gold labels.
    task (`str`): IMHI task: DR, dreaddit, Irf, MultiWD, SAD, CAMS, loneliness, t-sid or swmh.
    queries (`list` of `str`, optional): the prompts; they tell the classifier which dimension or risk
        was asked (MultiWD, Irf).
    labels (`str`): "learned" (parser, then the published classifier; default), "strict" (parser only),
        "mentalbert" (MentalLLaMA's own classifiers, downloaded from the Hub; "mentalbert:DIR" for a local
        copy) or a sequence-classifier path or Hub id. "learned" raises when no classifier can be found.
    bart_score (`bool`): also compute BARTScore (loads `bart_checkpoint`, default facebook/bart-large-cnn).
    bart_checkpoint (`str`): seq2seq model path or Hub id for BARTScore.
Returns:
    weighted_f1 (`float`): sklearn weighted F1 x 100, the IMHI headline metric.
    accuracy (`float`): x 100.
    macro_f1 (`float`), micro_f1 (`float`): x 100.
    unparsed (`int`): answers with no inferable label.
    rouge_l (`float` or None): mean ROUGE-L F1 x 100 of the generated reasoning against the gold reasoning,
        over the references with an explanation; None when no reference has one (bare labels).
    rouge_l_rows (`int`): references with an explanation, the rows in the ROUGE-L mean.
    explained_rate (`float`): percent of answers with a label sentence and a finished reasoning of 15+ words.
    label_method (`str`): what labelled the predictions: learned, strict, mentalbert or hf.
    label_classifier (`str`): the classifier's task, version and sha256 (or model id); "none (...)" without one.
    bart_score (`float`): only with `bart_score=True`; higher (closer to 0) is better.
Examples:
    >>> imhi = evaluate.load("metrics/imhi")
    >>> results = imhi.compute(
    ...     predictions=["Yes, this wellness dimension exists in the post.", "No. Reasoning: nothing about it."],
    ...     references=["Yes, this wellness dimension exists in the post. Reasoning: ...",
    ...                 "Yes, this wellness dimension exists in the post. Reasoning: ..."],
    ...     task="MultiWD", labels="strict")
    >>> results["accuracy"], results["unparsed"], results["label_method"]
    (50.0, 0, 'strict')
    >>> round(results["weighted_f1"], 1)
    66.7
    >>> imhi.compute(predictions=["I do not know."], references=["no"], task="DR", labels="strict")["unparsed"]
    1
    >>> gold = ("No, the poster does not suffer from depression. Reasoning: The poster asks whether a genealogy "
    ...         "website is safe to use and shares no feelings of sadness, hopelessness or loss of interest.")
    >>> answers = ["No, the poster does not suffer from depression. Reasoning: The poster only asks whether a "
    ...            "website is safe and mentions no sadness, hopelessness or loss of interest in anything.",
    ...            "No, the poster does not suffer from depression. Reasoning: The"]
    >>> results = imhi.compute(predictions=answers, references=[gold, gold], task="DR", labels="strict")
    >>> results["explained_rate"], results["rouge_l_rows"], results["rouge_l"] > 30
    (50.0, 2, True)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Imhi(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            reference_urls=["https://github.com/SteveKGYang/MentalLLaMA"],
        )

    def _download_and_prepare(self, dl_manager):
        # the published label classifiers (PHYASSIST_LABEL_CLASSIFIERS, the cache, then the Hub at a pinned
        # revision, sha256-checked); a machine without them can still load the module for labels="strict"
        try:
            find_classifiers()
        except ClassifiersNotFound:
            pass  # compute() raises the same one-line error unless labels="strict"

    def _compute(self, predictions, references, task="MultiWD", queries=None, labels="learned", bart_score=False,
                 bart_checkpoint="facebook/bart-large-cnn"):
        spec = get_task(task)
        if len(predictions) != len(references):
            raise UserError(f"predictions and references differ in length: {len(predictions)} and {len(references)}")
        if queries is not None and len(queries) != len(predictions):
            raise UserError(f"queries and predictions differ in length: {len(queries)} and {len(predictions)}")
        golds = []
        for i, ref in enumerate(references):
            gold = spec.gold_label(ref) if ref else None
            gold = gold or (ref.strip().lower() if ref and ref.strip().lower() in spec.labels else None)
            gold = gold or parse_label(spec.name, ref)
            if gold is None:
                raise UserError(f"reference {i}: states none of the {spec.name} labels ({', '.join(spec.labels)}): {str(ref)[:60]!r}")
            golds.append(gold)
        labeler = make_labeler(spec.name, labels)  # "learned" with no classifier anywhere raises here
        preds = labeler(list(predictions), list(queries) if queries is not None else None)
        scores = classification_scores(golds, preds, spec.labels)
        out = {k: scores[k] for k in ("weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed")}
        out.update(labeler.info)
        expl = explanation_scores(list(predictions), list(references), [p is not None for p in preds])
        out.update(rouge_l=expl["rouge_l"], rouge_l_rows=expl["explanation_counts"]["scored"],
                   explained_rate=expl["explained_rate"])
        if bart_score:
            from phyassist.evaluation.bartscore import BARTScorer, mean

            try:
                scorer = BARTScorer(bart_checkpoint)
            except ModuleNotFoundError as e:
                # the 'bartscore' extra's packages, by their PyPI names (phyassist itself is not on PyPI)
                raise UserError("bart_score=True needs torch and transformers (phyassist's 'bartscore' extra): "
                                f"pip install {BARTSCORE_PACKAGES} (missing {e.name!r})") from None
            out["bart_score"] = mean(scorer.score(list(predictions), list(references)))
        return out
