"""The strict parser: the label a response states at its start ("Yes, ...", "No. Reasoning: ...",
"This post shows the stress cause related to work."), as whole words and phrases, longest match first;
else the verdict stated in other words before the reasoning (``statement``)."""

from __future__ import annotations

import re
from functools import lru_cache

from ...data.tasks import ImhiTask, get_task, normalize
from .statement import read_statement

# answers often open with a tag the parser can skip ("Answer: yes", "Label: work")
_LEAD = re.compile(r"^(?:(?:final\s+)?answer|label|response|prediction|output)\s*[:\-]\s*")


def _phrases(task: ImhiTask) -> list[tuple[str, str]]:
    """(normalised phrase, label) pairs, longest first."""
    pairs = set()
    for label in task.labels:
        for text in (task.sentences[label], task.answers[label], *task.aliases.get(label, ())):
            pairs.add((normalize(text), label))
        pairs.add((normalize(label), label))
    return sorted(pairs, key=lambda p: -len(p[0]))


@lru_cache(maxsize=None)
def _patterns(name: str) -> list[tuple[re.Pattern, str]]:
    task = get_task(name)
    pats = [(re.compile(rf"{re.escape(p)}(?![\w-])"), label) for p, label in _phrases(task)]
    if not task.binary:
        # "This post shows <anything short> <answer>" in the first clause, e.g. "this post shows
        # causes of stress related to work": the answer must be a whole phrase before the clause ends.
        for p, label in _phrases(task):
            if not p.startswith("this post"):
                pats.append((re.compile(rf"this post (?:shows|indicates|reflects)\b[^.,;\n]{{0,60}}?\b{re.escape(p)}(?![\w-])"), label))
    return pats


def parse_label(task: str, text) -> str | None:
    """The label a response states at its start, or None. Case, leading white space and quotes are ignored.
    A verdict stated in other words before the reasoning is read by ``statement.read_statement``."""
    name = get_task(task).name
    if not isinstance(text, str):
        return None
    head = re.sub(r"\s+", " ", text).strip().lower().lstrip(" \"'*#>-:")
    head = _LEAD.sub("", head)
    if not head:
        return None
    for pat, label in _patterns(name):
        if pat.match(head):
            return label
    return read_statement(name, text)
