"""The dataset registry and raw loading: IMHI task splits, counsel-chat, and named mixtures.

``load_imhi(task, split)`` and ``load_counsel_chat(split)`` read the release files under
``data_dir()`` into query/response/label dicts; ``DATASETS`` names what can be trained on (the five
IMHI training tasks, counsel-chat, and the mixtures ``final`` and ``all``), and each entry knows the
IMHI tasks its adapters are evaluated on. The columns each file must have live here too
(``phyassist.data.download`` checks downloads against them). A counsel-chat question asked in several
splits (by ``questionID`` or by its normalised text) belongs to the first of test, validation, train.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..io import cache_dir, read_csv
from .overlap import normalize_post
from .tasks import TASKS, TRAIN_TASKS, get_task, split_file

logger = logging.getLogger(__name__)

IMHI_COLUMNS = {"instruction": ("query", "gpt-3.5-turbo"), "complete": ("post", "question", "response")}
COUNSEL_CHAT = "counsel-chat"
COUNSEL_CHAT_FILE = "counsel-chat/20200325_counsel_chat.csv"
COUNSEL_COLUMNS = ("questionID", "questionTitle", "questionText", "answerText", "upvotes", "split")
COUNSEL_SPLITS = {"train": "train", "val": "validation", "test": "test"}
SPLITS = ("train", "validation", "test")
# A counsel-chat question asked in several splits belongs to the first of these (the release splits by
# questionID, and a few questions were posted twice under different IDs).
HELD_OUT_ORDER = ("test", "validation", "train")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    components: tuple[str, ...]  # IMHI train task names and/or "counsel-chat"
    description: str

    @property
    def eval_tasks(self) -> list[str]:
        """The IMHI tasks an adapter trained on this dataset is evaluated on: its own IMHI tasks, or
        (counsel-chat alone, which has no labels) every IMHI task that has training data."""
        return [c for c in self.components if c != COUNSEL_CHAT] or list(TRAIN_TASKS)


DATASETS: dict[str, DatasetSpec] = {
    **{t: DatasetSpec(t, (t,), f"IMHI {TASKS[t].description}") for t in TRAIN_TASKS},
    COUNSEL_CHAT: DatasetSpec(COUNSEL_CHAT, (COUNSEL_CHAT,), "counsel-chat therapist answers"),
    "final": DatasetSpec("final", ("Irf", "MultiWD", "SAD"), "the seed's 'Final' adapter mixture: Irf + MultiWD + SAD"),
    "imhi": DatasetSpec("imhi", TRAIN_TASKS, "all five IMHI training tasks"),
    "all": DatasetSpec("all", (*TRAIN_TASKS, COUNSEL_CHAT), "all five IMHI training tasks + counsel-chat"),
}


def resolve_dataset(name: str) -> DatasetSpec:
    """A dataset or mixture by name (case-insensitive), or a one-line error listing the choices."""
    for key, spec in DATASETS.items():
        if key.lower() == str(name).lower():
            return spec
    if str(name).lower() in (t.lower() for t in TASKS):
        task = get_task(name)
        raise UserError(f"IMHI task {task.name} is test-only (evaluation only) and cannot be prepared for "
                        f"training; expected one of: {', '.join(DATASETS)}")
    raise UserError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")


def data_dir() -> Path:
    """``PHYASSIST_DATA_DIR`` if set, else ``<cache>/data`` (where ``phyassist data download`` writes)."""
    if os.environ.get("PHYASSIST_DATA_DIR"):
        return Path(os.environ["PHYASSIST_DATA_DIR"]).expanduser()
    return cache_dir() / "data"


def required_columns(split: str, variant: str) -> tuple[str, ...]:
    """The columns an IMHI file must have: the release's test files (both variants) and the
    instruction files use the instruction columns; completion train/val files split the prompt."""
    return IMHI_COLUMNS["instruction" if split == "test" or variant == "instruction" else "complete"]


def imhi_path(task: str, split: str, variant: str = "instruction", *, test_set: str = "instruction",
              root=None) -> Path | None:
    """Where a task's split lives (whether or not it exists), or None for a test-only task's train/val."""
    rel = split_file(get_task(task), split, variant, test_set)
    return None if rel is None else Path(root or data_dir()) / "imhi" / rel


def load_imhi(task: str, split: str, variant: str = "instruction", *, test_set: str = "instruction",
              root: str | os.PathLike | None = None) -> list[dict]:
    """Rows of one IMHI task split as dicts with ``query``, ``response``, ``label`` and ``task``.

    ``test_set="expert"`` reads the expert-written test explanations instead of the ChatGPT-written ones.
    ``label`` is the gold label stated by the response (None when it states none of the task's
    labels). Rows keep file order. A missing file raises an error naming the task and the path tried.
    """
    spec = get_task(task)
    path = imhi_path(spec.name, split, variant, test_set=test_set, root=root)
    if path is None:
        raise UserError(f"IMHI task {spec.name} has no {split} split (test-only task)")
    if not path.exists():
        raise UserError(f"IMHI {spec.name} {split} file not found: tried {path}")
    cols = required_columns(split, variant)
    rows = read_csv(path, required=cols)
    out = []
    for r in rows:
        if len(cols) == 2:
            query, response = r["query"], r["gpt-3.5-turbo"]
        else:
            query, response = (r["post"] or "") + (r["question"] or ""), r["response"]
        out.append({"query": query, "response": response, "label": spec.gold_label(response, variant),
                    "task": spec.name})
    return out


def counsel_prompt(title: str | None, text: str | None) -> str:
    """The user turn of a counsel-chat row: title, then the question text unless it repeats the title."""
    title, text = (title or "").strip(), (text or "").strip()
    if not text or text.startswith(title):
        return text or title
    return f"{title}\n\n{text}" if title else text


def counsel_question_key(title: str | None, text: str | None) -> str:
    """A counsel-chat question as compared across splits: its text (else its title), normalised as
    posts are (``overlap.normalize_post``)."""
    return normalize_post((text or "").strip() or (title or ""))


def load_counsel_chat(split: str, *, answers: str = "top", root=None) -> list[dict]:
    """counsel-chat rows of one split (its ``split`` column: train/val/test) as query/response dicts.

    ``answers="top"`` keeps the most upvoted answer per question (ties: more views, then file
    order); ``"all"`` keeps every answer. Each row has its ``question_id``, ``question_key``
    (``counsel_question_key``) and ``question_in``: None, or the split (``HELD_OUT_ORDER``) that asks
    the same question, by ID or key, and so owns it (``prepare_dataset`` drops such rows as
    ``question_in_<split>``).
    """
    if answers not in ("top", "all"):
        raise UserError(f"`counsel_answers` must be 'top' or 'all', got {answers!r}")
    path = Path(root or data_dir()) / COUNSEL_CHAT_FILE
    if not path.exists():
        raise UserError(f"counsel-chat file not found: tried {path}")
    every = read_csv(path, required=COUNSEL_COLUMNS)
    asked: dict[str, set] = {s: set() for s in SPLITS}  # split -> the question IDs and keys it asks
    for r in every:
        if COUNSEL_SPLITS.get(r["split"].strip()) in asked:
            asked[COUNSEL_SPLITS[r["split"].strip()]] |= _question(r)
    owners = HELD_OUT_ORDER[: HELD_OUT_ORDER.index(split)] if split in HELD_OUT_ORDER else ()
    raw = [r for r in every if COUNSEL_SPLITS.get(r["split"].strip()) == split]
    if answers == "top":
        best: dict[str, tuple] = {}
        for i, r in enumerate(raw):
            key = (_int(r.get("upvotes")), _int(r.get("views")), -i)
            if r["questionID"] not in best or key > best[r["questionID"]][0]:
                best[r["questionID"]] = (key, r)
        raw = [r for _, r in sorted(best.values(), key=lambda kr: -kr[0][2])]
    return [{"query": counsel_prompt(r["questionTitle"], r["questionText"]), "response": r["answerText"],
             "label": "", "task": COUNSEL_CHAT, "question_id": r["questionID"],
             "question_key": counsel_question_key(r["questionTitle"], r["questionText"]),
             "question_in": _owner(r, owners, asked)} for r in raw]


def _question(row: dict) -> set[tuple[str, str]]:
    return {("id", row["questionID"]), ("text", counsel_question_key(row["questionTitle"], row["questionText"]))}


def _owner(row: dict, owners: tuple[str, ...], asked: dict[str, set]) -> str | None:
    """The first split of ``owners`` that asks ``row``'s question, else None."""
    return next((s for s in owners if _question(row) & asked[s]), None)


def _int(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0
