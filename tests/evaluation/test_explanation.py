"""Explanation scores on hand-written IMHI answers: the label/reasoning split, the explained rule (cut-off,
short, unfinished, ellipsis, no label), ROUGE-L of the reasoning against rouge-score itself, and bad input
counted per reason (gold without explanation, empty answers, answers without "Reasoning:")."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from phyassist.errors import UserError
from phyassist.evaluation import explanation as ex
from phyassist.evaluation.labels import parse_label

NO_LABEL = "No, the poster does not suffer from depression."
GOLD_REASON = ("The post does not exhibit strong emotional indicators of depression. It primarily focuses on a "
               "specific concern regarding the safety of using Ancestry.com and asking for advice from other users.")
GOLD = f"{NO_LABEL} Reasoning: {GOLD_REASON}"
FULL = (f"{NO_LABEL} Reasoning: The poster asks other users whether Ancestry.com is safe to use and shares no "
        "sadness, hopelessness or loss of interest, so the post shows no sign of depression.")
CUT = f"{NO_LABEL} Reasoning: The"  # what a label-only adapter answers
CUT_LONG = (f"{NO_LABEL} Reasoning: The poster asks other users whether Ancestry.com is safe to use and shares no "
            "sadness, hopelessness or loss of interest, and the tone of the post is calm and")
ELLIPSIS = (f"{NO_LABEL} Reasoning: The poster asks other users whether Ancestry.com is safe to use and shares no "
            "sadness, hopelessness or loss of interest, and so on...")
QUOTED = ('Yes, the poster suffers from depression. Reasoning: The poster writes that nothing has felt worth doing '
          'for months and ends the post with "I just want to sleep and not wake up."')
FREE_FORM = ("The poster does not seem depressed. They only ask whether a genealogy website is safe and what other "
             "people experienced with it, without any sign of sadness.")


def dr(answer) -> bool:
    """Whether DR's strict label method reads a label from the answer (what eval passes as ``labelled``)."""
    return parse_label("DR", answer) is not None


def test_split_at_the_marker_or_after_the_first_sentence():
    assert ex.split_answer(GOLD) == (NO_LABEL, GOLD_REASON, True)
    assert ex.split_answer("Yes.\n  reasoning :  It   shows stress.") == ("Yes.", "It shows stress.", True)
    assert ex.split_answer(FREE_FORM) == ("The poster does not seem depressed.", FREE_FORM.split(". ", 1)[1], False)
    assert ex.split_answer("No") == ("No", "", False)
    assert ex.split_answer(None) == ex.split_answer("   ") == ("", "", False)


def test_gold_reasoning_is_none_without_an_explanation():
    assert ex.gold_reasoning(GOLD) == GOLD_REASON
    for bare in ("no", NO_LABEL, f"{NO_LABEL} Reasoning: ...", f"{NO_LABEL} Reasoning:", ""):
        assert ex.gold_reasoning(bare) is None, bare


@pytest.mark.parametrize("answer, reason", [
    (FULL, None), (QUOTED, None), (GOLD, None),
    (CUT, "short_reasoning"), (f"{NO_LABEL}", "short_reasoning"), (CUT_LONG, "unfinished_reasoning"),
    (ELLIPSIS, "unfinished_reasoning"), ("", "empty_answer"), ("  \n", "empty_answer"),
    ("Reasoning: " + FULL.split("Reasoning: ")[1], "no_label_sentence"),
])
def test_why_not_explained(answer, reason):
    assert ex.why_not_explained(answer, dr(answer)) == reason


def test_fifteen_words_is_the_bar_and_the_label_must_be_read():
    fifteen = " ".join(f"w{i}" for i in range(14)) + " end."
    assert ex.words(fifteen) == 15 and ex.words("a - , b") == 2
    assert ex.why_not_explained(f"No. Reasoning: {fifteen}") is None
    assert ex.why_not_explained(f"No. Reasoning: {fifteen.split(' ', 1)[1]}") == "short_reasoning"
    # a free-form answer is explained when a label is read from it (the parser reads its first sentence)
    assert ex.why_not_explained(FREE_FORM) is None
    assert not dr(FREE_FORM) and ex.why_not_explained(FREE_FORM, dr(FREE_FORM)) == "no_label_sentence"
    stated = FREE_FORM.replace("does not seem depressed", "does not suffer from depression")
    assert dr(stated) and ex.why_not_explained(stated, dr(stated)) is None


def test_finished_sentence_ends():
    for text in ("It ends.", "Does it?", 'He said "stop."', "(as the post says.)", "It ends!  "):
        assert ex.finished(text), text
    for text in ("It ends with the", "It trails off...", "It trails off…", 'He said "stop', "3.5"):
        assert not ex.finished(text), text


def test_rouge_l_scores_the_reasoning_with_rouge_score():
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    answers = [FULL, CUT, CUT_LONG, FREE_FORM, QUOTED]
    out = ex.explanation_scores(answers, [GOLD] * len(answers))
    want = [scorer.score(GOLD_REASON, ex.split_answer(a).reasoning)["rougeL"].fmeasure * 100 for a in answers]
    assert out["rows"]["rouge_l"] == pytest.approx(want)
    assert out["rouge_l"] == pytest.approx(sum(want) / len(want))
    assert len(set(want)) == len(want) and 0 < min(want)  # distinct rows: a shifted row would show
    # the label sentence is not scored: the same reasoning under another label sentence scores the same
    other = ex.explanation_scores([FULL.replace(NO_LABEL, "Yes, the poster suffers from depression.")], [GOLD])
    assert other["rows"]["rouge_l"] == [want[0]]
    # the Porter stemmer: inflections match, as with evaluate's rouge(use_stemmer=True)
    stems = ex.explanation_scores(["No. Reasoning: The posts mentioned worries."], ["No. Reasoning: The post mentions worry."])
    assert stems["rouge_l"] == pytest.approx(100.0)


def test_counts_per_reason_and_explained_rate():
    answers = [FULL, CUT, "", FREE_FORM, CUT_LONG, QUOTED, "No"]
    golds = [GOLD, GOLD, GOLD, GOLD, "no", GOLD, GOLD]  # row 4's gold is a bare label
    out = ex.explanation_scores(answers, golds, [dr(a) for a in answers])
    counts = out["explanation_counts"]
    assert counts == {"rows": 7, "scored": 6, "gold_without_explanation": 1, "empty_answer": 1, "empty_reasoning": 1,
                      "no_reasoning_marker": 2, "explained": 2,
                      "not_explained": {"empty_answer": 1, "no_label_sentence": 1, "short_reasoning": 2,
                                        "unfinished_reasoning": 1}}
    assert out["rows"]["explained"] == [True, False, False, False, False, True, False]
    assert out["explained_rate"] == pytest.approx(2 / 7 * 100)
    rouge = out["rows"]["rouge_l"]
    assert rouge[4] is None and rouge[2] == 0.0 and rouge[6] == 0.0  # left out; empty answer; no reasoning
    assert out["rouge_l"] == pytest.approx(sum(v for v in rouge if v is not None) / 6)
    assert "rouge_l_note" not in out
    line = ex.counts_line(counts)
    assert line.startswith("1 gold answers without an explanation (left out of ROUGE-L); 1 empty answers; ")
    assert line.endswith("not explained: empty answer 1, no label sentence 1, short reasoning 2, unfinished reasoning 1")


def test_no_gold_explanation_is_none_with_a_note_not_zero():
    out = ex.explanation_scores([FULL, CUT], ["no", f"{NO_LABEL} Reasoning: ..."], [True, True])
    assert out["rouge_l"] is None and out["rows"]["rouge_l"] == [None, None]
    assert out["rouge_l_note"] == ("ROUGE-L not computed: none of the 2 gold answers has an explanation "
                                   "(a non-empty 'Reasoning:' part)")
    assert out["explained_rate"] == 50.0  # the explained rate needs no gold


def test_bad_input():
    with pytest.raises(UserError, match=r"^generated answers and gold answers differ in length: 2 and 1$"):
        ex.explanation_scores([FULL, CUT], [GOLD])
    with pytest.raises(UserError, match=r"^`labelled` must have one flag per answer: 1 for 2 answers$"):
        ex.explanation_scores([FULL, CUT], [GOLD, GOLD], [True])
    out = ex.explanation_scores([None], [GOLD])  # a missing answer is an empty one
    assert out["rows"] == {"rouge_l": [0.0], "explained": [False]}
    assert out["explanation_counts"]["empty_answer"] == 1
