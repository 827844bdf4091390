"""Normalisation of a message before crisis screening, so that spelling tricks do not hide a signal.

``normalize(text)`` gives lower-case text with Latin letters ASCII-folded: Unicode NFKC (full-width
and styled letters), small capitals mapped to Latin and Cyrillic/Greek look-alikes too inside words that
mix them with Latin letters (``mуself``; Russian or Greek words stay as written), zero-width and control
characters removed, accents stripped (``ł``, ``ı``, ``ø`` too; kana voicing marks and Hangul syllables
kept), apostrophes unified, digit/symbol substitutions inside words undone (``k1ll`` -> ``kill``),
letter-spaced words joined (``s u i c i d e`` -> ``suicide``) and whitespace collapsed. ``squash(text)`` keeps letters only, for the few keywords that are matched
across any separators (``s.u.i.c.i.d.e``, ``sui-cide``).
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and invisible formatting characters: removed outright (they only hide words).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"))
# Look-alikes that NFKC keeps: small capitals and Latin letters that carry no combining accent.
_LOOKALIKES = str.maketrans({
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz")),
    **dict(zip("łŁıđĐøØħĦŧŦ", "lLidDoOhHtT")),
    "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'",
})
# Cyrillic and Greek letters shaped like Latin ones: mapped only inside a word that also holds a Latin
# letter ("kill mуself"), so that Russian, Ukrainian or Greek text keeps its own letters.
_HOMOGLYPHS = str.maketrans({
    **dict(zip("аеіјорсхуѕԁһӏԛԝкмнтвАВЕКМНОРСТХІЈЅ", "aeijopcxysdhlqwkmhtbabekmhopctxijs")),
    **dict(zip("αβεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", "abeiknoptuxabehikmnoptxyz")),
})
_MIXED_WORD = re.compile(r"\w*[a-zA-Z]\w*")
# Combining marks that are accents (Latin, Greek, Cyrillic diacritics; Arabic short vowels): stripped.
# Others (kana voicing, Indic vowel signs) change the letter and stay.
_ACCENTS = re.compile("[\u0300-\u036f\u0483-\u0489\u064b-\u065f\u0670\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Digit and symbol substitutions, undone only inside words that also contain letters.
_LEET = str.maketrans("013457@$!|", "oieastasil")
_LEET_WORD = re.compile(r"(?<![\w@$!|])(?=[\w@$!|]*[a-z])(?=[\w@$!|]*[0-9@$!|]\w)[\w@$!|]*\w")
# Three or more single letters (any script) separated by one space, dot, dash, underscore or star: a
# spaced-out word ("s u i c i d e", "х о ч у").
_LETTER = r"[^\W\d_]"
_SPACED = re.compile(rf"(?<!{_LETTER})(?:{_LETTER}[ .\-_*~+]){{2,}}{_LETTER}(?!{_LETTER})")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SINGLE = "aiuy"  # letters English hardly ever doubles: a stretched one goes back to one ("diiiie")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE).translate(_LOOKALIKES)
    text = _MIXED_WORD.sub(lambda m: m.group(0).translate(_HOMOGLYPHS), text)
    text = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))
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
