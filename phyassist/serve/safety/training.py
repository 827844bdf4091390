"""Training the learned layer of the crisis screen, deterministically: same inputs, same bytes.

``build`` trains on labelled messages (``scripts/crisis_data/``) plus IMHI posts (t-sid's suicide /
self-harm tweets as positives; its no-disorder tweets and dreaddit / SAD stress posts as negatives);
counsel-chat is never used, so it stays a clean false-alarm test. Its thresholds (the firing one and,
per rule family, the one below which the model clears a rule hit) come from out-of-fold scores on the
same rows, a near-miss pair always in one fold (``choose_thresholds``). ``scripts/build_crisis_model.py``
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

from . import network
from .model import DEFAULT_CLEAR, DEFAULT_THRESHOLD, FORMAT, MIN_WORDS, CrisisModel, features, word_count
from .rules import POSITIVE, clean, match_rules
from .text import normalize

logger = logging.getLogger(__name__)

MESSAGE_WEIGHT = 8.0  # a hand-written chat message counts as much as eight IMHI posts
# A message with a near-miss twin (same topic, opposite label) counts four times more: the pair is what
# teaches the words that tell a crisis from its harmless double. Out of fold on blind_dev.jsonl this
# raised the AUC from 0.898 to 0.905 and cut false alarms at equal recall (20.7% -> 19.5%).
PAIR_WEIGHT = 4 * MESSAGE_WEIGHT
FOLDS = 5
# The most false alarms the screen may raise out of fold, per kind of harmless row: hard harmless
# messages (idioms, denials, essays, twins of crisis messages), ordinary chat to an assistant, and
# dreaddit / SAD / t-sid posts labelled harmless (some of those posts do speak of suicide, so their rate is
# an upper bound). The threshold is the lowest within all three: a miss costs more than a false alarm.
# Hard: the 10% the screen is asked to keep on messages written apart from the project. Chat and posts:
# 10% and 5%. At chat 5% / posts 2% the posts bound the threshold at 0.84 although counsel-chat questions,
# the ordinary posts the screen meets, fired at 0.13% all the same. Measured on blind_dev3.jsonl with a
# network trained without it (out of fold thresholds 0.83 -> 0.55): recall 59.6% -> 73.8%, false alarms
# 4.2% -> 7.0%. Earlier, on 2,459 of its messages before they were trained on, the 10% / 5% / 2% budgets
# gave recall 71.0% and 9.2% false alarms, against 70.2% and 13.0% for the linear model they replaced.
FALSE_ALARM_BUDGET = {"hard": 0.10, "chat": 0.10, "posts": 0.05}
# A rule family's hits are cleared by the model only below a threshold that keeps this share of the crisis
# messages it catches (out of fold) caught, and only where it catches at least CLEAR_EVIDENCE of them:
# a family with fewer crisis hits to measure that share on is never cleared. Every family may be (a
# phrase in any language has everyday senses: "this job is killing me"). At 95% rather than 98%, on the
# same 2,459 messages: false alarms 9.2% -> 7.9%, recall 71.0% -> 70.8%.
CLEAR_RECALL = 0.95
CLEAR_EVIDENCE = 20
CLEARABLE = tuple(sorted({name for name, _ in POSITIVE} | {"keyword"}))
_POST = re.compile(r'Consider this post:\s*"(.*)"\s*Question:', re.S)


def read_messages(path: str | Path) -> list[tuple[str, int, float, str]]:
    """(text, 1 for crisis, weight, fold key) from a JSONL of ``{"label": "crisis"|"safe", "text" |
    "turns"}`` rows; a row naming its near-miss twin (``"id"``, ``"pair"``) weighs ``PAIR_WEIGHT`` and
    shares its fold key with it."""
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        text = row.get("text") or " \n ".join(row.get("turns") or [])
        key = "|".join(sorted([str(row["id"]), str(row["pair"])])) if row.get("pair") else f"{i}"
        weight = PAIR_WEIGHT if row.get("pair") else MESSAGE_WEIGHT
        rows.append((text, int(row["label"] == "crisis"), weight, f"{Path(path).name}:{key}"))
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


def train(rows: list[tuple], threshold: float = DEFAULT_THRESHOLD, info: dict | None = None,
          clear: dict | None = None, matrix=None) -> CrisisModel:
    """Fit the network (``network.fit``) on ``(text, label[, weight])`` rows; its first layer is rounded to
    float16, as saved. ``matrix``: the rows' ``features``, when already computed."""
    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    weights = np.array([r[2] if len(r) > 2 else 1.0 for r in rows])
    fitted = network.fit(features(texts) if matrix is None else matrix, labels, weights)
    fitted = network.Weights(fitted.w1.astype(np.float16).astype(np.float32), fitted.b1, fitted.w2, fitted.b2)
    digest = hashlib.sha256("\n".join(f"{r[1]}\t{weights[i]}\t{r[0]}" for i, r in enumerate(rows)).encode()).hexdigest()
    info = {"format": FORMAT, "rows": len(rows), "positives": int(labels.sum()), "rows_sha256": digest,
            "hidden": network.HIDDEN, "epochs": network.EPOCHS, **(info or {})}
    return CrisisModel(fitted, threshold, info, dict(DEFAULT_CLEAR if clear is None else clear))


def fold_of(keys: list[str], folds: int = FOLDS) -> np.ndarray:
    """Each row's fold: rows with one key (a near-miss pair) share it; keys are dealt out in order."""
    order: dict[str, int] = {}
    return np.array([order.setdefault(k, len(order)) % folds for k in keys])


def out_of_fold(matrix, labels: np.ndarray, weights: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """P(crisis) of each row from a network fitted without its fold (``fold_of``)."""
    scores = np.zeros(len(labels))
    for k in np.unique(fold):
        fitted = network.fit(matrix[fold != k], labels[fold != k], weights[fold != k])
        scores[fold == k] = network.forward(matrix[fold == k], fitted)
    return scores


def choose_thresholds(texts: list[str], labels: np.ndarray, groups: list[str], scores: np.ndarray,
                      budget: dict | None = None, clearable: tuple = CLEARABLE, evidence: int = CLEAR_EVIDENCE,
                      sources: list[str] | None = None) -> tuple[float, dict, dict]:
    """The firing threshold, the clearing thresholds and the out-of-fold figures at them.

    The firing threshold is the lowest whose out-of-fold false alarms fit ``FALSE_ALARM_BUDGET`` on every
    harmless group once rule hits are cleared. For each candidate, each ``clearable`` rule family gets the
    highest clearing threshold, up to the firing one, that keeps ``CLEAR_RECALL`` of the crisis messages
    it catches, if it catches at least ``evidence`` of them (doubt fires). ``groups``: "crisis", "hard",
    "chat" (hand-written messages) or "posts", "crisis_posts" (IMHI); ``sources``: each row's file, to
    report crisis messages caught and harmless ones fired per file ("by_source")."""
    budget = budget or FALSE_ALARM_BUDGET
    groups = np.array(groups)
    hits = [match_rules(normalize(t)) for t in texts]
    family = np.array([h[0] if h else "" for h in hits])
    long_enough = np.array([word_count(clean(normalize(t))) >= MIN_WORDS for t in texts])
    grid = np.round(np.arange(0.01, 0.951, 0.01), 2)
    crisis = (labels == 1) & (groups == "crisis") & long_enough

    def clearing(threshold: float) -> dict:
        clear = {}
        for name in clearable:
            caught = crisis & (family == name)
            if caught.sum() < evidence:
                continue
            ok = [t for t in grid if t <= threshold and (scores[caught] >= t).mean() >= CLEAR_RECALL]
            if ok:
                clear[name] = float(ok[-1])
        return clear

    def fired(threshold: float, clear: dict) -> tuple[np.ndarray, np.ndarray]:
        model = long_enough & (scores >= threshold)
        cleared = long_enough & (scores < np.array([clear.get(f, 0.0) for f in family]))
        return ((family != "") & ~cleared) | model, model

    def rates(threshold: float, clear: dict) -> dict:
        screen, model = fired(threshold, clear)
        share = {g: float(screen[groups == g].mean()) if (groups == g).any() else 0.0 for g in set(groups)}
        return {"recall": share.get("crisis", 0.0), "recall_posts": share.get("crisis_posts", 0.0),
                "hard": share.get("hard", 0.0), "chat": share.get("chat", 0.0),
                # rules are not tuned on posts: the model's share
                "posts": float(model[groups == "posts"].mean()) if (groups == "posts").any() else 0.0}

    candidates = [t for t in grid if t >= 0.10]
    threshold = next((t for t in candidates if all(rates(t, clearing(t))[g] <= budget[g] for g in budget)),
                     candidates[-1])
    clear = clearing(threshold)
    report = {"folds": FOLDS, **{("false_alarms_" + k if k in budget else k): round(float(v), 4)
                                 for k, v in rates(threshold, clear).items()}}
    if sources is not None:
        screen, sources = fired(threshold, clear)[0], np.array(sources)
        report["by_source"] = {}
        for name in sorted(set(sources)):
            rows = {"crisis_caught": (sources == name) & (labels == 1),
                    "harmless_fired": (sources == name) & (labels == 0)}
            report["by_source"][str(name)] = {k: f"{int(screen[m].sum())}/{int(m.sum())}"
                                              for k, m in rows.items() if m.any()}
    return float(threshold), clear, report


def build(messages: list[str | Path], data_dir: str | Path, out: str | Path) -> CrisisModel:
    """Train on labelled message files (``.jsonl`` as ``read_messages``; ``*positive*``/``*negative*``
    ``.txt`` files one message per line) plus IMHI posts from ``data_dir``, choose the thresholds out of
    fold, and save to ``out``. One thread (multi-threaded sums round differently): the same inputs give
    the same bytes."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _build(messages, data_dir, out)


def _build(messages, data_dir, out) -> CrisisModel:
    rows: list[tuple] = []
    groups: list[str] = []
    keys: list[str] = []
    for path in map(Path, messages):
        if path.suffix == ".jsonl":
            labelled = read_messages(path)
        else:
            lines = read_lines(path, 0 if "negative" in path.name else 1)
            labelled = [(t, y, MESSAGE_WEIGHT, f"{path.name}:{i}") for i, (t, y) in enumerate(lines)]
        rows += [(t, y, w) for t, y, w, _ in labelled]
        groups += ["crisis" if y else "chat" if "chat" in path.name else "hard" for _, y, _, _ in labelled]
        keys += [k for *_, k in labelled]
    imhi = imhi_rows(data_dir)
    rows += imhi
    groups += ["crisis_posts" if y else "posts" for _, y in imhi]
    keys += [f"imhi:{i}" for i in range(len(imhi))]
    sources = [k.split(":")[0] for k in keys]
    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    matrix = features(texts)
    scores = out_of_fold(matrix, labels, np.array([r[2] if len(r) > 2 else 1.0 for r in rows]), fold_of(keys))
    threshold, clear, report = choose_thresholds(texts, labels, groups, scores, sources=sources)
    model = train(rows, threshold=threshold, clear=clear, matrix=matrix,
                  info={"threshold": threshold, "clear": clear, "out_of_fold": report,
                        "message_files": sorted(Path(m).name for m in messages)})
    model.save(out)
    logger.info("Crisis model: %d rows (%d positive), threshold %.2f, clearing %s, out of fold %s -> %s",
                model.info["rows"], model.info["positives"], threshold, clear, report, out)
    return model
