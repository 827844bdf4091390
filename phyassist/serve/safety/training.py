"""Training the learned layer of the crisis screen, deterministically: same inputs, same bytes.

``build`` trains on labelled messages (``scripts/crisis_data/``) plus IMHI posts (t-sid's suicide /
self-harm tweets as positives; its no-disorder tweets and dreaddit / SAD stress posts as negatives);
counsel-chat is never used, so it stays a clean false-alarm test. Its thresholds come from
out-of-fold scores on the same rows (``choose_thresholds``). ``scripts/build_crisis_model.py`` is the
command.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from pathlib import Path

import numpy as np

from .model import DEFAULT_THRESHOLD, DEFAULT_TOPIC_THRESHOLD, FORMAT, MIN_WORDS, CrisisModel, features, word_count
from .rules import clean, match_rules
from .text import normalize

logger = logging.getLogger(__name__)

MESSAGE_WEIGHT = 8.0  # a hand-written chat message counts as much as eight IMHI posts
FOLDS = 5
# The most false alarms the screen may raise out of fold, per kind of harmless row: hard harmless
# messages (idioms, denials, essays, twins of crisis messages), ordinary chat to an assistant, and
# dreaddit / SAD / t-sid posts labelled harmless (what counsel-chat questions look like, with the same
# 2% budget; some of those posts do speak of suicide, so their rate is an upper bound). The threshold
# is the lowest within all three: a miss costs more than a false alarm.
FALSE_ALARM_BUDGET = {"hard": 0.10, "chat": 0.03, "posts": 0.02}
# A message naming suicide as a topic is cleared only if this share of such crisis messages stays caught.
TOPIC_RECALL = 0.98
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


def _fit(matrix, labels: np.ndarray, weights: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0)
    return clf.fit(matrix, labels, sample_weight=weights)


def train(rows: list[tuple], c: float = 4.0, threshold: float = DEFAULT_THRESHOLD, info: dict | None = None,
          topic_threshold: float = DEFAULT_TOPIC_THRESHOLD, matrix=None) -> CrisisModel:
    """Fit the logistic regression on ``(text, label[, weight])`` rows (balanced classes; liblinear is
    deterministic). ``matrix``: the rows' ``features``, when already computed."""
    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    weights = np.array([r[2] if len(r) > 2 else 1.0 for r in rows])
    clf = _fit(features(texts) if matrix is None else matrix, labels, weights, c)
    digest = hashlib.sha256("\n".join(f"{r[1]}\t{weights[i]}\t{r[0]}" for i, r in enumerate(rows)).encode()).hexdigest()
    info = {"format": FORMAT, "rows": len(rows), "positives": int(labels.sum()), "rows_sha256": digest,
            "C": c, **(info or {})}
    return CrisisModel(clf.coef_[0].astype(np.float16).astype(np.float32), float(clf.intercept_[0]), threshold, info,
                       topic_threshold)


def out_of_fold(matrix, labels: np.ndarray, weights: np.ndarray, c: float, folds: int = FOLDS) -> np.ndarray:
    """P(crisis) of each row from a model fitted without its fold (row i is in fold i mod ``folds``)."""
    fold = np.arange(len(labels)) % folds
    scores = np.zeros(len(labels))
    for k in range(folds):
        clf = _fit(matrix[fold != k], labels[fold != k], weights[fold != k], c)
        scores[fold == k] = clf.predict_proba(matrix[fold == k])[:, 1]
    return scores


def choose_thresholds(texts: list[str], labels: np.ndarray, groups: list[str], scores: np.ndarray,
                      budget: dict | None = None) -> tuple[float, float, dict]:
    """The firing threshold (lowest whose out-of-fold false alarms fit ``FALSE_ALARM_BUDGET`` on every
    harmless group), the topic threshold (highest, up to the firing one, that keeps ``TOPIC_RECALL`` of
    crisis messages whose only rule hit is the noun "suicide"), and the out-of-fold figures at both.

    ``groups``: "crisis", "hard", "chat" (hand-written messages) or "posts", "crisis_posts" (IMHI)."""
    budget = budget or FALSE_ALARM_BUDGET
    groups = np.array(groups)
    hits = [match_rules(normalize(t)) for t in texts]
    strong = np.array([h is not None and h[0] != "topic" for h in hits])
    topic = np.array([h is not None and h[0] == "topic" for h in hits])
    long_enough = np.array([word_count(clean(normalize(t))) >= MIN_WORDS for t in texts])
    grid = np.round(np.arange(0.10, 0.951, 0.01), 2)

    # the topic threshold first: the highest that keeps TOPIC_RECALL of such crisis messages
    crisis_topic = topic & long_enough & (labels == 1) & (groups == "crisis")
    topic_threshold = 0.0
    for candidate in grid:
        if crisis_topic.any() and (scores[crisis_topic] >= candidate).mean() < TOPIC_RECALL:
            break
        topic_threshold = float(candidate)

    def rates(threshold: float) -> dict:
        model = long_enough & (scores >= threshold)
        cleared = topic & long_enough & (scores < min(topic_threshold, threshold))
        screen = strong | (topic & ~cleared) | model
        return {"recall": screen[groups == "crisis"].mean(), "recall_posts": screen[groups == "crisis_posts"].mean(),
                "hard": screen[groups == "hard"].mean(), "chat": screen[groups == "chat"].mean(),
                "posts": model[groups == "posts"].mean()}  # rules are not tuned on posts: the model's share

    threshold = next((t for t in grid if all(rates(t)[g] <= budget[g] for g in budget)), grid[-1])
    report = {"folds": FOLDS, **{("false_alarms_" + k if k in budget else k): round(float(v), 4)
                                 for k, v in rates(threshold).items()}}
    return float(threshold), min(topic_threshold, float(threshold)), report


def build(messages: list[str | Path], data_dir: str | Path, out: str | Path, c: float = 4.0) -> CrisisModel:
    """Train on labelled message files (``.jsonl`` as ``read_messages``; ``*positive*``/``*negative*``
    ``.txt`` files one message per line) plus IMHI posts from ``data_dir``, choose the thresholds out of
    fold, and save to ``out``. One BLAS thread: multi-threaded sums round differently, and the same inputs
    must give the same bytes on any machine."""
    import sklearn.linear_model  # noqa: F401 - loads its BLAS/OpenMP libraries before they are limited
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _build(messages, data_dir, out, c)


def _build(messages, data_dir, out, c: float) -> CrisisModel:
    rows: list[tuple] = []
    groups: list[str] = []
    for path in map(Path, messages):
        if path.suffix == ".jsonl":
            labelled = read_messages(path)
        else:
            labelled = read_lines(path, 0 if "negative" in path.name else 1)
        rows += [(t, y, MESSAGE_WEIGHT) for t, y in labelled]
        groups += ["crisis" if y else "chat" if "chat" in path.name else "hard" for _, y in labelled]
    imhi = imhi_rows(data_dir)
    rows += imhi
    groups += ["crisis_posts" if y else "posts" for _, y in imhi]
    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    matrix = features(texts)
    scores = out_of_fold(matrix, labels, np.array([r[2] if len(r) > 2 else 1.0 for r in rows]), c)
    threshold, topic_threshold, report = choose_thresholds(texts, labels, groups, scores)
    model = train(rows, c=c, threshold=threshold, topic_threshold=topic_threshold, matrix=matrix,
                  info={"threshold": threshold, "topic_threshold": topic_threshold, "out_of_fold": report,
                        "message_files": sorted(Path(m).name for m in messages)})
    model.save(out)
    logger.info("Crisis model: %d rows (%d positive), threshold %.2f, topic threshold %.2f, out of fold %s -> %s",
                model.info["rows"], model.info["positives"], threshold, topic_threshold, report, out)
    return model
