"""``phyassist data list|prepare|download``: the data commands.

``list`` shows every IMHI task and counsel-chat split with its row count and what is missing;
``prepare`` writes a cleaned DatasetDict plus ``data_report.json`` (see ``phyassist.data``);
``download`` fetches the public releases (see ``phyassist.download``). The work itself lives in
those modules; this one parses flags and prints tables.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from .errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="show each task and split with row counts and what is missing")
    p.add_argument("--data-dir", help="data folder (default: PHYASSIST_DATA_DIR, else the cache)")

    from .data import DATASETS

    p = sub.add_parser("prepare", help="clean and split a dataset into a DatasetDict folder")
    p.add_argument("--dataset", required=True, help=f"one of: {', '.join(DATASETS)}")
    p.add_argument("--out", required=True, help="output folder (written atomically)")
    p.add_argument("--variant", default="instruction", choices=("instruction", "complete"))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="share of val carved out as validation when a train file is absent")
    p.add_argument("--max-chars", type=int, default=None, help="drop train/validation rows longer than this")
    p.add_argument("--counsel-answers", default="top", choices=("top", "all"),
                   help="counsel-chat: the most upvoted answer per question, or all answers")
    p.add_argument("--data-dir", help="data folder (default: PHYASSIST_DATA_DIR, else the cache)")

    p = sub.add_parser("download", help="fetch the IMHI release and counsel-chat (needs internet)")
    p.add_argument("--dest", help="destination folder (default: PHYASSIST_DATA_DIR, else the cache)")
    p.add_argument("--force", action="store_true", help="download files that already exist again")
    p.add_argument("--only", choices=("imhi", "counsel-chat"), help="fetch one source only")


def run(args) -> int:
    return {"list": run_list, "prepare": run_prepare, "download": run_download}[args.data_command](args)


def _count(path: Path) -> str:
    from .io import read_csv

    if not path.exists():
        return "missing"
    try:
        return str(len(read_csv(path)))
    except UserError:
        return "unreadable"


def inventory(root) -> tuple[list[list[str]], list[str]]:
    """Table rows (task, variant, train, validation, test) and the list of missing files."""
    from .data import COUNSEL_CHAT_FILE, COUNSEL_SPLITS, imhi_path
    from .io import read_csv
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


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def run_list(args) -> int:
    from .data import data_dir

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


def run_prepare(args) -> int:
    from .data import format_report, prepare_dataset, save_prepared

    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; expected an output folder for --out")
    dsd, report = prepare_dataset(
        args.dataset, variant=args.variant, seed=args.seed, val_fraction=args.val_fraction,
        max_chars=args.max_chars, counsel_answers=args.counsel_answers,
        root=Path(args.data_dir).expanduser() if args.data_dir else None,
    )
    save_prepared(dsd, report, out)
    print(format_report(report))
    print(f"saved to {out} (report: {out / 'data_report.json'})")
    return 0


def run_download(args) -> int:
    from .data import data_dir
    from .download import download_all

    dest = Path(args.dest).expanduser() if args.dest else data_dir()
    result = download_all(dest, force=args.force, only=args.only)
    for status in ("downloaded", "kept", "unavailable", "failed"):
        if result[status]:
            print(f"{status} ({len(result[status])}):")
            print("\n".join(f"  {x}" for x in result[status]))
    print(f"data folder: {dest}")
    if result["failed"]:
        print("some files could not be fetched; run again to retry", file=sys.stderr)
        return 1
    return 0
