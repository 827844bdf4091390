"""Files and folders: phyassist's cache folder, atomic writes, strict CSV reading, and retried transfers.

Outputs are written to a temporary file in the destination folder and renamed into place, so an
interrupted run never leaves a half-written file. CSV input is parsed by the csv module alone (no
line splitting of our own, so no field is cut) and checked for the usual user mistakes (missing,
empty, binary, wrong encoding, wrong delimiter, header-only, missing columns, extra fields, a field or
file over its size limit); each gets a one-line ``UserError`` naming the file and what was expected.
Downloads and Hub pushes retry transient failures with ``retry``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from .errors import UserError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # read_csv applies its own limit

# Limits that turn a runaway file (an unclosed quote, a dump pasted into one cell) into a one-line error
# instead of a process that eats the machine's memory; both are far above anything in the IMHI and
# counsel-chat releases. Callers with bigger files pass their own.
MAX_FIELD_CHARS = 1_000_000
MAX_FILE_BYTES = 256 * 2**20


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file, read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


T = TypeVar("T")


def retry(fn: Callable[[], T], *, attempts: int, wait: float, transient: Callable[[Exception], bool],
          on_error: Callable[[int, Exception, float | None], None] | None = None) -> T:
    """``fn()``, called again after an error ``transient`` accepts, ``attempts`` calls at most, waiting ``wait``
    seconds before the second call and twice as long before each next one. ``on_error(attempt, error, wait)``
    hears of every transient error (``wait`` is None after the last call). The last error, or the first one
    ``transient`` refuses, is raised as it is."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as e:
            if not transient(e):
                raise
            last = attempt == attempts
            if on_error is not None:
                on_error(attempt, e, None if last else wait)
            if last:
                raise
            time.sleep(wait)
            wait *= 2
    raise ValueError(f"`attempts` must be at least 1, got {attempts}")


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


def read_csv(path: str | os.PathLike, required: Sequence[str] = (), *, max_field_chars: int | None = MAX_FIELD_CHARS,
             max_file_bytes: int | None = MAX_FILE_BYTES) -> list[dict[str, str]]:
    """Read a UTF-8 CSV with a header into dicts, or raise a one-line ``UserError``.

    ``required`` lists columns that must be present. Rows keep their file order. Records are split by
    the csv module alone (newline="" semantics), so a field keeps every character the csv writer left
    unquoted (U+2028, form feed, ...); only a quoted ``\r``/``\n`` continues a field. A NUL byte
    anywhere, a field over ``max_field_chars`` or a file over ``max_file_bytes`` is an error (None: no
    limit).
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: expected a CSV file, got a folder")
    size = path.stat().st_size
    if max_file_bytes is not None and size > max_file_bytes:
        raise UserError(f"{path}: file is {size} bytes, over the limit of {max_file_bytes} bytes (max_file_bytes); "
                        "expected a smaller CSV")
    raw = path.read_bytes()
    if not raw.strip():
        raise UserError(f"{path}: file is empty; expected a CSV with a header row")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise UserError(f"{path}: looks like a binary file (NUL byte at byte {nul}, line {line}); "
                        "expected a UTF-8 CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UserError(
            f"{path}: not valid UTF-8 (byte {e.start}); expected a UTF-8 CSV (re-save it as UTF-8)"
        ) from None
    del raw
    # StringIO(newline="") splits on \r, \n and \r\n only and translates nothing: open(newline="") on the text
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    try:
        for record in reader:
            if not record:  # a blank line, as DictReader skips it
                continue
            if max_field_chars is not None:
                _check_fields(path, record, records, max_field_chars)
            records.append(record)
    except csv.Error as e:
        raise UserError(f"{path}: malformed CSV (line {reader.line_num}: {e}); "
                        "expected comma-separated, double-quoted fields") from None
    header = [h.strip() for h in records[0]] if records else []
    if not any(header):
        raise UserError(f"{path}: header row has no column names; expected a CSV whose first row names the columns")
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                raise UserError(f"{path}: columns look separated by {name}; expected a comma-separated CSV")
    missing = [c for c in required if c not in header]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(h) for h in header) or 'none'}"
        )
    if len(records) < 2:
        raise UserError(f"{path}: has a header but no data rows")
    rows = []
    for i, record in enumerate(records[1:], start=1):
        if len(record) > len(header):
            raise UserError(f"{path}: data row {i} has {len(record)} fields, header has {len(header)}")
        # a short row's missing fields are None, as csv.DictReader gives them
        rows.append(dict(zip(header, record + [None] * (len(header) - len(record)))))
    return rows


def _check_fields(path: Path, record: list[str], before: list, limit: int) -> None:
    for col, value in enumerate(record):
        if len(value) > limit:
            where = "header" if not before else f"data row {len(before)}"
            name = before[0][col].strip() if before and col < len(before[0]) else f"#{col + 1}"
            raise UserError(f"{path}: {where}, column {name!r}: field is {len(value)} characters, over the limit of "
                            f"{limit} (max_field_chars); expected shorter fields")
