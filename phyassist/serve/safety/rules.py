"""The phrase rules of the crisis screen: blank idioms and denials, then match positive rules in order.

``match_rules(text)`` runs on ``text.normalize``'d text: it blanks what ``exclusions`` lists, then
returns the first positive rule that matches as ``(category, phrase)``, or None. The order is fixed:
direct English phrases, other languages, then broader concepts in English and other languages.
Keywords that survive any separators (``s.u.i.c.i.d.e``) are matched per word on the letters alone.
A match that is only the noun "suicide" (``multilingual.TOPIC``) counts when nothing else matches, as
``("topic", noun)``: the screen lets the learned layer weigh it.
"""

from __future__ import annotations

import re

from .english import BROADER as ENGLISH_BROADER
from .english import PHRASES as ENGLISH
from .exclusions import DENIALS, FRAME, IDIOMS
from .languages import BROADER as OTHER_LANGUAGES_BROADER
from .languages import PHRASES as OTHER_LANGUAGES
from .multilingual import PHRASES as MORE_LANGUAGES
from .multilingual import TOPIC
from .text import squash

POSITIVE: list[tuple[str, str]] = (ENGLISH + OTHER_LANGUAGES + MORE_LANGUAGES + ENGLISH_BROADER
                                   + OTHER_LANGUAGES_BROADER)

_KEYWORDS = ("suicid", "killmyself", "killmyslf", "endmylife", "takemyownlife", "takemylife", "wanttodie",
             "wannadie", "selfharm", "unalive", "kmsrn", "selbstmord", "suizid", "matarme", "suicidarme",
             "quieromorir", "jeveuxmourir", "queromorrer", "zelfmoord", "hangmyself", "slitmywrists", "overdose",
             "ichwillsterben", "vogliomorire", "ikwildood", "chceumrzec", "olmekistiyorum", "pengenmati", "inginmati",
             "marnahai", "marnachahta", "marnachahti", "muonchet")

# Keywords that are phrases run together: no ordinary word holds them, so they count even when the
# message wrote them as one word ("i w a n t t o d i e" is normalised to "iwanttodie").
_RUN_TOGETHER = {k for k in _KEYWORDS if k not in ("suicid", "unalive", "selbstmord", "suizid", "matarme", "suicidarme",
                                                   "zelfmoord", "overdose")}

_IDIOM_RE = re.compile("|".join(f"(?:{p})" for p in IDIOMS))
_DENIAL_RE = re.compile("|".join(f"(?:{p})" for p in DENIALS))
_POSITIVE_RES = [(name, re.compile(p)) for name, p in POSITIVE]


def _blank_denials(text: str) -> str:
    out, last = [], 0
    for m in _DENIAL_RE.finditer(text):
        if FRAME.search(text[max(0, m.start() - 60):m.start()]):
            continue  # "I can't say I'm not suicidal": a signal, not a denial
        out.append(text[last:m.start()] + " ; ")
        last = m.end()
    return "".join(out) + text[last:]


def clean(normalized: str) -> str:
    """The text with idioms and sincere denials blanked out (what the positive rules see)."""
    return _blank_denials(_IDIOM_RE.sub(" ; ", normalized))


def match_rules(normalized: str) -> tuple[str, str] | None:
    """``(category, phrase)`` of the first positive rule matching ``normalized`` text, ``("topic", noun)``
    when the noun "suicide" is all that matches, or None."""
    cleaned = clean(normalized)
    topic = None
    for name, pattern in _POSITIVE_RES:
        for m in pattern.finditer(cleaned):
            if not TOPIC.fullmatch(m.group(0)):
                return name, m.group(0)
            topic = topic or m.group(0)
    for word in cleaned.split():
        letters = squash(word)
        for keyword in _KEYWORDS:
            if len(letters) > len(keyword) - 1 and keyword in letters and (letters != word or keyword in _RUN_TOGETHER):
                if not TOPIC.fullmatch(letters):
                    return "keyword", word
                topic = topic or word
    return ("topic", topic) if topic else None
