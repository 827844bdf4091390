"""How sure a score is: the label-stratified eval sample, bootstrap intervals, the paired comparison.

``stratified_sample`` picks the rows an eval with a ``limit`` scores (seeded, proportional to the
gold-label counts). ``intervals`` gives percentile-bootstrap intervals of weighted F1 and accuracy
over rows; ``paired_difference`` resamples row indices once and scores base and adapter on the same
resampled rows, so the interval is of the adapter-minus-base difference. The scores are
``metrics.classification_scores``' (weighted F1 over the task's labels, an unparsed prediction wrong
for its gold label), computed for all resamples at once from per-resample confusion counts.
``mean_intervals`` and ``paired_mean_difference`` do the same for per-row scores whose mean is the
result (ROUGE-L, the explained rate, BARTScore), over the rows that have a value.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from ..errors import UserError
from .scores import UNPARSED, _clean

LEVEL = 0.95
RESAMPLES = 1000
SEED = 0
KEYS = ("weighted_f1", "accuracy")
# results key -> (results.json "rows" key, scale): per-row values whose mean is the result
ROW_MEANS = {"rouge_l": ("rouge_l", 1.0), "explained_rate": ("explained", 100.0), "bart_score": ("bart_score", 1.0)}


def stratified_sample(labels: Sequence, size: int, seed: int = SEED) -> list[int]:
    """Indices (in file order) of ``size`` rows, allocated to gold labels in proportion to their counts.

    Each label gets the floor of its share; the rows left over go to the largest remainders (ties:
    the larger group, then the label's name). Inside a label, rows come from a permutation seeded by
    ``seed`` and the label alone, so a larger ``size`` keeps the rows of a smaller one (as far as the
    allocation does). ``None`` labels form one group. ``size >= len(labels)``: every row.
    """
    n = len(labels)
    if size >= n:
        return list(range(n))
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault("" if label is None else str(label), []).append(i)
    keys = sorted(groups)
    shares = [size * len(groups[k]) / n for k in keys]
    take = [int(s) for s in shares]
    by_remainder = sorted(range(len(keys)), key=lambda j: (take[j] - shares[j], -len(groups[keys[j]]), keys[j]))
    for j in by_remainder[: size - sum(take)]:
        take[j] += 1
    picked = []
    for key, k in zip(keys, take):
        label_seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
        order = np.random.default_rng([seed, label_seed]).permutation(len(groups[key]))
        picked += [groups[key][i] for i in order[:k]]
    return sorted(picked)


def encode(golds: Sequence, preds: Sequence, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Golds and predictions as label indices; an unparsed prediction is ``len(labels)``."""
    labels = [str(label).lower() for label in labels]
    if len(golds) != len(preds) or not golds:
        raise UserError(f"need as many predictions as references, at least one: got {len(preds)} and {len(golds)}")
    code = {label: i for i, label in enumerate(labels)} | {UNPARSED: len(labels)}
    g, p = _clean(golds, "references"), _clean(preds, "predictions")
    for name, values in (("reference", g), ("prediction", p)):
        bad = next((v for v in values if v not in code or (name == "reference" and v == UNPARSED)), None)
        if bad is not None:
            raise UserError(f"{name} label {bad!r} is not one of {', '.join(labels)}")
    return np.array([code[v] for v in g]), np.array([code[v] for v in p])


def resample_indices(n: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """A (resamples, n) array of row indices drawn with replacement."""
    if resamples < 1:
        raise UserError(f"`resamples` must be positive, got {resamples}")
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def scores(g: np.ndarray, p: np.ndarray, n_labels: int, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted F1 and accuracy (x 100) of every resample (a row of ``idx``) at once."""
    b, n = idx.shape
    width = n_labels * (n_labels + 1)  # confusion cells: gold label x (predicted label or unparsed)
    cells = g[idx] * (n_labels + 1) + p[idx] + (np.arange(b) * width)[:, None]
    counts = np.bincount(cells.ravel(), minlength=b * width).reshape(b, n_labels, n_labels + 1)
    diag = np.arange(n_labels)
    tp = counts[:, diag, diag]
    support = counts.sum(axis=2)  # gold count per label
    predicted = counts[:, :, :n_labels].sum(axis=1)  # predicted count per label (unparsed is no label)
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros(tp.shape), where=denom > 0)  # zero_division=0
    # every gold is a real label, so the supports sum to n; labels absent from a resample weigh 0
    return {"weighted_f1": (support * f1).sum(axis=1) / n * 100, "accuracy": tp.sum(axis=1) / n * 100}


def _interval(values: np.ndarray, level: float) -> dict[str, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return {"low": float(low), "high": float(high)}


def _settings(level: float, resamples: int, seed: int) -> dict:
    if not 0 < level < 1:
        raise UserError(f"`level` must be between 0 and 1, got {level}")
    return {"level": level, "resamples": resamples, "seed": seed, "method": "percentile bootstrap over rows"}


def intervals(golds: Sequence, preds: Sequence, labels: Sequence[str], *, level: float = LEVEL,
              resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """``{"weighted_f1": {"low", "high"}, "accuracy": {...}, "level", "resamples", "seed", "method"}``."""
    settings = _settings(level, resamples, seed)
    g, p = encode(golds, preds, labels)
    dist = scores(g, p, len(labels), resample_indices(len(g), resamples, seed))
    return {**{key: _interval(dist[key], level) for key in KEYS}, **settings}


def verdict(low: float, high: float) -> str:
    """The adapter against the base, from the interval of their difference."""
    return "better" if low > 0 else "worse" if high < 0 else "no significant difference"


def paired_difference(golds: Sequence, base_preds: Sequence, adapter_preds: Sequence, labels: Sequence[str], *,
                      level: float = LEVEL, resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """Adapter minus base on the same rows: per metric the point difference, its interval, the verdict."""
    settings = _settings(level, resamples, seed)
    g, pb = encode(golds, base_preds, labels)
    _, pa = encode(golds, adapter_preds, labels)
    # row 0 of idx is every row once (the point estimate); the others are the shared resamples
    idx = np.vstack([np.arange(len(g)), resample_indices(len(g), resamples, seed)])
    sa, sb = scores(g, pa, len(labels), idx), scores(g, pb, len(labels), idx)
    out = {}
    for key in KEYS:
        diff = sa[key] - sb[key]
        ci = _interval(diff[1:], level)
        out[key] = {"difference": float(diff[0]), **ci, "verdict": verdict(ci["low"], ci["high"])}
    return {**out, "n": len(g), **settings}


def _values(values: Sequence, scale: float = 1.0) -> np.ndarray:
    """Per-row values as floats (booleans as 0/1), times ``scale``; None (no value for that row) is NaN."""
    return np.array([np.nan if v is None else float(v) * scale for v in values], dtype=float)


def mean_intervals(rows: dict[str, Sequence], *, level: float = LEVEL, resamples: int = RESAMPLES,
                   seed: int = SEED) -> dict[str, dict[str, float]]:
    """``{key: {"low", "high"}}``: the percentile-bootstrap interval of the mean of each per-row series.

    Rows without a value (None or NaN: a gold answer without explanation, a failed BARTScore pair) are
    left out and the rows that have one are resampled, with the seed of the F1 intervals (the same
    indices when no row is left out). A series with no value at all gets no interval."""
    _settings(level, resamples, seed)
    out = {}
    for key, values in rows.items():
        v = _values(values)
        v = v[~np.isnan(v)]
        if len(v):
            out[key] = _interval(v[resample_indices(len(v), resamples, seed)].mean(axis=1), level)
    return out


def paired_mean_difference(base: Sequence, adapter: Sequence, *, level: float = LEVEL, resamples: int = RESAMPLES,
                           seed: int = SEED) -> dict | None:
    """Adapter minus base of a per-row mean, over the rows where both have a value, resampled as a pair:
    ``{"difference", "low", "high", "verdict", "n"}``, or None when no row has both."""
    _settings(level, resamples, seed)
    b, a = _values(base), _values(adapter)
    if len(a) != len(b):
        raise UserError(f"paired values differ in length: {len(b)} for the base, {len(a)} for the adapter")
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if not len(a):
        return None
    idx = np.vstack([np.arange(len(a)), resample_indices(len(a), resamples, seed)])
    diff = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    ci = _interval(diff[1:], level)
    return {"difference": float(diff[0]), **ci, "verdict": verdict(ci["low"], ci["high"]), "n": int(len(a))}


def compare_runs(base: dict, adapter: dict, *, level: float = LEVEL, resamples: int = RESAMPLES,
                 seed: int = SEED) -> dict[str, dict]:
    """``paired_difference`` for every task both results.json dicts scored with per-row labels, plus
    ``paired_mean_difference`` of every ``ROW_MEANS`` score both runs kept per row (ROUGE-L, explained
    rate, BARTScore).

    Tasks without ``rows`` in either run (results written before they were recorded) are left out;
    rows that differ between the runs are an error, since pairing them would compare different posts.
    """
    out = {}
    for task, a in adapter.get("tasks", {}).items():
        b = base.get("tasks", {}).get(task)
        if not b or "rows" not in a or "rows" not in b:
            continue
        ra, rb = a["rows"], b["rows"]
        same = (base.get("test_set", "instruction"), base.get("variant")) == (
            adapter.get("test_set", "instruction"), adapter.get("variant"))
        if not same or ra["index"] != rb["index"] or ra["gold"] != rb["gold"] or \
                ra.get("queries_sha256") != rb.get("queries_sha256"):
            raise UserError(f"{task}: base and adapter scored different test rows ({len(rb['index'])} and "
                            f"{len(ra['index'])}); evaluate both with the same limit and sample_seed")
        out[task] = paired_difference(ra["gold"], rb["pred"], ra["pred"], a["labels"], level=level,
                                      resamples=resamples, seed=seed)
        for key, (row_key, scale) in ROW_MEANS.items():
            if row_key in ra and row_key in rb:
                d = paired_mean_difference(_values(rb[row_key], scale), _values(ra[row_key], scale), level=level,
                                           resamples=resamples, seed=seed)
                if d is not None:
                    out[task][key] = d
    return out
