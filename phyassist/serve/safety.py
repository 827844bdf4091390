"""Crisis safety for the demo: a self-harm / suicidal-intent detector, crisis resources and a disclaimer.

``detect_crisis(text)`` runs hand-written patterns over a normalised copy of a user message and
returns a ``CrisisSignal`` (the matched phrase) or None. It favours recall: it fires on first-person
ideation, plans, means and farewells, on self-harm, and on someone else at current risk ("my friend
wants to kill herself"); it stays quiet on explicit denials ("I'm not suicidal"), idioms ("this
commute is killing me") and past suicides of others ("I lost a friend to suicide"). Its recall and
false-positive rate are measured by ``benchmarks/space_bench.py`` (see ``benchmarks/RESULTS.md``).

It deliberately is not a classifier and not a risk assessment: a regex screen cannot understand
context, so the app shows resources whenever it fires and never refuses to answer because of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_SELF = r"(?:myself|my ?self)"
_I = r"(?:i|i'm|im|i am|i've|ive|i'll|ill|i'd|id)"
# Positive patterns. The text is lower-cased, apostrophes unified and whitespace collapsed first.
_POSITIVE = [
    r"suicid(?:al|e note|e plan|e attempt|e pact)|(?:my|a) suicide\b|suicide (?:is|seems|feels|looks)",
    r"(?:thinking|think|thought|thoughts|considering|consider|contemplating|planning|plan|want|wanting|going|"
    r"tempted|ready|decided|tried|trying|attempted|attempt)\s+(?:about\s+|of\s+|to\s+)?(?:commit(?:ting)?\s+)?suicide",
    r"(?:commit|committing)\s+suicide",
    r"(?:kill|killed|killing|hurt|hurting|harm|harming|cut|cutting|burn|burning|hang|hanging|shoot|shooting|"
    r"poison|poisoning|starve|starving|drown|drowning)\s+(?:" + _SELF + r"|(?:him|her|them)sel(?:f|ves))\b(?! off| out| in (?!the |a |my |front ))",
    r"\bkms\b|\bkys\b|unalive|off myself\b",
    r"self[- ]?harm|self[- ]?injur|self[- ]?mutilat|(?:cutting|cut) (?:my|on my) (?:arms?|wrists?|legs?|thighs?|skin)",
    r"slit(?:ting)? (?:my|his|her|their) wrists?",
    r"(?:end|ending|take|taking|took) (?:my|his|her|their) (?:own )?life\b(?! in | into | to | back| seriously)",
    r"end (?:it all|everything|things)\b|ending it all|ready to end it\b",
    r"(?:wants?|wanna|wish|wished|wishing|ready|deserve|need|longing|long) (?:to )?(?:be )?(?:dead|die|disappear forever)",
    r"(?:want|wanna|wish) (?:i was|i were|to be) (?:dead|never born|gone for good)",
    r"(?:don't|do not|dont) want to (?:live|be alive|exist|wake up|be here anymore|be here any more)",
    r"(?:no|any) (?:reason|point) (?:to|in|of) (?:keep )?(?:living|live|go on|going on|being alive)",
    r"(?:can't|cannot|cant|can) (?:go on|keep going|do this) any ?(?:more|longer)",
    r"better off (?:dead|without me)|(?:world|everyone|they)(?:'d| would) be better (?:off )?without me",
    r"(?:overdose|od) on|took (?:a bunch of|all (?:my|the)|too many) (?:pills|tablets)|(?:swallow|take) all (?:my|the) pills",
    r"(?:jump|jumping) (?:off|from) (?:a|the|this) (?:bridge|building|roof|cliff)|in front of a (?:train|bus|car)",
    r"(?:bought|buy|got|have|has) (?:a )?(?:rope|noose|gun) (?:to|for) (?:end|kill|use on)",
    r"(?:noose|tie a rope)",
    r"(?:saying|say|said|write|writing|wrote) (?:my )?goodbye(?:s)? (?:to everyone|forever|for good|letters?)|goodbye letter",
    r"(?:this|tonight|today) (?:is|will be) (?:my|the) last (?:day|night)|won't be (?:here|around) (?:tomorrow|much longer)",
    r"(?:wants?|wanted|going|trying|threaten(?:s|ed|ing)?|talks? about|talking about) (?:to )?(?:kill|hurt) (?:him|her|them)sel(?:f|ves)",
    r"(?:hurt|harm|kill)(?:ing)? (?:him|her|them)sel(?:f|ves)",
    r"(?:not|never) (?:want|wanting) to (?:wake up|live)",
    r"(?:rather|prefer to) (?:never wake up|not wake up|be dead|not exist|not be alive|die)",
    r"life (?:is|isn't|is not) (?:not )?worth living|not worth living",
    r"(?:give|giving) away (?:all )?my (?:stuff|things|belongings)",
    _I + r" (?:should|deserve to|need to|want to|am going to|will) (?:just )?die",
]
# Denials and idioms removed before matching: they contain positive words but state no intent.
_NEGATED = [
    r"(?:not|never|no longer|wasn't|isn't|i'm not|im not) (?:been |ever |really |actually |feeling )?suicidal",
    r"(?:never|not|haven't|have not|didn't|did not) (?:ever )?(?:tried|attempted|contemplated|considered|"
    r"thought about|thought of|planned) (?:suicide|killing " + _SELF + r"|to kill " + _SELF + r"|self[- ]?harm)",
    r"(?:not|never|wouldn't|would not|won't|will not) (?:going to |gonna |ever )?(?:kill|hurt|harm) " + _SELF,
    r"(?:no|without) (?:suicidal|self[- ]?harm) (?:thoughts|ideation|intent|urges)",
    r"(?:never|wouldn't|would not|won't|will not|not going to) (?:ever )?(?:take|end) my (?:own )?life",
    r"(?:don't|do not|dont) want to die",
    r"(?:i'm|im|i am) not (?:self[- ]?harming|cutting)",
    r"(?:lost|losing) (?:a |my |his |her |their |our )?\w+(?: \w+)? to suicide",
    r"(?:died|died by|death by|passed away by) suicide",
    r"suicide prevention|suicide hotline|suicide awareness",
    r"\b(?:is|are|was) killing me\b",
]
_POSITIVE_RE = re.compile("|".join(f"(?:{p})" for p in _POSITIVE))
_NEGATED_RE = re.compile("|".join(f"(?:{p})" for p in _NEGATED))


@dataclass(frozen=True)
class CrisisSignal:
    phrase: str  # the normalised text span that triggered the detector


def normalize(text: str) -> str:
    text = str(text).lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip()


def detect_crisis(text: str | None) -> CrisisSignal | None:
    """A CrisisSignal when the message suggests self-harm or suicidal intent, else None."""
    if not text:
        return None
    cleaned = _NEGATED_RE.sub(" ", normalize(text))
    match = _POSITIVE_RE.search(cleaned)
    return CrisisSignal(match.group(0)) if match else None


def crisis_notice() -> str:
    """The Markdown block placed before any model text when the detector fires."""
    quoted = "\n".join("> " + line for line in CRISIS_RESOURCES.splitlines())
    return f"> ### \u26a0\ufe0f {CRISIS_TITLE}\n{quoted}\n\n---\n\n"


def strip_crisis_notice(text: str) -> str:
    """Remove a leading crisis notice from an assistant turn (so the model never sees it as its own words)."""
    notice = crisis_notice()
    return text[len(notice):] if text.startswith(notice) else text
