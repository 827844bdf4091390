"""Training rows: the prepared dataset sampled, measured in tokens and turned into prompt/completion pairs.

``prepare_splits(config, tokenizer)`` prepares the dataset (``phyassist.data.prepare``, which also
drops and counts the train and validation rows whose post is in an IMHI test set), samples the
train rows (seeded, optionally label by label), chooses ``max_length`` from the token lengths the
chat template gives, drops (and counts) the rows longer than that instead of cutting their answers,
and makes each conversation a prompt/completion pair so the loss falls on the answer only.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from ..data.prepare import prepare_dataset
from ..data.tasks import REASONING_MARKER as MARKER
from ..errors import UserError


# a sentence ends at . ! ? (and any closing quotes or brackets) before a capital or a list item's number, but
# not after a title ("Dr.") nor after a list item's number ("Reasoning: 1. The poster ... 2. They ...": most
# Irf answers)
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b(?:Dr|Mr|Ms|St)\.)(?<!\bMrs\.)(?<!^\d\.)(?<!\s\d\.)(?<!^\d\d\.)(?<!\s\d\d\.)"
                           r"([\"')\]]*)\s+(?=[A-Z]|\d\d?\.\s)")


def first_sentences(text: str, n: int) -> str:
    """The first ``n`` sentences of ``text`` (split after . ! ? and any closing quote or bracket)."""
    ends = list(_SENTENCE_END.finditer(text.strip()))
    return text.strip()[:ends[n - 1].end(1)] if len(ends) >= n else text.strip()


def cut_answer(text: str, max_words: int | None = None, reasoning_sentences: int | None = None) -> str:
    """An answer cut to its label sentence plus the first ``reasoning_sentences`` sentences after
    "Reasoning:" (answers without that part stay whole), then to its first ``max_words`` words."""
    if reasoning_sentences and MARKER in text:
        label, _, reasoning = text.partition(MARKER)
        text = f"{label.rstrip()} {MARKER} {first_sentences(reasoning, reasoning_sentences)}"
    if max_words:
        text = " ".join(text.split()[:max_words])
    return text


def to_prompt_completion(example: dict, answer_max_words: int | None = None,
                         reasoning_max_sentences: int | None = None) -> dict:
    """A conversation -> trl's conversational prompt/completion: the last assistant turn is the completion,
    cut by ``cut_answer`` when asked (``answer_max_words``: the label sentence and the start of its reasoning;
    ``reasoning_max_sentences``: whole sentences only)."""
    messages = example["messages"]
    if not messages or messages[-1]["role"] != "assistant":
        raise UserError(f"dataset row {example.get('task', '')!r}: expected the last message to be the assistant's answer")
    answer = dict(messages[-1])
    answer["content"] = cut_answer(answer["content"], answer_max_words, reasoning_max_sentences)
    return {"prompt": messages[:-1], "completion": [answer]}


def token_lengths(tokenizer, conversations: list[list[dict]]) -> list[int]:
    """Tokens per conversation as rendered by the chat template (what SFTTrainer will see)."""
    texts = tokenizer.apply_chat_template([list(c) for c in conversations], tokenize=False)
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def length_stats(lengths: list[int]) -> dict:
    import numpy as np

    if not lengths:
        return {"n": 0}
    a = np.asarray(lengths)
    return {"n": int(a.size), "min": int(a.min()), "mean": round(float(a.mean()), 1), "p50": int(np.percentile(a, 50)),
            "p90": int(np.percentile(a, 90)), "p99": int(np.percentile(a, 99)), "max": int(a.max())}


def choose_max_length(lengths: list[int], percentile: float) -> int:
    """The percentile of the lengths rounded up to a multiple of 64 (the rare longer rows are dropped)."""
    import numpy as np

    return int(math.ceil(float(np.percentile(lengths, percentile)) / 64) * 64)


def _subsample(ds, n: int | None, seed: int):
    if n is None or len(ds) <= n:
        return ds
    return ds.shuffle(seed=seed).select(range(n))


def _in_turn(queues: list[list[int]], n: int, shares: list[float] | None = None) -> list[int]:
    """Up to ``n`` items taken from the queues in turn, ``shares[g]`` items a turn from queue ``g`` (fractions
    accumulate; 1 each by default); a queue that runs out leaves its turns to the others."""
    shares = shares or [1.0] * len(queues)
    n = min(n, sum(len(q) for q in queues))
    picked, taken, credit = [], [0] * len(queues), [0.0] * len(queues)
    while len(picked) < n:
        for g, q in enumerate(queues):
            credit[g] += shares[g]
            take = min(int(credit[g]), len(q) - taken[g], n - len(picked))
            credit[g] -= int(credit[g])
            picked += q[taken[g]:taken[g] + take]
            taken[g] += take
    return picked


def balanced_subsample(ds, n: int | None, seed: int, by: str | tuple[str, ...] = "label",
                       weights: dict | None = None):
    """A seeded sample of up to ``n`` rows (all when None) taken group by group in turn, so the groups are as
    equally represented as the data allows; rows keep a seeded shuffled order. The groups are the values of
    column ``by`` (the gold label, or the task); of several columns, nested: the first column's groups in
    turn, and within each, the next column's (each task equally, and each task's labels equally within it).
    Rows with no label (counsel-chat) form one group. ``weights`` ({value of the first ``by`` column:
    weight}, 1 for the others) gives a group that many rows a turn, so that share of the sample."""
    import random

    by = (by,) if isinstance(by, str) else tuple(by)
    order = list(range(len(ds)))
    random.Random(seed).shuffle(order)
    columns = [ds[c] for c in by]

    def ordered(rows: list[int], level: int) -> list[int]:
        # the rows in the order they are taken: groups of column `level` in turn, each group ordered the same way
        if level == len(columns):
            return rows
        groups = defaultdict(list)
        for i in rows:
            groups[columns[level][i]].append(i)
        keys = sorted(groups, key=lambda k: (k is None, "" if k is None else str(k)))
        shares = [float((weights or {}).get(k, 1.0)) for k in keys] if level == 0 else None
        return _in_turn([ordered(groups[k], level + 1) for k in keys], len(rows), shares)

    picked = ordered(order, 0)[: len(ds) if n is None else n]
    random.Random(seed + 1).shuffle(picked)
    return ds.select(picked)


def task_weights(config, tasks: list[str]) -> dict[str, float]:
    """The recipe's ``task_weights``, each task checked against the dataset's tasks."""
    weights = config.task_weight_map()
    unknown = sorted(set(weights) - set(tasks))
    if unknown:
        raise UserError(f"`task_weights`: dataset {config.dataset!r} has no task {unknown[0]!r}; "
                        f"its tasks: {', '.join(tasks)}")
    return weights


def prepare_splits(config, tokenizer, world_size: int = 1):
    """Train/validation datasets in prompt/completion form, the resolved max_length and the data report."""
    dsd, report = prepare_dataset(config.dataset_spec, variant=config.variant, seed=config.seed,
                                  val_fraction=config.val_fraction, max_chars=config.max_chars)
    report = dict(report)
    notes = list(report.get("notes", []))
    if config.balance_labels or config.balance_tasks:
        by = tuple(c for c, on in (("task", config.balance_tasks), ("label", config.balance_labels)) if on)
        weights = task_weights(config, sorted(set(dsd["train"]["task"]))) if config.task_weights else {}
        train_ds = balanced_subsample(dsd["train"], config.max_train_examples, config.seed, by, weights)
        counts = Counter(" ".join(k or "unlabelled" for k in key) for key in zip(*(train_ds[c] for c in by)))
        weighted = f" (task weights {', '.join(f'{k} {v:g}' for k, v in weights.items())})" if weights else ""
        notes.append(f"{' and '.join(by)}-balanced sample{weighted} of {len(train_ds)} of {len(dsd['train'])} train rows: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    else:
        train_ds = _subsample(dsd["train"], config.max_train_examples, config.seed)
        if len(train_ds) < len(dsd["train"]):
            notes.append(f"trained on a seeded sample of {len(train_ds)} of {len(dsd['train'])} train rows")
    val_ds = _subsample(dsd["validation"], config.max_eval_examples, config.seed) if "validation" in dsd else None
    lengths = {"train": token_lengths(tokenizer, train_ds["messages"])}
    if val_ds is not None and len(val_ds):
        lengths["validation"] = token_lengths(tokenizer, val_ds["messages"])
    max_length = config.max_length or choose_max_length(lengths["train"], config.max_length_percentile)
    # Truncating would cut the answer (it comes last), so longer rows are dropped and counted instead.
    dropped = {}
    for split, ds in (("train", train_ds), ("validation", val_ds)):
        if ds is None or split not in lengths:
            continue
        keep = [i for i, n in enumerate(lengths[split]) if n <= max_length]
        dropped[split] = len(ds) - len(keep)
        if dropped[split]:
            ds = ds.select(keep)
            if split == "train":
                train_ds = ds
            else:
                val_ds = ds
    if any(dropped.values()):
        notes.append(f"dropped rows longer than max_length={max_length} tokens: {dropped}")
    need = config.per_device_train_batch_size * world_size
    if len(train_ds) < need:
        raise UserError(
            f"dataset {config.dataset!r} has {len(train_ds)} usable train rows, too few for one batch of "
            f"{need} (`per_device_train_batch_size` x processes); lower the batch size or add data"
        )
    keep_cols = ["prompt", "completion"]
    cut = {"answer_max_words": config.answer_max_words, "reasoning_max_sentences": config.reasoning_max_sentences}
    train_ds = train_ds.map(to_prompt_completion, fn_kwargs=cut,
                            remove_columns=[c for c in train_ds.column_names if c not in keep_cols])
    if val_ds is not None and len(val_ds):
        val_ds = val_ds.map(to_prompt_completion, fn_kwargs=cut,
                            remove_columns=[c for c in val_ds.column_names if c not in keep_cols])
    else:
        val_ds = None
    report["notes"] = notes
    report["training"] = {
        "max_length": max_length,
        "max_length_source": "config" if config.max_length else f"p{config.max_length_percentile:g} of train token lengths, rounded up to 64",
        "token_lengths": {k: length_stats(v) for k, v in lengths.items()},
        "dropped_too_long": dropped,
        "rows": {"train": len(train_ds), "validation": len(val_ds) if val_ds is not None else 0},
    }
    return train_ds, val_ds, max_length, report
