"""The phrase rules of the crisis screen: blank idioms and denials, then match positive rules in order.

``match_rules(text)`` runs on ``text.normalize``'d text: it blanks what ``exclusions`` lists, then
returns the first positive rule that matches as ``(category, phrase)``, or None. The order is fixed:
direct English phrases, other languages, then broader concepts in English and other languages.
Keywords that survive any separators (``s.u.i.c.i.d.e``) are matched per word on the letters alone.
"""

from __future__ import annotations

import re

from .english import BROADER as ENGLISH_BROADER
from .english import PHRASES as ENGLISH
from .exclusions import DENIALS, FRAME, IDIOMS
from .languages import BROADER as OTHER_LANGUAGES_BROADER
from .languages import PHRASES as OTHER_LANGUAGES
from .text import squash

POSITIVE: list[tuple[str, str]] = ENGLISH + OTHER_LANGUAGES + ENGLISH_BROADER + OTHER_LANGUAGES_BROADER

_KEYWORDS = ("suicid", "killmyself", "killmyslf", "endmylife", "takemyownlife", "takemylife", "wanttodie",
             "wannadie", "selfharm", "unalive", "kmsrn", "selbstmord", "suizid", "matarme", "suicidarme",
             "quieromorir", "jeveuxmourir", "queromorrer", "zelfmoord", "hangmyself", "slitmywrists", "overdose")

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
    """``(category, phrase)`` of the first positive rule matching ``normalized`` text, or None."""
    cleaned = clean(normalized)
    for name, pattern in _POSITIVE_RES:
        m = pattern.search(cleaned)
        if m:
            return name, m.group(0)
    for word in cleaned.split():
        letters = squash(word)
        for keyword in _KEYWORDS:
            if len(letters) > len(keyword) - 1 and keyword in letters and letters != word:
                return "keyword", word
    return None
