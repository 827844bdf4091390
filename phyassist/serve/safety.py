"""Crisis safety for the demo: screening for self-harm or suicidal intent, resources, a fixed reply.

``detect_crisis(text)`` screens one message: phrase rules (``crisis_rules``, seven languages, on text
normalised by ``crisis_text`` so spacing, digits, look-alike letters and zero-width characters do not
hide a word) and, where no rule fires, the learned layer (``crisis_model``). ``screen_conversation``
screens the recent user turns, one by one and read across turns. Misses cost more than false alarms:
a false alarm costs a resource banner, never a refusal. When the screen fires, the Space answers with
``crisis_reply()`` (the resources and a fixed supportive message) instead of model text. Recall and
false-alarm rates on held-out messages are measured by ``benchmarks/crisis_bench.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .crisis_model import shipped
from .crisis_rules import match_rules
from .crisis_text import normalize

DISCLAIMER = (
    "**Research demo, not a substitute for professional care.** phyassist models are small research "
    "models: they make mistakes, cannot diagnose anything and do not know you. If you are struggling, "
    "please talk to a mental-health professional or someone you trust."
)

# Shown before any model text when the detector fires. International first: the Space is public.
CRISIS_RESOURCES = (
    "**If you are thinking about suicide or harming yourself, you deserve support right now.** "
    "You are not alone, and talking to someone can help.\n"
    "- If you are in immediate danger, call your local emergency number (112 in the EU, 911 in the US, "
    "999 in the UK).\n"
    "- US: call or text **988** (Suicide & Crisis Lifeline). UK & Ireland: Samaritans **116 123**. "
    "Elsewhere: find a free, confidential helpline at **https://findahelpline.com**.\n"
    "- Reach out to someone you trust and tell them how you feel."
)
CRISIS_TITLE = "Crisis support"


@dataclass(frozen=True)
class CrisisSignal:
    phrase: str  # the normalised text span (or, for the learned layer, the message) that triggered the screen
    rule: str = ""  # the rule family ("intent", "means", "burden", "es", ...) or "model"


def detect_crisis(text: str | None) -> CrisisSignal | None:
    """A CrisisSignal when the message suggests self-harm or suicidal intent, else None."""
    if not text or not str(text).strip():
        return None
    normalized = normalize(text)
    hit = match_rules(normalized)
    if hit:
        return CrisisSignal(hit[1], hit[0])
    model = shipped()
    if model is not None and model.fires(text):
        return CrisisSignal(normalized[:200], "model")
    return None


# Recent user turns screened together: a short follow-up ("yes, tonight") after a crisis message still counts.
SCREEN_TURNS = 4

# The fixed answer given instead of model text when the screen fires (safe-messaging guidance: empathy, no
# judgement, no advice on methods, a direct invitation to reach a person now). Spaces may restore model text
# for research with PHYASSIST_CRISIS_MODEL_TEXT=1.
SAFE_REPLY = (
    "I'm really sorry you're going through this. What you're feeling matters, and you don't have to face "
    "it alone. I'm an AI research demo and can't give you the support you deserve right now, but people "
    "can: please contact one of the services above, or someone you trust, and tell them what you told "
    "me. If you might act on these thoughts, call your local emergency number now. (If I misread your "
    "message, I'm sorry: you can start a new conversation.)"
)


def screen_conversation(user_turns, window: int = SCREEN_TURNS) -> CrisisSignal | None:
    """A CrisisSignal when any of the last ``window`` user turns (newest last) suggests a crisis, else None."""
    recent = [str(t) for t in (user_turns or []) if t and str(t).strip()][-window:]
    for text in reversed(recent):
        signal = detect_crisis(text)
        if signal:
            return signal
    # a phrase split over turns ("I'm going to fix that" / "for good") is read across them
    return detect_crisis(" \n ".join(recent)) if len(recent) > 1 else None


def crisis_reply() -> str:
    """The whole answer when the screen fires: the resources, then the fixed supportive message."""
    return crisis_notice() + SAFE_REPLY


def crisis_notice() -> str:
    """The Markdown block placed before any model text when the detector fires."""
    quoted = "\n".join("> " + line for line in CRISIS_RESOURCES.splitlines())
    return f"> ### \u26a0\ufe0f {CRISIS_TITLE}\n{quoted}\n\n---\n\n"
