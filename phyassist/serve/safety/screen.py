"""Screening for self-harm or suicidal intent: one message, or the recent turns of a conversation.

``detect_crisis(text)`` runs the phrase rules (``rules``) on ``text.normalize``'d text and, where no
rule fires, the learned layer (``model``). A rule hit fires unless the learned layer scores the message
below that rule family's clearing threshold ("topic", the noun "suicide" alone; "intent", "keyword",
"de"... whose words have everyday senses), chosen by the build so that each family keeps 95% of its crisis
hits. ``screen_conversation`` screens the recent user turns, one by one and read across turns.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import shipped
from .rules import match_rules
from .text import normalize


@dataclass(frozen=True)
class CrisisSignal:
    phrase: str  # the normalised text span (or, for the learned layer, the message) that triggered the screen
    rule: str = ""  # the rule family ("intent", "means", "burden", "es", "topic", ...) or "model"


def detect_crisis(text: str | None) -> CrisisSignal | None:
    """A CrisisSignal when the message suggests self-harm or suicidal intent, else None."""
    if not text or not str(text).strip():
        return None
    normalized = normalize(text)
    hit = match_rules(normalized)
    model = shipped()
    if hit:
        if model is not None and model.clears(text, hit[0]):
            return None  # "an essay on suicide in literature", "this job is killing me lol": read as harmless
        return CrisisSignal(hit[1], hit[0])
    if model is not None and model.fires(text):
        return CrisisSignal(normalized[:200], "model")
    return None


# Recent user turns screened together: a short follow-up ("yes, tonight") after a crisis message still counts.
SCREEN_TURNS = 4


def screen_conversation(user_turns, window: int = SCREEN_TURNS) -> CrisisSignal | None:
    """A CrisisSignal when any of the last ``window`` user turns (newest last) suggests a crisis, else None."""
    recent = [str(t) for t in (user_turns or []) if t and str(t).strip()][-window:]
    for text in reversed(recent):
        signal = detect_crisis(text)
        if signal:
            return signal
    # a phrase split over turns ("I'm going to fix that" / "for good") is read across them
    return detect_crisis(" \n ".join(recent)) if len(recent) > 1 else None
