"""Fetch the public data releases into the data folder: the IMHI benchmark and counsel-chat.

Files come from the MentalLLaMA repository (IMHI, MIT) and the counsel-chat repository (MIT) on
GitHub, by raw URL. Each file is downloaded to a temporary file, checked to be a CSV with the
expected header, then renamed into place, so an interrupted or failed download never leaves a broken
file. Files already present are kept unless ``force``. Base URLs can be overridden (a mirror, a
pinned commit, or a local ``file://``/loopback server in tests) with ``PHYASSIST_IMHI_URL`` and
``PHYASSIST_COUNSEL_CHAT_URL``. The columns each file must have are ``phyassist.data.loading``'s.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import UserError
from ..io import atomic_path, read_csv
from .loading import COUNSEL_CHAT_FILE, COUNSEL_COLUMNS, required_columns
from .tasks import TASKS, VARIANTS, split_file

logger = logging.getLogger(__name__)

IMHI_URL = "https://raw.githubusercontent.com/SteveKGYang/MentalLLaMA/main"
COUNSEL_CHAT_URL = "https://raw.githubusercontent.com/nbertagnolli/counsel-chat/master"
TIMEOUT_S = 60
RETRIES = 3
BACKOFF_S = 2.0  # waits 2 s, then 4 s, between attempts

# Not in the public repositories (too large for git): tried, and reported as unavailable if absent.
OPTIONAL = {"imhi/test_data/test_instruction/swmh.csv", "imhi/test_data/test_complete/swmh.csv",
            *(f"imhi/train_data/{v}_data/{t}/train.csv" for v in VARIANTS for t in ("Irf", "MultiWD"))}


def manifest(only: str | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(relative destination, source URL, required columns) for every file of the releases."""
    imhi = os.environ.get("PHYASSIST_IMHI_URL", IMHI_URL).rstrip("/")
    counsel = os.environ.get("PHYASSIST_COUNSEL_CHAT_URL", COUNSEL_CHAT_URL).rstrip("/")
    files = []
    if only in (None, "imhi"):
        files.append(("imhi/LICENSE", f"{imhi}/LICENSE", ()))
        for task in TASKS.values():
            for variant in VARIANTS:
                for split in ("train", "validation", "test"):
                    rel = split_file(task, split, variant)
                    if rel is None:
                        continue
                    files.append((f"imhi/{rel}", f"{imhi}/{rel}", required_columns(split, variant)))
    if only in (None, "counsel-chat"):
        files.append(("counsel-chat/LICENSE", f"{counsel}/LICENSE", ()))
        files.append((COUNSEL_CHAT_FILE, f"{counsel}/data/{Path(COUNSEL_CHAT_FILE).name}", COUNSEL_COLUMNS))
    return files


def fetch(url: str, dest: Path, required: tuple[str, ...] = ()) -> Path:
    """Download ``url`` to ``dest`` atomically; a CSV must parse and have the ``required`` columns."""
    last = None
    for attempt in range(1, RETRIES + 1):
        try:
            with atomic_path(dest) as tmp:
                with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(tmp, "wb") as f:
                    shutil.copyfileobj(response, f)
                if dest.suffix == ".csv":
                    read_csv(tmp, required=required)  # raises before the rename if it is not the CSV we expect
            return dest
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise FileNotFoundError(f"{url}: not found (HTTP 404)") from None
            last = f"{url}: HTTP {e.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, FileNotFoundError):  # file:// URL to a missing file
                raise FileNotFoundError(f"{url}: not found") from None
            last = f"{url}: {reason}"
        except UserError as e:
            raise UserError(f"{url}: downloaded file is not the expected CSV ({e})") from None
        logger.warning("attempt %d/%d failed: %s", attempt, RETRIES, last)
        if attempt < RETRIES:
            time.sleep(BACKOFF_S * attempt)
    raise ConnectionError(last)


def download_all(dest, *, force: bool = False, only: str | None = None) -> dict[str, list[str]]:
    """Fetch every release file into ``dest``; returns lists of downloaded, kept, unavailable, failed."""
    if only not in (None, "imhi", "counsel-chat"):
        raise UserError(f"`only` must be 'imhi' or 'counsel-chat', got {only!r}")
    dest = Path(dest)
    result = {"downloaded": [], "kept": [], "unavailable": [], "failed": []}
    for rel, url, cols in manifest(only):
        target = dest / rel
        if target.exists() and not force:
            result["kept"].append(rel)
            continue
        logger.info("fetching %s", url)
        try:
            fetch(url, target, cols)
            result["downloaded"].append(rel)
        except FileNotFoundError as e:
            key = "unavailable" if rel in OPTIONAL else "failed"
            result[key].append(f"{rel} ({e})")
        except ConnectionError as e:
            if not result["downloaded"]:  # the very first download failed: most likely no network at all
                raise UserError(f"cannot download {e}; check the internet connection, or point "
                                "PHYASSIST_IMHI_URL / PHYASSIST_COUNSEL_CHAT_URL at a mirror") from None
            result["failed"].append(f"{rel} ({e})")
        except UserError as e:
            result["failed"].append(f"{rel} ({e})")
    return result
