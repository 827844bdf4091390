"""Training the learned layer of the crisis screen, deterministically: same inputs, same bytes.

``build`` trains on labelled messages (``scripts/crisis_data/``) plus IMHI posts (t-sid's suicide /
self-harm tweets as positives; its no-disorder tweets and dreaddit / SAD stress posts as negatives);
counsel-chat is never used, so it stays a clean false-alarm test. ``scripts/build_crisis_model.py``
is the command.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from pathlib import Path

import numpy as np

from .model import DEFAULT_THRESHOLD, FORMAT, CrisisModel, features

logger = logging.getLogger(__name__)

MESSAGE_WEIGHT = 4.0  # a hand-written chat message counts as much as four IMHI posts
_POST = re.compile(r'Consider this post:\s*"(.*)"\s*Question:', re.S)


def read_messages(path: str | Path) -> list[tuple[str, int]]:
    """(text, 1 for crisis) from a JSONL of ``{"label": "crisis"|"safe", "text" | "turns"}`` rows."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = row.get("text") or " \n ".join(row.get("turns") or [])
        rows.append((text, int(row["label"] == "crisis")))
    return rows


def read_lines(path: str | Path, label: int) -> list[tuple[str, int]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [(t, label) for t in lines if t.strip() and not t.startswith("#")]


def _posts(path: Path) -> list[tuple[str, str]]:
    """(post, answer) pairs of an IMHI instruction CSV."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    out = []
    for row in rows[1:]:
        m = _POST.search(row[0]) if row else None
        if m and len(row) > 1:
            out.append((m.group(1).strip(), row[1]))
    return out


def imhi_rows(data_dir: str | Path, per_source: int = 1500, seed: int = 0) -> list[tuple[str, int]]:
    """t-sid suicide / self-harm tweets (1) and its no-disorder tweets, dreaddit and SAD posts (0)."""
    root = Path(data_dir) / "imhi"
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, int]] = []
    tsid = _posts(root / "test_data" / "test_instruction" / "t-sid.csv")
    rows += [(p, 1) for p, a in tsid if "suicide or self-harm" in a.split(".")[0]]
    rows += [(p, 0) for p, a in tsid if "no mental disorders" in a.split(".")[0]]
    for task in ("dreaddit", "SAD"):
        posts = [p for p, _ in _posts(root / "train_data" / "instruction_data" / task / "train.csv")]
        keep = sorted(rng.choice(len(posts), size=min(per_source, len(posts)), replace=False))
        rows += [(posts[i], 0) for i in keep]
    return rows


def train(rows: list[tuple], c: float = 4.0, threshold: float = DEFAULT_THRESHOLD,
          info: dict | None = None) -> CrisisModel:
    """Fit the logistic regression on ``(text, label[, weight])`` rows (balanced classes; liblinear is
    deterministic)."""
    from sklearn.linear_model import LogisticRegression

    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    weights = np.array([r[2] if len(r) > 2 else 1.0 for r in rows])
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0)
    clf.fit(features(texts), labels, sample_weight=weights)
    digest = hashlib.sha256("\n".join(f"{r[1]}\t{weights[i]}\t{r[0]}" for i, r in enumerate(rows)).encode()).hexdigest()
    info = {"format": FORMAT, "rows": len(rows), "positives": int(labels.sum()), "rows_sha256": digest,
            "C": c, **(info or {})}
    return CrisisModel(clf.coef_[0].astype(np.float16).astype(np.float32), float(clf.intercept_[0]), threshold, info)


def build(messages: list[str | Path], data_dir: str | Path, out: str | Path, c: float = 4.0,
          threshold: float = DEFAULT_THRESHOLD) -> CrisisModel:
    """Train on labelled message files (``.jsonl`` as ``read_messages``; ``*positive*``/``*negative*``
    ``.txt`` files one message per line) plus IMHI posts from ``data_dir``, and save to ``out``."""
    rows: list[tuple] = []
    for path in map(Path, messages):
        if path.suffix == ".jsonl":
            labelled = read_messages(path)
        else:
            labelled = read_lines(path, 0 if "negative" in path.name else 1)
        rows += [(t, y, MESSAGE_WEIGHT) for t, y in labelled]
    rows += imhi_rows(data_dir)
    model = train(rows, c=c, threshold=threshold,
                  info={"threshold": threshold, "message_files": sorted(Path(m).name for m in messages)})
    model.save(out)
    logger.info("Crisis model: %d rows (%d positive), threshold %.2f -> %s", model.info["rows"],
                model.info["positives"], threshold, out)
    return model
