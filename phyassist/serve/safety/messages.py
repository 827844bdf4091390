"""What the Space shows around the crisis screen: the disclaimer, the crisis resources and the fixed reply.

``crisis_notice()`` is the resources block placed before any text when the screen fires;
``crisis_reply()`` is the whole answer given instead of model text (the resources, then ``SAFE_REPLY``).
"""

from __future__ import annotations

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


def crisis_reply() -> str:
    """The whole answer when the screen fires: the resources, then the fixed supportive message."""
    return crisis_notice() + SAFE_REPLY


def crisis_notice() -> str:
    """The Markdown block placed before any model text when the detector fires."""
    quoted = "\n".join("> " + line for line in CRISIS_RESOURCES.splitlines())
    return f"> ### \u26a0\ufe0f {CRISIS_TITLE}\n{quoted}\n\n---\n\n"
