"""Read the verdict a response states in its own words before its reasoning ("The poster does not
appear to suffer from depression."), by comparing its head with the task's label sentences after the
same light normalisation on both sides (``canon``)."""

from __future__ import annotations

import re
from functools import lru_cache

from ...data.tasks import get_task

_DROP = {"the", "a", "an", "this", "that", "these", "those"}
_NEGATION = {"not", "no", "never", "neither", "nor", "without", "cannot", "lack", "lacks", "absence", "none"}
_HEDGE = {"whether", "unclear", "uncertain", "unsure", "might", "may", "maybe", "possibly", "perhaps", "difficult",
          "hard", "impossible", "insufficient", "ambiguous", "determine"}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def canon(text: str) -> list[str]:
    """Lower-cased words, negations split off ("doesn't" -> "does not"), articles dropped, final "s" removed."""
    text = re.sub(r"n't\b", " not", str(text).lower().replace("’", "'"))
    return [_stem(w) for w in re.findall(r"[a-z]+", text) if w not in _DROP]


def head_of(text: str) -> str:
    """The statement part of a response: before ``Reasoning:``, else up to the end of its first sentence."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    m = re.search(r"\breasoning\s*:", text, flags=re.IGNORECASE)
    if m and m.start() <= 400:
        return text[: m.start()]
    m = re.search(r"[.!?](?:\s|$)", text)
    return text[: m.start()] if m else text[:300]


def _find(words: list[str], phrase: tuple[str, ...]) -> int:
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if tuple(words[i:i + n]) == phrase:
            return i
    return -1


@lru_cache(maxsize=None)
def _binary_key(name: str) -> tuple[str, ...]:
    """The words the yes and the no sentence end with, e.g. ("suffer", "from", "depression")."""
    task = get_task(name)
    yes, no = canon(task.sentences["yes"]), canon(task.sentences["no"])
    key = []
    for a, b in zip(reversed(yes), reversed(no)):
        if a != b:
            break
        key.insert(0, a)
    return tuple(key)


@lru_cache(maxsize=None)
def _label_phrases(name: str) -> tuple[tuple[tuple[str, ...], str, bool], ...]:
    """(canonical phrase, label, is a whole sentence) for a multi-class task, longest first."""
    task = get_task(name)
    out = set()
    for label in task.labels:
        for sentence in (task.sentences[label], *task.aliases.get(label, ())):
            out.add((tuple(canon(sentence)), label, True))
        for phrase in (task.answers[label], label):
            out.add((tuple(canon(phrase)), label, False))
    return tuple(sorted((p for p in out if p[0]), key=lambda p: (-p[2], -len(p[0]))))


@lru_cache(maxsize=None)
def _frame(name: str) -> frozenset[str]:
    """Words every label sentence of a multi-class task shares, "post" aside: SAD's {show, stres, cause}."""
    task = get_task(name)
    common = set.intersection(*(set(canon(task.sentences[label])) for label in task.labels))
    return frozenset(common - {"post", "of", "to", "in", "related"})


@lru_cache(maxsize=None)
def _aspect_words(name: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(canon(a)) for a in get_task(name).aspects)


def _names_it(words: list[str], i: int) -> bool:
    """The phrase at ``i`` is the verdict's object ("related to work", "cause is work"), not a passing
    mention ("office work as causes of stress")."""
    return tuple(words[max(0, i - 2):i]) in (("related", "to"), ("due", "to")) or (i > 0 and words[i - 1] in ("is", "are", "was", "were"))


def _clauses(head: str) -> list[list[str]]:
    return [c for c in (canon(part) for part in re.split(r"[,;:()]|\bbut\b|\bhowever\b", head, flags=re.IGNORECASE)) if c]


def read_statement(task: str, text) -> str | None:
    """The label the response's head states in other words than the gold sentence, or None.

    The head is the text before ``Reasoning:``, else its first sentence (``head_of``); both it and the
    label sentences go through ``canon``: lower case, "n't" -> "not", articles and demonstratives
    dropped, a plural or third-person "s" removed.

    - Binary tasks: the words the yes and no sentences end with ("suffer from depression", "exist in
      post", "show risk") must appear in a clause of the head; a negation earlier in that clause makes
      it "no". Irf and MultiWD ask about one risk or dimension at a time: a head that names one ("the
      emotional dimension exists") may be about another than the one asked, so it is left to the
      classifier.
    - Multi-class tasks: a whole label sentence anywhere in the head, else, in a clause worded as a
      verdict (it has the words every label sentence of the task shares, such as "stress cause"), the
      label phrases it names as the verdict's object ("related to work", "is work"; not negated), the
      earliest one winning ("related to work and school" is work).

    A hedged clause ("whether", "unclear", "might", ...) or nothing recognisable gives ``None``, and
    the caller falls back to a classifier.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    name = get_task(task).name
    clauses = _clauses(head_of(text))
    if get_task(name).binary:
        key = _binary_key(name)
        if any(_find(c, a) >= 0 for c in clauses for a in _aspect_words(name)):
            return None
        for words in clauses:
            i = _find(words, key) if key else -1
            if i < 0:
                continue
            if _HEDGE & set(words):
                return None
            return "no" if _NEGATION & set(words[:i]) else "yes"
        return None
    whole = [w for c in clauses for w in c]
    for phrase, label, sentence in _label_phrases(name):
        if sentence and _find(whole, phrase) >= 0:
            return label
    best = None  # (position, -length, label) of the earliest mention that is not negated or hedged
    frame = _frame(name)
    for words in clauses:
        if _HEDGE & set(words) or len(frame & set(words)) < min(2, len(frame)):
            continue
        for phrase, label, sentence in _label_phrases(name):
            i = _find(words, phrase)
            if sentence or i < 0 or _NEGATION & set(words[:i]) or not _names_it(words, i):
                continue
            cand = (clauses.index(words), i, -len(phrase), label)
            best = min(best, cand) if best else cand
        if best:
            return best[3]
    return None
