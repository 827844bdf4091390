"""Normalisation of a message before crisis screening, so that spelling tricks do not hide a signal.

``normalize(text)`` gives lower-case ASCII-folded text: Unicode NFKC (full-width and styled letters),
small capitals and common Cyrillic/Greek look-alikes mapped to Latin, zero-width and control
characters removed, accents stripped, apostrophes unified, digit/symbol substitutions inside words
undone (``k1ll`` -> ``kill``), letter-spaced words joined (``s u i c i d e`` -> ``suicide``) and
whitespace collapsed. ``squash(text)`` keeps letters only, for the few keywords that are matched
across any separators (``s.u.i.c.i.d.e``, ``sui-cide``).
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and invisible formatting characters: removed outright (they only hide words).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"))
# Look-alikes that NFKC keeps: small capitals, Cyrillic and Greek letters shaped like Latin ones.
_LOOKALIKES = str.maketrans({
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz")),
    **dict(zip("аеіјорсхуѕԁһӏԛԝкмнтвАВЕКМНОРСТХІЈЅ", "aeijopcxysdhlqwkmhtbabekmhopctxijs")),
    **dict(zip("αβεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", "abeiknoptuxabehikmnoptxyz")),
    "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'",
})
# Digit and symbol substitutions, undone only inside words that also contain letters.
_LEET = str.maketrans("013457@$!|", "oieastasil")
_LEET_WORD = re.compile(r"(?<![\w@$!|])(?=[\w@$!|]*[a-z])(?=[\w@$!|]*[0-9@$!|]\w)[\w@$!|]*\w")
# Three or more single letters separated by one space, dot, dash, underscore or star: a spaced-out word.
_SPACED = re.compile(r"(?<![a-z])(?:[a-z][ .\-_*~+]){2,}[a-z](?![a-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SINGLE = "aiuy"  # letters English hardly ever doubles: a stretched one goes back to one ("diiiie")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE).translate(_LOOKALIKES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold()
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def _unleet(match: re.Match) -> str:
    word = match.group(0)
    if re.fullmatch(r"\d+(?:st|nd|rd|th|s|am|pm|k|km|mg|kg|h|min|x)?", word):  # 2nd, 10pm, 5k, 90s
        return word
    return word.translate(_LEET)


def normalize(text: str | None) -> str:
    """The text as crisis rules see it (see the module docstring)."""
    text = _fold(text or "")
    text = _LEET_WORD.sub(_unleet, text)
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*~+]", "", m.group(0)), text)
    text = _REPEATS.sub(lambda m: m.group(1) * (1 if m.group(1) in _SINGLE else 2), text)  # "killlll" -> "kill"
    return re.sub(r"\s+", " ", text).strip()


def squash(normalized: str) -> str:
    """Letters only: what keyword rules match across separators."""
    return re.sub(r"[^a-z]", "", normalized)
