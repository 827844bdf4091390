"""How good and how complete a generated explanation is: each IMHI answer split into its label sentence and
its reasoning, the reasoning's ROUGE-L F1 against the gold one (``rouge-score``, as ``evaluate``'s rouge) and
whether the answer is *explained*: a label sentence, then a finished reasoning of at least 15 words.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Sequence

from ..errors import UserError

MIN_WORDS = 15
MARKER = "Reasoning:"
_MARKER = re.compile(r"\breasoning\s*:", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
# . ! or ? last, optionally inside closing quotes or brackets; an ellipsis ("...") trails off, it does not end
_FINISHED = re.compile(r"(?<!\.\.)[.!?][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W_]")
# why an answer is not explained, in the order they are checked
REASONS = ("empty_answer", "no_label_sentence", "short_reasoning", "unfinished_reasoning")


class Parts(NamedTuple):
    label: str  # the label sentence
    reasoning: str  # the text after it
    marked: bool  # a "Reasoning:" marker separated the two


def split_answer(text) -> Parts:
    """An answer's label sentence and reasoning, white space collapsed.

    IMHI answers read ``"<label sentence> Reasoning: <explanation>"``: the parts are split at the first
    ``Reasoning:`` (any case). An answer without that marker is split after its first sentence (the first
    ``.``, ``!`` or ``?`` followed by a space or the end), so a free-form answer's reasoning is still scored;
    with no sentence end at all, the whole answer is the label sentence and the reasoning is empty.
    """
    text = " ".join(str(text or "").split())
    m = _MARKER.search(text)
    if m:
        return Parts(text[:m.start()].strip(), text[m.end():].strip(), True)
    m = _SENTENCE_END.search(text)
    end = m.end() if m else len(text)
    return Parts(text[:end].strip(), text[end:].strip(), False)


def words(text: str) -> int:
    """White-space separated tokens that hold a letter or a digit."""
    return sum(1 for token in str(text).split() if _WORD.search(token))


def finished(text: str) -> bool:
    """Whether ``text`` ends a sentence: ``.``, ``!`` or ``?`` last (not an ellipsis), optionally followed by
    closing quotes or brackets."""
    return bool(_FINISHED.search(str(text).rstrip()))


def gold_reasoning(reference) -> str | None:
    """The explanation of a gold answer (its text after ``Reasoning:``), or None when it has none: no
    marker (a bare label), or nothing with a letter or digit after it (``"Reasoning: ..."``)."""
    parts = split_answer(reference)
    return parts.reasoning if parts.marked and _WORD.search(parts.reasoning) else None


def why_not_explained(answer, labelled: bool = True) -> str | None:
    """None when the answer is explained, else the first of ``REASONS`` that fails.

    An answer is explained when (1) it is not empty; (2) it gives a label sentence: the part before its
    reasoning (``split_answer``) holds a word and a label was inferred from the answer (``labelled``;
    ``phyassist eval`` and the metric pass whether the task's label method read one, which for the parser
    reads that same part); (3) its reasoning has at least ``MIN_WORDS`` words (``words``); (4) the
    reasoning ends a sentence (``finished``). "No, the poster does not suffer from depression. Reasoning:
    The" fails (3); a 40-word reasoning cut mid-sentence fails (4).
    """
    if not str(answer or "").strip():
        return "empty_answer"
    label, reasoning, _ = split_answer(answer)
    if not _WORD.search(label) or not labelled:
        return "no_label_sentence"
    if words(reasoning) < MIN_WORDS:
        return "short_reasoning"
    if not finished(reasoning):
        return "unfinished_reasoning"
    return None


def rouge_l(predictions: Sequence[str], references: Sequence[str]) -> list[float]:
    """ROUGE-L F1 x 100 of each prediction against its reference (rouge-score's ``rougeL``, Porter stemmer)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return [scorer.score(ref, pred)["rougeL"].fmeasure * 100 if pred.strip() else 0.0
            for pred, ref in zip(predictions, references)]


def explanation_scores(generated: Sequence, references: Sequence, labelled: Sequence[bool] | None = None) -> dict:
    """Explanation quality and completeness of generated answers against gold answers, row by row.

    Returns ``rouge_l`` (mean ROUGE-L F1 x 100 of the generated reasoning against the gold one, over the rows
    whose gold answer has an explanation; None, with ``rouge_l_note``, when none has), ``explained_rate``
    (percent of all answers that are explained, ``why_not_explained``), ``explanation_counts`` (``rows``;
    ``scored``: rows in the ROUGE-L mean; ``gold_without_explanation``: rows left out of it; ``empty_answer``
    and ``empty_reasoning``: scored ROUGE-L 0; ``no_reasoning_marker``: answers without ``Reasoning:``,
    scored on the text after their first sentence; ``explained``; ``not_explained``: per reason) and
    ``rows`` (``rouge_l``: per row, None where left out; ``explained``: per row, true or false).
    ``labelled``: per answer, whether a label was inferred from it (default: every answer).
    """
    if len(generated) != len(references):
        raise UserError(f"generated answers and gold answers differ in length: {len(generated)} and {len(references)}")
    labelled = [True] * len(generated) if labelled is None else list(labelled)
    if len(labelled) != len(generated):
        raise UserError(f"`labelled` must have one flag per answer: {len(labelled)} for {len(generated)} answers")
    golds = [gold_reasoning(ref) for ref in references]
    parts = [split_answer(g) for g in generated]
    scored = [i for i, gold in enumerate(golds) if gold is not None]
    values = rouge_l([parts[i].reasoning for i in scored], [golds[i] for i in scored])
    per_row: list[float | None] = [None] * len(golds)
    for i, v in zip(scored, values):
        per_row[i] = v
    reasons = [why_not_explained(g, has) for g, has in zip(generated, labelled)]
    nonempty = [p for p in parts if p.label or p.reasoning]
    counts = {
        "rows": len(generated), "scored": len(scored), "gold_without_explanation": len(golds) - len(scored),
        "empty_answer": len(parts) - len(nonempty), "empty_reasoning": sum(not p.reasoning for p in nonempty),
        "no_reasoning_marker": sum(not p.marked for p in nonempty), "explained": reasons.count(None),
        "not_explained": {r: reasons.count(r) for r in REASONS if r in reasons},
    }
    out = {"rouge_l": sum(values) / len(values) if values else None,
           "explained_rate": counts["explained"] / len(generated) * 100 if generated else None,
           "explanation_counts": counts}
    if not values:
        out["rouge_l_note"] = (f"ROUGE-L not computed: none of the {len(golds)} gold answers has an explanation "
                               f"(a non-empty '{MARKER}' part)")
    out["rows"] = {"rouge_l": per_row, "explained": [r is None for r in reasons]}
    return out


def counts_line(counts: dict) -> str:
    """The per-reason counts in one line (empty when there are none), e.g. ``3 empty answers; not explained:
    short reasoning 12``."""
    parts = [f"{counts[key]} {name}" for key, name in (
        ("gold_without_explanation", "gold answers without an explanation (left out of ROUGE-L)"),
        ("empty_answer", "empty answers"), ("empty_reasoning", "answers with no reasoning"),
        ("no_reasoning_marker", f"answers without '{MARKER}' (scored after their first sentence)"))
        if counts.get(key)]
    not_explained = counts.get("not_explained", {})
    if not_explained:
        parts.append("not explained: " + ", ".join(f"{reason.replace('_', ' ')} {n}"
                                                   for reason, n in not_explained.items()))
    return "; ".join(parts)
