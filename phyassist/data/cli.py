"""``phyassist data list|prepare|download``: the data commands.

``list`` shows every IMHI task and counsel-chat split with its row count and what is missing;
``prepare`` writes a cleaned DatasetDict plus ``data_report.json`` (``prepare``); ``download``
fetches the public releases (``download``). Each action's dataclass is its flags; the work itself
lives in those modules, this one prints tables.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..cli_utils import check_out_folder, format_table
from ..errors import UserError
from ..models import DEFAULT_BASE
from .tasks import check_variant


@dataclass
class ListConfig:
    """``phyassist data list``: each task and split with row counts, and what is missing."""

    data_dir: str | None = field(default=None, metadata={"help": "Data folder; default: PHYASSIST_DATA_DIR, else the cache."})


@dataclass
class PrepareConfig:
    """``phyassist data prepare``: clean and split a dataset into a DatasetDict folder."""

    dataset: str | None = field(default=None, metadata={"help": "A dataset: an IMHI training task, counsel-chat, final or all."})
    out: str | None = field(default=None, metadata={"help": "Output folder (written atomically)."})
    variant: str = field(default="instruction", metadata={"help": "IMHI variant: instruction or complete."})
    seed: int = field(default=42, metadata={"help": "Seed for splits and shuffling."})
    val_fraction: float = field(default=0.1, metadata={
        "help": "Share of val carved out as validation when a train file is absent."})
    max_chars: int | None = field(default=None, metadata={"help": "Drop train/validation rows longer than this."})
    base_model: str = field(default=DEFAULT_BASE, metadata={
        "help": "Base model whose context bounds the row length: a preset, a Hub id in the local cache or a folder."})
    context_tokens: int | None = field(default=None, metadata={
        "help": "Drop train/validation rows longer than this many tokens, chat template included "
                "(default: the base model's context; 0: no limit)."})
    decontaminate: bool = field(default=True, metadata={
        "help": "Drop train/validation rows whose post is also in an IMHI test set (any task)."})
    counsel_answers: str = field(default="top", metadata={
        "help": "counsel-chat: 'top' (the most upvoted answer per question) or 'all'."})
    data_dir: str | None = field(default=None, metadata={"help": "Data folder; default: PHYASSIST_DATA_DIR, else the cache."})

    def __post_init__(self):
        if not self.dataset:
            raise UserError("`dataset` is required (--dataset NAME); see `phyassist data list`")
        check_out_folder(self.out)
        check_variant(self.variant)
        if self.counsel_answers not in ("top", "all"):
            raise UserError(f"`counsel_answers` must be 'top' or 'all', got {self.counsel_answers!r}")
        from .context import check_context_tokens

        check_context_tokens(self.context_tokens)


@dataclass
class DownloadConfig:
    """``phyassist data download``: fetch the IMHI release and counsel-chat (needs internet)."""

    dest: str | None = field(default=None, metadata={"help": "Destination folder; default: PHYASSIST_DATA_DIR, else the cache."})
    force: bool = field(default=False, metadata={"help": "Download files that already exist again."})
    only: str | None = field(default=None, metadata={"help": "Fetch one source only: imhi or counsel-chat."})
    verify: bool = field(default=True, metadata={
        "help": "Check each file against the pinned release's sha256 (--no-verify accepts a changed source)."})


def _count(path: Path) -> str:
    from ..io import read_csv

    if not path.exists():
        return "missing"
    try:
        return str(len(read_csv(path)))
    except UserError:
        return "unreadable"


def inventory(root) -> tuple[list[list[str]], list[str]]:
    """Table rows (task, variant, train, validation, test) and the list of missing files."""
    from ..io import read_csv
    from .loading import COUNSEL_CHAT_FILE, COUNSEL_SPLITS, imhi_path
    from .tasks import TASKS, VARIANTS

    rows, missing = [], []
    for name, task in TASKS.items():
        for variant in VARIANTS:
            cells = [name, variant]
            for split in ("train", "validation", "test"):
                path = imhi_path(name, split, variant, root=root)
                if path is None:
                    cells.append("-")
                    continue
                n = _count(path)
                cells.append(n)
                if n in ("missing", "unreadable"):
                    missing.append(f"{path} ({n})")
            rows.append(cells)
    path = Path(root) / COUNSEL_CHAT_FILE
    if path.exists():
        try:
            data = read_csv(path, required=("questionID", "split"))
            answers = Counter(COUNSEL_SPLITS.get(r["split"], r["split"]) for r in data)
            questions = Counter(COUNSEL_SPLITS.get(r["split"], r["split"]) for r in {r["questionID"]: r for r in data}.values())
            rows.append(["counsel-chat", "answers/questions"] + [f"{answers[s]}/{questions[s]}" for s in ("train", "validation", "test")])
        except UserError as e:
            rows.append(["counsel-chat", "-", "unreadable", "unreadable", "unreadable"])
            missing.append(f"{path} (unreadable: {e})")
    else:
        rows.append(["counsel-chat", "-", "missing", "missing", "missing"])
        missing.append(f"{path} (missing)")
    return rows, missing


def run_list(args: ListConfig) -> int:
    from .loading import data_dir

    root = Path(args.data_dir).expanduser() if args.data_dir else data_dir()
    if not root.is_dir():
        raise UserError(f"data folder {root} does not exist; run `phyassist data download` or set PHYASSIST_DATA_DIR")
    rows, missing = inventory(root)
    print(f"data folder: {root}")
    print(format_table(["task", "variant", "train", "validation", "test"], rows))
    print("('-' = the task has no such split: CAMS, loneliness, t-sid and swmh are test-only)")
    if missing:
        print(f"\nmissing or unreadable ({len(missing)}):")
        print("\n".join(f"  {m}" for m in missing))
    else:
        print("\nnothing missing")
    return 0


def run_prepare(args: PrepareConfig) -> int:
    from .prepare import format_report, prepare_dataset, save_prepared

    out = Path(args.out).expanduser()
    dsd, report = prepare_dataset(
        args.dataset, variant=args.variant, seed=args.seed, val_fraction=args.val_fraction,
        max_chars=args.max_chars, counsel_answers=args.counsel_answers,
        root=Path(args.data_dir).expanduser() if args.data_dir else None,
        base_model=args.base_model, context_tokens=args.context_tokens, decontaminate=args.decontaminate,
    )
    save_prepared(dsd, report, out)
    print(format_report(report))
    print(f"saved to {out} (report: {out / 'data_report.json'})")
    return 0


def run_download(args: DownloadConfig) -> int:
    from .download import download_all
    from .loading import data_dir

    dest = Path(args.dest).expanduser() if args.dest else data_dir()
    result = download_all(dest, force=args.force, only=args.only, verify=args.verify)
    for status in ("downloaded", "kept", "unavailable", "failed"):
        if result[status]:
            print(f"{status} ({len(result[status])}):")
            print("\n".join(f"  {x}" for x in result[status]))
    print(f"data folder: {dest}")
    if result["failed"]:
        print("some files could not be fetched; run again to retry", file=sys.stderr)
        return 1
    return 0


# action -> (config class, what it does)
ACTIONS = {
    "list": (ListConfig, run_list),
    "prepare": (PrepareConfig, run_prepare),
    "download": (DownloadConfig, run_download),
}
