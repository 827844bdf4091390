"""The crisis detector: recall on a hand-written phrase list, quiet on idioms, denials and counsel-chat."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phyassist.serve.safety import (
    DISCLAIMER,
    crisis_notice,
    detect_crisis,
    strip_crisis_notice,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"


def phrases(name: str) -> list[str]:
    return [line for line in (FIXTURES / name).read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_recall_on_the_phrase_list_is_at_least_95_percent():
    positives = phrases("crisis_positive.txt") + phrases("crisis_heldout.txt")
    assert len(positives) >= 100
    missed = [p for p in positives if detect_crisis(p) is None]
    assert 1 - len(missed) / len(positives) >= 0.95, missed


def test_held_out_recall_is_at_least_90_percent():
    heldout = phrases("crisis_heldout.txt")
    missed = [p for p in heldout if detect_crisis(p) is None]
    assert 1 - len(missed) / len(heldout) >= 0.9, missed


def test_hard_negatives_rarely_fire():
    negatives = phrases("crisis_negative.txt")
    fired = [n for n in negatives if detect_crisis(n)]
    assert len(fired) / len(negatives) <= 0.05, fired


@pytest.mark.parametrize("text", ["I'm not suicidal, just tired", "I would never kill myself",
                                  "This commute is killing me", "I lost my cousin to suicide", ""])
def test_denials_idioms_and_empty_text_do_not_fire(text):
    assert detect_crisis(text) is None


def test_signal_names_the_phrase_and_survives_case_and_curly_apostrophes():
    signal = detect_crisis("Honestly I DON\u2019T want to live anymore.")
    assert signal is not None and "want to live" in signal.phrase


def test_false_positive_rate_on_counsel_chat_questions_without_crisis_content(data_dir):
    """Questions outside the self-harm topic that a broad vocabulary screen finds no such words in."""
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(data_dir / "counsel-chat" / "20200325_counsel_chat.csv")
    topics = df.groupby("questionID").topic.apply(lambda s: set(s.dropna()))
    first = df.drop_duplicates("questionID").set_index("questionID")
    texts = first.questionTitle.fillna("") + " " + first.questionText.fillna("")
    screen = re.compile(CRISIS_SCREEN, re.I)
    clean = [t for qid, t in texts.items() if "self-harm" not in topics[qid] and not screen.search(t)]
    assert len(clean) > 700
    rate = sum(detect_crisis(t) is not None for t in clean) / len(clean)
    assert rate <= 0.02, rate


# A deliberately broad screen for suicide/self-harm vocabulary, used to define "no such content".
CRISIS_SCREEN = (
    r"suicid|self[- ]?harm|self[- ]?injur|kill(?:ing|ed)? (?:my|him|her|them)sel|cutting|cut (?:my|him|her)sel|"
    r"hurt(?:ing)? (?:my|him|her|them)sel|harm(?:ing)? (?:my|him|her|them)sel|want(?:ed|s)? to die|"
    r"(?:end|take) (?:my|his|her|their) (?:own )?life|overdos|wish i (?:was|were) dead|shouldn't be here|end it all"
)


def test_notice_and_disclaimer():
    notice = crisis_notice()
    assert "988" in notice and "findahelpline.com" in notice and notice.startswith("> ###")
    assert strip_crisis_notice(notice + "model text") == "model text"
    assert "not a substitute for professional care" in DISCLAIMER
