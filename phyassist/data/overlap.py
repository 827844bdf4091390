"""Decontamination: the posts of every IMHI test set, so that no training or validation row holds one.

A row is matched on its post, not its whole query: the same Reddit post is asked about in several
tasks with other questions and answers. The post is taken from ``Consider this post: "<post>"
Question: ...`` or the completion form ``Post: <post> Question: ...``; any other text (a counsel-chat
question) is compared whole. Posts are normalised (mojibake repaired as ``clean`` repairs it, Unicode
NFKC, case-folded, white space collapsed) and kept as hashes. ``imhi_test_posts(root)`` indexes every
test file of the release that exists (both variants and the expert set, every task), once per
process, and keeps the index on disk under the cache folder, keyed by the files' sha256.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..io import cache_dir, read_csv, sha256_file, write_json
from .clean import repair_mojibake
from .tasks import VARIANTS, test_file

logger = logging.getLogger(__name__)

# Bump when post_of or post_key change: the on-disk indexes built before are then ignored.
INDEX_VERSION = 1
# Greedy: the last `" Question:` ends the post, so a post that quotes a question stays whole.
_INSTRUCTION = re.compile(r'\s*Consider this post:\s*"(.*)"\s*Question:', re.DOTALL)
_COMPLETE = re.compile(r"\s*Post:\s*(.*)\s*Question:", re.DOTALL)


def post_of(query: str) -> str:
    """The post an IMHI query asks about, or the whole text when it has neither IMHI form."""
    for pattern in (_INSTRUCTION, _COMPLETE):
        m = pattern.match(query)
        if m and m.group(1).strip():
            return m.group(1)
    return query


def normalize_post(text: str) -> str:
    """Mojibake repaired, NFKC, case-folded, white space collapsed: how two copies of a post compare."""
    return " ".join(unicodedata.normalize("NFKC", repair_mojibake(text)[0]).casefold().split())


def post_key(query: str) -> str | None:
    """The index key of a query's post (a hash of the normalised post), or None for an empty post."""
    post = normalize_post(post_of(str(query)))
    return hashlib.blake2b(post.encode("utf-8"), digest_size=16).hexdigest() if post else None


@dataclass(frozen=True)
class PostIndex:
    """The posts of a set of test files; ``query in index`` is true when the query's post is one of them."""

    keys: frozenset[str]
    files: tuple[str, ...]  # the test files indexed, relative to the data folder

    def __contains__(self, query) -> bool:
        key = post_key(query)
        return key is not None and key in self.keys

    def __len__(self) -> int:
        return len(self.keys)


def imhi_test_files(root) -> list[Path]:
    """Every CSV in the release's test folders (test_instruction, test_complete, the expert set) under ``root``."""
    folders = {Path(test_file(v)).parent for v in VARIANTS} | {Path(test_file("instruction", "expert")).parent}
    base = Path(root) / "imhi"
    return sorted(p for folder in folders for p in (base / folder).glob("*.csv") if p.is_file())


_MEMORY: dict[tuple, PostIndex] = {}


def imhi_test_posts(root) -> PostIndex:
    """The index of every IMHI test post under ``root``: from memory, else the disk cache, else built."""
    root = Path(root)
    files = imhi_test_files(root)
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if stamp in _MEMORY:
        return _MEMORY[stamp]
    rel = tuple(str(p.relative_to(root)) for p in files)
    digest = hashlib.sha256(json.dumps([INDEX_VERSION, [[r, sha256_file(p)] for r, p in zip(rel, files)]]).encode())
    cached = cache_dir() / "test-posts" / f"{digest.hexdigest()}.json"
    index = _read_cached(cached, rel)
    if index is None:
        keys = set()
        for path in files:
            # the test files hold `query` in every variant (checked like any other read)
            keys.update(k for r in read_csv(path, required=("query",)) if (k := post_key(r["query"] or "")))
        index = PostIndex(frozenset(keys), rel)
        try:
            write_json(cached, {"version": INDEX_VERSION, "files": list(rel), "keys": sorted(keys)})
        except OSError as e:  # a read-only cache only costs the rebuild next time
            logger.debug("could not cache the test-post index at %s: %s", cached, e)
    logger.debug("test-post index: %d posts from %d files under %s", len(index), len(files), root)
    _MEMORY[stamp] = index
    return index


def _read_cached(path: Path, rel: tuple[str, ...]) -> PostIndex | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("version") != INDEX_VERSION or tuple(saved.get("files", ())) != rel \
            or not isinstance(saved.get("keys"), list):
        return None
    return PostIndex(frozenset(saved["keys"]), rel)
