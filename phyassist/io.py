"""Files and folders: phyassist's cache folder, atomic writes and strict CSV reading.

Outputs are written to a temporary file in the destination folder and renamed into place, so an
interrupted run never leaves a half-written file. CSV input is checked for the usual user mistakes
(missing, empty, binary, wrong encoding, wrong delimiter, header-only, missing columns) and each gets
a one-line ``UserError`` naming the file and what was expected.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .errors import UserError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file, read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_dir() -> Path:
    """phyassist's cache: ``PHYASSIST_CACHE``, else ``$XDG_CACHE_HOME/phyassist`` or ``~/.cache/phyassist``."""
    if os.environ.get("PHYASSIST_CACHE"):
        return Path(os.environ["PHYASSIST_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "phyassist"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_csv(path: str | os.PathLike, rows: Iterable[dict], fieldnames: Sequence[str]) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(fieldnames), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
    return Path(path)


def read_csv(path: str | os.PathLike, required: Sequence[str] = ()) -> list[dict[str, str]]:
    """Read a UTF-8 CSV with a header into dicts, or raise a one-line ``UserError``.

    ``required`` lists columns that must be present. Rows keep their file order.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: expected a CSV file, got a folder")
    raw = path.read_bytes()
    if not raw.strip():
        raise UserError(f"{path}: file is empty; expected a CSV with a header row")
    if b"\x00" in raw[:8192]:
        raise UserError(f"{path}: looks like a binary file; expected a UTF-8 CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UserError(
            f"{path}: not valid UTF-8 (byte {e.start}); expected a UTF-8 CSV (re-save it as UTF-8)"
        ) from None
    lines = text.splitlines()
    header_line = lines[0] if lines else ""
    try:
        rows = list(csv.DictReader(text.splitlines(keepends=True), strict=True))
        header = next(csv.reader([header_line]))
    except csv.Error as e:
        raise UserError(f"{path}: malformed CSV ({e}); expected comma-separated, double-quoted fields") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise UserError(f"{path}: header row has no column names; expected a CSV whose first row names the columns")
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header_line:
                raise UserError(f"{path}: columns look separated by {name}; expected a comma-separated CSV")
    missing = [c for c in required if c not in header]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(h) for h in header) or 'none'}"
        )
    if not rows:
        raise UserError(f"{path}: has a header but no data rows")
    for i, row in enumerate(rows):
        if None in row:  # more fields than the header names
            raise UserError(f"{path}: data row {i + 1} has {len(header) + len(row[None])} fields, header has {len(header)}")
    return [{(k or "").strip(): v for k, v in row.items()} for row in rows]
