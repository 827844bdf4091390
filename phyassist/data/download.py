"""Fetch the public data releases into the data folder: the IMHI benchmark and counsel-chat.

Files come from the MentalLLaMA repository (IMHI, MIT) and the counsel-chat repository (MIT) on
GitHub, by raw URL, each pinned to a commit. Each file is downloaded to a temporary file, checked to
be a CSV with the expected header and, where ``checksums.json`` knows it, to have the release's
sha256, then renamed into place, so an interrupted or failed download never leaves a broken file.
Files already present are kept unless ``force``. Base URLs can be overridden (a mirror, or a local
``file://``/loopback server in tests) with ``PHYASSIST_IMHI_URL`` and ``PHYASSIST_COUNSEL_CHAT_URL``.
The columns each file must have are ``phyassist.data.loading``'s. ``ensure_data`` is the check the
pipeline runs before any model work: present, downloaded, or one line saying how to get it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import UserError
from ..io import atomic_path, read_csv, retry, sha256_file
from .loading import COUNSEL_CHAT_FILE, COUNSEL_COLUMNS, DatasetSpec, required_columns
from .tasks import TASKS, VARIANTS, split_file

logger = logging.getLogger(__name__)

IMHI_COMMIT = "963f409339bb2e9ce98580f5694142507207b931"
COUNSEL_CHAT_COMMIT = "master"
IMHI_URL = f"https://raw.githubusercontent.com/SteveKGYang/MentalLLaMA/{IMHI_COMMIT}"
COUNSEL_CHAT_URL = f"https://raw.githubusercontent.com/nbertagnolli/counsel-chat/{COUNSEL_CHAT_COMMIT}"
# the expert-written test explanations sit in one of two folders of the release, depending on the task
EXPERT_SOURCES = ("test_data/test_instruction_expert", "human_evaluation/test_instruction_expert")
STALL_LIMIT_S = 60  # how long one request may stall before it counts as failed
RETRIES = 3
BACKOFF_S = 2.0  # waits 2 s, then 4 s, between attempts (io.retry doubles it)

# Not in the public repositories (too large for git): tried, and reported as unavailable if absent.
OPTIONAL = {"imhi/test_data/test_instruction/swmh.csv", "imhi/test_data/test_complete/swmh.csv",
            *(f"imhi/train_data/{v}_data/{t}/train.csv" for v in VARIANTS for t in ("Irf", "MultiWD"))}


def checksums() -> dict[str, str]:
    """sha256 of each release file, by destination path (shipped with the package)."""
    from importlib.resources import files

    return json.loads(files("phyassist.data").joinpath("checksums.json").read_text())


def manifest(only: str | None = None) -> list[tuple[str, str | tuple[str, ...], tuple[str, ...]]]:
    """(relative destination, source URL or URLs tried in order, required columns) for every file."""
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
            expert = f"test_data/test_instruction_expert/{task.name}.csv"
            files.append((f"imhi/{expert}", tuple(f"{imhi}/{d}/{task.name}.csv" for d in EXPERT_SOURCES),
                          required_columns("test", "instruction")))
    if only in (None, "counsel-chat"):
        files.append(("counsel-chat/LICENSE", f"{counsel}/LICENSE", ()))
        files.append((COUNSEL_CHAT_FILE, f"{counsel}/data/{Path(COUNSEL_CHAT_FILE).name}", COUNSEL_COLUMNS))
    return files


def fetch(url: str | tuple[str, ...], dest: Path, required: tuple[str, ...] = (), sha256: str | None = None) -> Path:
    """Download ``url`` (or the first of several that exists) to ``dest`` atomically; a CSV must parse
    and have the ``required`` columns; with ``sha256``, the bytes must hash to it."""
    if isinstance(url, tuple):
        for i, candidate in enumerate(url):
            try:
                return fetch(candidate, dest, required, sha256)
            except FileNotFoundError:
                if i == len(url) - 1:
                    raise
    return retry(lambda: _fetch_once(url, dest, required, sha256), attempts=RETRIES, wait=BACKOFF_S,
                 transient=lambda e: isinstance(e, ConnectionError), on_error=_log_attempt)


def _fetch_once(url: str, dest: Path, required: tuple[str, ...], sha256: str | None) -> Path:
    """One try of ``fetch``: a ``ConnectionError`` naming the URL is worth another."""
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=STALL_LIMIT_S) as response, open(tmp, "wb") as f:
                shutil.copyfileobj(response, f)
            if dest.suffix == ".csv":
                read_csv(tmp, required=required)  # raises before the rename if it is not the CSV we expect
            if sha256:
                got = sha256_file(tmp)
                if got != sha256:
                    raise ChecksumError(f"{url}: sha256 {got[:12]} is not the pinned release's {sha256[:12]}; the "
                                        f"source changed (pass --no-verify to accept it)")
        return dest
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise FileNotFoundError(f"{url}: not found (HTTP 404)") from None
        raise ConnectionError(f"{url}: HTTP {e.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, FileNotFoundError):  # file:// URL to a missing file
            raise FileNotFoundError(f"{url}: not found") from None
        raise ConnectionError(f"{url}: {reason}") from None
    except UserError as e:
        raise UserError(f"{url}: downloaded file is not the expected CSV ({e})") from None


def _log_attempt(attempt: int, error: Exception, wait: float | None) -> None:
    logger.warning("attempt %d/%d failed: %s", attempt, RETRIES, error)


class ChecksumError(UserError):
    """A downloaded file is not the pinned release's."""


def download_all(dest, *, force: bool = False, only: str | None = None, verify: bool = True,
                 progress: bool = True) -> dict[str, list[str]]:
    """Fetch every release file into ``dest``; returns lists of downloaded, kept, unavailable, failed."""
    from tqdm.auto import tqdm

    if only not in (None, "imhi", "counsel-chat"):
        raise UserError(f"`only` must be 'imhi' or 'counsel-chat', got {only!r}")
    dest = Path(dest)
    sums = checksums() if verify else {}
    result = {"downloaded": [], "kept": [], "unavailable": [], "failed": []}
    for rel, url, cols in tqdm(manifest(only), desc="data files", unit="file", disable=not progress):
        target = dest / rel
        if target.exists() and not force:
            result["kept"].append(rel)
            continue
        logger.info("fetching %s", url if isinstance(url, str) else url[0])
        try:
            fetch(url, target, cols, sums.get(rel))
            result["downloaded"].append(rel)
        except FileNotFoundError as e:
            key = "unavailable" if rel in OPTIONAL or "_expert/" in rel else "failed"
            result[key].append(f"{rel} ({e})")
        except ConnectionError as e:
            if not result["downloaded"]:  # the very first download failed: most likely no network at all
                raise UserError(f"cannot download {e}; check the internet connection, or point "
                                "PHYASSIST_IMHI_URL / PHYASSIST_COUNSEL_CHAT_URL at a mirror") from None
            result["failed"].append(f"{rel} ({e})")
        except UserError as e:
            result["failed"].append(f"{rel} ({e})")
    return result


def needed_files(dataset: str | DatasetSpec) -> list[str]:
    """Release files (relative to the data folder) that training on ``dataset`` and evaluating it need:
    the training splits (validation alone when train.csv is one of the optional ones) and the test files."""
    from .loading import COUNSEL_CHAT, resolve_dataset

    spec = dataset if isinstance(dataset, DatasetSpec) else resolve_dataset(dataset)
    out = []
    for comp in spec.components:
        if comp == COUNSEL_CHAT:
            out.append(COUNSEL_CHAT_FILE)
            continue
        for split in ("train", "validation"):
            rel = f"imhi/{split_file(TASKS[comp], split, 'instruction')}"
            if rel not in OPTIONAL:
                out.append(rel)
    out += [f"imhi/{split_file(TASKS[t], 'test', 'instruction')}" for t in spec.eval_tasks]
    return list(dict.fromkeys(out))


def ensure_data(dataset: str | DatasetSpec, root=None) -> Path:
    """The data folder, once every file ``dataset`` needs is in it: fetched when missing (online), else
    a one-line error naming what is missing and how to get it. Runs before any model is loaded."""
    from huggingface_hub import constants

    from .loading import data_dir

    root = Path(root) if root else data_dir()
    missing = [rel for rel in needed_files(dataset) if not (root / rel).is_file()]
    dataset = getattr(dataset, "name", dataset)  # a DatasetSpec a command looked up, or a name
    if not missing:
        return root
    how = ("run `phyassist data download` (needs internet), or set PHYASSIST_DATA_DIR to a folder that holds "
           "imhi/ and counsel-chat/")
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    if constants.is_offline_mode():
        raise UserError(f"{dataset} data missing under {root} ({shown}); HF_HUB_OFFLINE is set, so not downloading: {how}")
    logger.info("%s data missing under %s (%s): downloading the releases.", dataset, root, shown)
    try:
        download_all(root)
    except UserError as e:
        raise UserError(f"{dataset} data missing under {root} ({shown}) and the download failed ({e}); {how}") from None
    still = [rel for rel in missing if not (root / rel).is_file()]
    if still:
        raise UserError(f"{dataset} data still missing under {root} after the download ({', '.join(still[:3])}); {how}")
    return root
