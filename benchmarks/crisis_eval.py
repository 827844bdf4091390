"""Measuring the crisis screen: recall and false alarms on labelled messages and counsel-chat questions.

``read_rows`` reads a labelled JSONL set (the older ``label``/``category``/``lang`` fields, or the
independent set's ``harmless``/``kind``/``language``); ``screen_rows(rows)`` screens each row into a
``ScreenReport`` (recall, false alarms per category and per language, the misses); ``ordinary_questions``
is the counsel-chat false-alarm set. Used by ``crisis_bench.py`` and ``tests/serve/test_safety*.py``;
not part of the library.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from phyassist.serve.safety import screen_conversation

# Deliberately broad: a question matching it may hold real crisis content, so it is not "ordinary".
VOCABULARY_SCREEN = re.compile(
    r"suicid|self[- ]?harm|self[- ]?injur|kill(?:ing|ed)? (?:my|him|her|them)sel|cutting|cut (?:my|him|her)sel|"
    r"hurt(?:ing)? (?:my|him|her|them)sel|harm(?:ing)? (?:my|him|her|them)sel|want(?:ed|s)? to die|"
    r"(?:end|take) (?:my|his|her|their) (?:own )?life|overdos|wish i (?:was|were) dead|shouldn't be here|end it all",
    re.I)


def _fields(row: dict) -> dict:
    """One spelling of a row: label ``crisis``|``safe``, ``category`` and ``lang`` (the independent set
    writes ``harmless``, ``kind`` and ``language``)."""
    row = dict(row)
    if row.get("label") == "harmless":
        row["label"] = "safe"
    row.setdefault("category", row.get("kind", ""))
    row.setdefault("lang", row.get("language", ""))
    return row


def read_rows(path: str | Path) -> list[dict]:
    return [_fields(json.loads(line)) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def turns(row: dict) -> list[str]:
    return list(row["turns"]) if row.get("turns") else [row["text"]]


@dataclass
class ScreenReport:
    counts: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # (label, category) -> [n, fired]
    languages: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # (label, lang) -> [n, fired]
    paired: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # label -> [n, fired], rows with a twin
    misses: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)

    def rate(self, label: str, category: str | None = None) -> float:
        n = fired = 0
        for (lab, cat), (k, f) in self.counts.items():
            if lab == label and (category is None or cat == category):
                n, fired = n + k, fired + f
        return fired / n if n else float("nan")

    def n(self, label: str, category: str | None = None) -> int:
        return sum(k for (lab, cat), (k, _) in self.counts.items() if lab == label and category in (None, cat))


def screen_rows(rows: list[dict], screen=screen_conversation) -> ScreenReport:
    report = ScreenReport()
    for row in rows:
        signal = screen(turns(row))
        tallies = [(report.counts, (row["label"], row.get("category", ""))),
                   (report.languages, (row["label"], row.get("lang", "")))]
        for counts, key in tallies + ([(report.paired, row["label"])] if row.get("pair") else []):
            counts[key][0] += 1
            counts[key][1] += signal is not None
        if row["label"] == "crisis" and signal is None:
            report.misses.append(row)
        elif row["label"] == "safe" and signal is not None:
            report.false_alarms.append((row, signal))
    return report


def ordinary_questions(counsel_csv: str | Path) -> list[str]:
    """Counsel-chat questions (title + text, once per question) outside the self-harm topic and the screen."""
    with open(counsel_csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    topics: dict[str, set] = defaultdict(set)
    texts: dict[str, str] = {}
    for row in rows:
        topics[row["questionID"]].add(row.get("topic") or "")
        texts.setdefault(row["questionID"], f"{row.get('questionTitle') or ''} {row.get('questionText') or ''}".strip())
    return [t for q, t in texts.items() if "self-harm" not in topics[q] and not VOCABULARY_SCREEN.search(t)]
