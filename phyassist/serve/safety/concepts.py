"""A multilingual concept lexicon for the learned layer: the words of some 30 languages mapped to shared tokens.

``concepts(cleaned)`` lists, in reading order, the concepts a ``rules.clean``'d message names (``DIE``,
``PILLS``, ``TONIGHT``, ``WITHOUT_ME``, ``STUDY``...), as the package's ``concepts.txt`` spells them.
The model learns one weight per concept and concept pair, shared by every language, so what it learns
from English and Spanish messages carries to a Polish or Korean one that uses the same ideas in other
words. Words only, no decisions: the phrase rules decide alone (``rules``), this only feeds the model.
"""

from __future__ import annotations

import re
from importlib import resources

LEXICON = "concepts.txt"  # package data: the concepts and their words
_B = r"(?<![^\W\d_])"  # start of a word in a spaced script (no letter before)


def read_lexicon(text: str) -> dict[str, list[str]]:
    """``{concept: [regex, ...]}`` from the lexicon's text (see the comment at its top)."""
    lexicon: dict[str, list[str]] = {}
    name = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if header := re.fullmatch(r"\[([A-Z_]+)\]", line):
            name = header.group(1)
            lexicon[name] = []
        elif name is None:
            raise ValueError(f"{LEXICON}: a word before any [CONCEPT] header: {line!r}")
        else:
            lexicon[name].append(_B + line[2:] if line.startswith("@ ") else line)
    return lexicon


CONCEPTS = read_lexicon(resources.files(__package__).joinpath(LEXICON).read_text(encoding="utf-8"))
_PATTERNS = [(name, re.compile("|".join(f"(?:{p})" for p in alts))) for name, alts in CONCEPTS.items()]


def concepts(cleaned: str) -> list[str]:
    """The concepts ``cleaned`` text names, in reading order (a concept once per place it is named)."""
    found = []
    for name, pattern in _PATTERNS:
        found += [(m.start(), name) for m in pattern.finditer(cleaned)]
    return [name for _, name in sorted(found)]


def concept_tokens(cleaned: str) -> str:
    """The message as a line of concept tokens with the pairs that co-occur: what the model's concept
    features hash. Pairs are unordered, so "pills ... tonight" and "tonight ... pills" are one feature."""
    names = concepts(cleaned)
    present = sorted(set(names))
    pairs = [f"{a}+{b}" for i, a in enumerate(present) for b in present[i + 1:]]
    return " ".join(names + pairs)
