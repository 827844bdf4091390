"""Preparation: raw rows -> a cleaned, split ``datasets.DatasetDict`` in chat format, with a report.

``prepare_dataset(name)`` gives train / validation / test splits of conversational rows (``messages``:
user then assistant, plus ``task`` and ``label``), cleaned by ``phyassist.data.clean`` and described by
a report (rows kept, rows dropped by reason, notes, sources, character-length stats). It is
deterministic for a seed. The test split keeps the benchmark's rows (only empty ones and exact
duplicates are dropped; mojibake is repaired, links kept) so scores stay comparable with the release;
train and validation get every filter, including the two below. Where a task's train file is absent,
its val file is split (seeded) into train and validation, and the report's notes say so.

Decontamination: a train or validation row whose post is also in any IMHI test file (any task, both
variants, the expert set; ``overlap``) is dropped as ``test_overlap``. Validation rows too, because
validation chooses checkpoints and settings: a test post there would leak into model selection.
Given a base model, rows longer than its context (``context``) are dropped as ``too_long_for_context``.
A counsel-chat train or validation row whose question a later split also asks (``loading.HELD_OUT_ORDER``)
is dropped as ``question_in_test`` or ``question_in_validation``.
"""

from __future__ import annotations

import logging
import random
import statistics
from collections import Counter
from pathlib import Path

from ..errors import UserError
from ..io import write_json
from .clean import Cleaner
from .context import check_context_tokens, context_limit
from .loading import (
    COUNSEL_CHAT,
    COUNSEL_CHAT_FILE,
    SPLITS,
    DatasetSpec,
    data_dir,
    imhi_path,
    load_counsel_chat,
    load_imhi,
    resolve_dataset,
)
from .overlap import imhi_test_posts
from .tasks import check_variant

logger = logging.getLogger(__name__)


def _component_splits(name: str, variant: str, seed: int, val_fraction: float, counsel_answers: str,
                      root, notes: list, sources: list) -> dict[str, list[dict]]:
    """Raw (uncleaned) rows per split of one component, carving validation out of val when needed."""
    if name == COUNSEL_CHAT:
        sources.append(COUNSEL_CHAT_FILE)
        return {s: load_counsel_chat(s, answers=counsel_answers, root=root) for s in SPLITS}
    base = Path(root or data_dir())
    splits = {"test": load_imhi(name, "test", variant, root=root)}
    sources.append(str(imhi_path(name, "test", variant, root=root).relative_to(base)))
    val_path = imhi_path(name, "validation", variant, root=root)
    val = load_imhi(name, "validation", variant, root=root)
    sources.append(str(val_path.relative_to(base)))
    train_path = imhi_path(name, "train", variant, root=root)
    if train_path.exists():
        splits["train"], splits["validation"] = load_imhi(name, "train", variant, root=root), val
        sources.append(str(train_path.relative_to(base)))
    else:
        rows = list(val)
        random.Random(f"{seed}:{name}").shuffle(rows)
        n_val = max(1, round(len(rows) * val_fraction))
        splits["validation"], splits["train"] = rows[:n_val], rows[n_val:]
        note = (f"{name}: no {train_path.name} in this copy ({train_path}); trained on its {val_path.name} "
                f"({100 - round(100 * val_fraction)}%), {round(100 * val_fraction)}% carved out as validation "
                f"(seed {seed})")
        notes.append(note)
        logger.warning(note)
    return splits


def _length_stats(rows: list[dict]) -> dict:
    lengths = sorted(len(r["messages"][0]["content"]) + len(r["messages"][1]["content"]) for r in rows)
    if not lengths:
        return {"n": 0}
    return {"n": len(lengths), "min": lengths[0], "mean": round(statistics.fmean(lengths), 1),
            "p50": lengths[len(lengths) // 2], "p95": lengths[min(len(lengths) - 1, int(0.95 * len(lengths)))],
            "max": lengths[-1]}


def prepare_dataset(name: str | DatasetSpec, *, variant: str = "instruction", seed: int = 42, val_fraction: float = 0.1,
                    max_chars: int | None = None, counsel_answers: str = "top", root=None,
                    base_model: str | None = None, context_tokens: int | None = None, decontaminate: bool = True):
    """Load, clean and split a dataset or mixture (by name, or the ``DatasetSpec`` a command looked up);
    returns ``(DatasetDict, report)``.

    ``max_chars`` drops train/validation rows whose prompt + answer exceed it (None: no limit; the
    report's ``char_length`` helps choose one). ``base_model`` drops those longer than its context
    (``context_tokens``: another limit, 0 none; no ``base_model``: no such check; the tokenizer is
    loaded once the files have been read). ``decontaminate`` drops those whose post is in an IMHI
    test set. See the module docstring for the cleaning policy.
    """
    check_variant(variant)
    spec = name if isinstance(name, DatasetSpec) else resolve_dataset(name)
    if not 0 < val_fraction < 1:
        raise UserError(f"`val_fraction` must be between 0 and 1, got {val_fraction}")
    if max_chars is not None and max_chars <= 0:
        raise UserError(f"`max_chars` must be positive, got {max_chars}")
    check_context_tokens(context_tokens)
    notes, sources = [], []
    raw = {comp: _component_splits(comp, variant, seed, val_fraction, counsel_answers, root, notes, sources)
           for comp in spec.components}
    base = Path(root or data_dir())
    test_posts = imhi_test_posts(base) if decontaminate else None
    context = context_limit(base_model, context_tokens) if base_model else None
    overlap = {s: {} for s in ("train", "validation")}  # split -> component -> rows dropped as test_overlap
    dropped = {s: Counter() for s in SPLITS}
    out = {s: [] for s in SPLITS}
    repaired = 0
    seen: set = set()  # shared, so duplicates are caught across splits and components
    for comp in spec.components:
        # Test first, so a train/validation row that repeats a test row is caught (as test_overlap, or as a
        # duplicate with decontamination off).
        for split in ("test", "validation", "train"):
            if split == "test":
                cleaner = Cleaner(drop_links=False, drop_mojibake=False, seen=seen)
            else:
                cleaner = Cleaner(max_chars=max_chars, seen=seen, test_posts=test_posts,
                                  fits_context=context.fits if context is not None else None)
            for r in raw[comp][split]:
                if comp != COUNSEL_CHAT and r["label"] is None:
                    dropped[split]["no_label"] += 1
                    continue
                if r.get("question_in"):  # counsel-chat: the same question is held out in that split
                    dropped[split][f"question_in_{r['question_in']}"] += 1
                    continue
                pair = cleaner(r["query"], r["response"])
                if pair is not None:
                    out[split].append({"messages": [{"role": "user", "content": pair[0]},
                                                    {"role": "assistant", "content": pair[1]}],
                                       "task": r["task"], "label": r["label"] or ""})
            dropped[split].update(cleaner.dropped)
            repaired += cleaner.repaired
            if split in overlap and test_posts is not None:
                overlap[split][comp] = cleaner.dropped["test_overlap"]
    if len(spec.components) > 1:
        random.Random(seed).shuffle(out["train"])
    for split in ("train", "validation"):
        if not out[split]:
            raise UserError(f"dataset {spec.name}: no {split} rows left after cleaning; dropped {dict(dropped[split])}")
    total = Counter()
    for c in dropped.values():
        total.update(c)
    report = {
        "dataset": spec.name, "components": list(spec.components), "variant": variant, "seed": seed,
        "val_fraction": val_fraction, "max_chars": max_chars, "counsel_answers": counsel_answers,
        "rows": {s: len(out[s]) for s in SPLITS},
        "dropped": dict(sorted(total.items())),
        "dropped_by_split": {s: dict(sorted(c.items())) for s, c in dropped.items()},
        "repaired_mojibake_rows": repaired,
        "rows_by_task": {s: dict(Counter(r["task"] for r in out[s])) for s in SPLITS},
        "labels": {s: dict(sorted(Counter(r["label"] for r in out[s]).items())) for s in SPLITS},
        "char_length": {s: _length_stats(out[s]) for s in SPLITS},
        "context": context.describe() if context is not None else None,
        "test_overlap": _overlap_report(test_posts, overlap),
        "notes": notes,
        "sources": sources,
        "data_dir": str(base),
    }
    from datasets import Dataset, DatasetDict

    dsd = DatasetDict({s: Dataset.from_list(out[s]) for s in SPLITS})
    return dsd, report


def _overlap_report(test_posts, overlap: dict) -> dict:
    """What the decontamination checked and dropped, per split and component."""
    if test_posts is None:
        return {"checked": False}
    return {"checked": True, "test_files": list(test_posts.files), "test_posts": len(test_posts),
            "dropped": overlap}


def save_prepared(dsd, report: dict, out_dir) -> Path:
    """Write the DatasetDict and ``data_report.json`` into ``out_dir`` atomically (all or nothing)."""
    from ..io import atomic_dir

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder; expected an output folder")
    # Replacing is all-or-nothing, so never replace a folder that is not an earlier prepared dataset.
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "data_report.json").exists():
        raise UserError(f"{out_dir}: folder exists and is not a prepared dataset (no data_report.json); "
                        "expected a new or empty folder, or an earlier `data prepare` output")
    with atomic_dir(out_dir) as tmp:
        dsd.save_to_disk(str(tmp))
        write_json(tmp / "data_report.json", report)
    return out_dir


def format_report(report: dict) -> str:
    """A short human-readable summary of a preparation report."""
    lines = [f"dataset {report['dataset']} ({report['variant']}, seed {report['seed']})"]
    lines.append("  rows:    " + ", ".join(f"{s} {n}" for s, n in report["rows"].items()))
    for s, c in report["dropped_by_split"].items():
        lines.append(f"  dropped from {s}: " + (", ".join(f"{k} {v}" for k, v in c.items()) or "none"))
    lines.append(f"  repaired mojibake in {report['repaired_mojibake_rows']} rows")
    lines.append(f"  context limit: {report['context']['limit'] if report.get('context') else 'none'}")
    lines.append("  " + overlap_line(report.get("test_overlap") or {}))
    for s, st in report["char_length"].items():
        if st.get("n"):
            lines.append(f"  chars {s}: p50 {st['p50']}, p95 {st['p95']}, max {st['max']}")
    lines += [f"  note: {n}" for n in report["notes"]]
    return "\n".join(lines)


def overlap_line(overlap: dict) -> str:
    """One line on the decontamination of a report's ``test_overlap`` entry."""
    if not overlap.get("checked"):
        return "test overlap: not checked (decontamination off)"
    lost = "; ".join(f"{split} " + ", ".join(f"{task} {n}" for task, n in by_task.items())
                     for split, by_task in overlap["dropped"].items() if by_task)
    return (f"test overlap: {overlap['test_posts']} posts in {len(overlap['test_files'])} IMHI test files; "
            f"rows dropped: {lost or 'none'}")
