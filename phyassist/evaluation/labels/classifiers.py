"""The published label classifiers: build them (``phyassist labels build``), verify each file against
its manifest's sha256 before loading it (nothing is unpickled), and find them on any machine
(``find_classifiers``)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ...data.tasks import TRAIN_TASKS, get_task
from ...errors import UserError
from ...io import sha256_file
from .learned import CLASSIFIER_VERSION, LabelClassifier, explanation, train_classifier, training_rows

logger = logging.getLogger(__name__)

FORMAT = 1  # manifest layout; a newer one is refused, not misread
ENV_VAR = "PHYASSIST_LABEL_CLASSIFIERS"
HUB_REPO = "phyassist/imhi-label-classifiers"
HUB_REVISION = f"v{CLASSIFIER_VERSION}"  # a tag; push_metric.py refuses to move an existing one
MANIFEST = "manifest.json"
HOW_TO_GET = (f"set {ENV_VAR}=DIR to a folder written by `phyassist labels build --out DIR` (needs the IMHI "
              f"training data: `phyassist data download`), or go online so they download from {HUB_REPO}, "
              f"or pass labels='strict' for the parser alone")


class ClassifiersNotFound(UserError):
    """No source of label classifiers answered; the message says how to get them."""


def rows_hash(rows) -> str:
    """sha256 of the training rows (query, response, label), in order, with the classifier version."""
    h = hashlib.sha256(f"v{CLASSIFIER_VERSION}".encode())
    for r in rows:
        h.update(f"{r.get('query', '')}\x00{r['response']}\x00{r['label']}\x01".encode())
    return h.hexdigest()


def held_out_accuracy(clf: LabelClassifier, rows) -> float | None:
    """Accuracy (x100) of the classifier alone on gold explanations with their label sentence removed."""
    rows = [r for r in rows if r["label"] is not None]
    if not rows:
        return None
    preds = clf.predict([explanation(r["response"]) for r in rows], [r["query"] for r in rows])
    return round(sum(p == r["label"] for p, r in zip(preds, rows)) / len(rows) * 100, 2)


def build(out: str | os.PathLike, tasks=None, root=None, rows: dict | None = None) -> dict:
    """Train and write the classifiers of ``tasks`` (default: every task with training data) and the
    manifest into ``out``, replacing it atomically; return the manifest. ``rows`` maps a task to its
    training rows when the caller has read them already.

    ``out`` gets ``<task>.npz`` (plain arrays, byte-stable) per task and ``manifest.json``: format
    version, classifier version, per task the file's sha256, the training-rows hash and the held-out
    accuracy on the test gold explanations. ``scripts/push_metric.py`` publishes that folder to
    ``HUB_REPO`` under the tag ``HUB_REVISION``.
    """
    from ...data.loading import load_imhi
    from ...io import atomic_dir

    names = [get_task(t).name for t in (tasks or TRAIN_TASKS)]
    for name in names:
        if not get_task(name).has_train:
            raise UserError(f"IMHI task {name} has no training data, so no label classifier; "
                            f"expected some of: {', '.join(TRAIN_TASKS)}")
    out = Path(out).expanduser()
    manifest = {"format": FORMAT, "classifier_version": CLASSIFIER_VERSION, "tasks": {}}
    with atomic_dir(out) as tmp:
        for name in names:
            task_rows = (rows or {}).get(name) or training_rows(name, root)
            if not task_rows:
                raise UserError(f"no {name} training rows with a gold label under the IMHI data folder; "
                                f"run `phyassist data download` or set PHYASSIST_DATA_DIR")
            logger.info("Training the %s label classifier on %d explanations.", name, len(task_rows))
            clf = train_classifier(name, task_rows)
            path = clf.save(tmp / f"{name}.npz")
            entry = {"file": path.name, "sha256": sha256_file(path), "rows_hash": rows_hash(task_rows),
                     "rows": len(task_rows), "classes": clf.classes, "held_out": {}}
            for test_set in ("instruction", "expert"):
                try:
                    test = load_imhi(name, "test", test_set=test_set, root=root)
                except UserError:
                    continue
                entry["held_out"][test_set] = {"accuracy": held_out_accuracy(clf, test), "rows": len(test)}
            manifest["tasks"][name] = entry
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


@dataclass
class ClassifierSet:
    """A folder of classifiers and its manifest; ``get`` verifies each file before loading it."""

    root: Path
    manifest: dict
    source: str
    _loaded: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, root: str | os.PathLike, source: str | None = None) -> "ClassifierSet":
        root = Path(root).expanduser()
        path = root / MANIFEST
        if not path.is_file():
            raise UserError(f"{root}: no {MANIFEST}; expected a folder written by `phyassist labels build`")
        try:
            manifest = json.loads(path.read_text())
            fmt = int(manifest["format"])
            manifest["tasks"] = dict(manifest["tasks"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise UserError(f"{path}: not a label-classifier manifest (expected JSON with `format` and `tasks`)") from None
        if fmt > FORMAT:
            raise UserError(f"{path}: manifest format {fmt} is newer than this phyassist reads ({FORMAT}); "
                            f"upgrade phyassist")
        return cls(root, manifest, source or str(root))

    def has(self, task: str) -> bool:
        return get_task(task).name in self.manifest["tasks"]

    def entry(self, task: str) -> dict:
        name = get_task(task).name
        if name not in self.manifest["tasks"]:
            have = ", ".join(self.manifest["tasks"]) or "none"
            raise UserError(f"{self.root / MANIFEST}: no {name} label classifier (it has: {have})")
        return self.manifest["tasks"][name]

    def get(self, task: str) -> LabelClassifier:
        name = get_task(task).name
        if name not in self._loaded:
            entry = self.entry(name)
            path = self.root / Path(entry["file"]).name  # a manifest names files, never paths
            if not path.is_file():
                raise UserError(f"{path}: missing; the manifest lists it for {name}")
            if sha256_file(path) != entry["sha256"]:
                raise UserError(f"{path}: sha256 does not match the manifest (corrupt or tampered); "
                                f"delete the folder and fetch or build it again")
            try:
                self._loaded[name] = LabelClassifier.load(path)
            except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
                raise UserError(f"{path}: cannot read the classifier ({e})") from None
        return self._loaded[name]

    def describe(self, task: str) -> str:
        """What a result records: task, classifier version and the file's sha256 (12 hex digits)."""
        entry = self.entry(task)
        return f"{get_task(task).name} v{self.manifest['classifier_version']} sha256:{entry['sha256'][:12]}"


def _cache_root() -> Path:
    from ...io import cache_dir

    return cache_dir() / "label-classifiers"


def _hub_cache(repo_id: str, revision: str) -> Path:
    return _cache_root() / f"{repo_id.replace('/', '--')}@{revision}"


def download(repo_id: str = HUB_REPO, revision: str = HUB_REVISION, endpoint: str | None = None) -> ClassifierSet:
    """Fetch the manifest and its files at ``revision`` into the cache, verified before they land."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    from ...io import atomic_dir

    # one quick look first: an offline machine or a missing revision answers at once, without the
    # download's retries and their back-off
    get_hf_file_metadata(hf_hub_url(repo_id, MANIFEST, revision=revision, endpoint=endpoint), endpoint=endpoint,
                         timeout=10, retry_on_errors=False)
    dest = _hub_cache(repo_id, revision)
    with atomic_dir(dest) as tmp:
        def fetch(name):
            return Path(hf_hub_download(repo_id, name, revision=revision, local_dir=tmp / ".download",
                                        endpoint=endpoint))

        manifest = fetch(MANIFEST)
        (tmp / MANIFEST).write_bytes(manifest.read_bytes())
        staged = ClassifierSet.open(tmp, f"{repo_id}@{revision}")
        for entry in staged.manifest["tasks"].values():
            fetch(Path(entry["file"]).name).replace(tmp / Path(entry["file"]).name)
        for task in staged.manifest["tasks"]:
            staged.get(task)  # sha256 check before anything is renamed into the cache
        shutil.rmtree(tmp / ".download")
    return ClassifierSet.open(dest, f"{repo_id}@{revision}")


_FOUND: dict[tuple, ClassifierSet] = {}


def find_classifiers(task: str | None = None, *, repo_id: str = HUB_REPO, revision: str = HUB_REVISION) -> ClassifierSet:
    """The classifier set to use, checked to hold ``task`` when one is given; raises
    ``ClassifiersNotFound`` when no source answers.

    It looks, in order, at ``PHYASSIST_LABEL_CLASSIFIERS=DIR``, this machine's cache of the pinned Hub
    revision, the Hub itself (downloaded, verified, then renamed into the cache), and last, when the
    IMHI training data is on this machine, a build from it (cached by its rows hash; the build is
    deterministic, so it matches the published files when the data and versions do). With none of
    these it raises: a metric never falls back to the parser alone without being asked.
    """
    env = os.environ.get(ENV_VAR)
    key = (env, repo_id, revision)
    if key not in _FOUND:
        if env:
            found = ClassifierSet.open(env, f"{ENV_VAR}={env}")
        else:
            found = _from_cache_or_hub(repo_id, revision) or _from_local_data()
        if found is None:
            raise ClassifiersNotFound(f"no IMHI label classifiers on this machine: {HOW_TO_GET}")
        logger.info("Label classifiers: %s", found.source)
        _FOUND[key] = found
    if task is not None:
        _FOUND[key].entry(task)
    return _FOUND[key]


def _from_cache_or_hub(repo_id: str, revision: str) -> ClassifierSet | None:
    from huggingface_hub import constants

    cached = _hub_cache(repo_id, revision)
    if (cached / MANIFEST).is_file():
        return ClassifierSet.open(cached, f"{repo_id}@{revision} (cached at {cached})")
    if constants.is_offline_mode():
        logger.info("HF_HUB_OFFLINE is set: not downloading the label classifiers from %s.", repo_id)
        return None
    try:
        return download(repo_id, revision)
    except UserError:
        raise  # a corrupt or newer-format download is an error, not a reason to look elsewhere
    except Exception as e:  # noqa: BLE001 - offline, no such repo or revision: try the next source
        logger.info("Cannot download the label classifiers from %s@%s: %s", repo_id, revision,
                    str(e).splitlines()[0] if str(e) else type(e).__name__)
        return None


def _from_local_data() -> ClassifierSet | None:
    """Classifiers built from this machine's IMHI training data (every task it has), cached by its rows hash."""
    rows = {n: training_rows(n) for n in TRAIN_TASKS}
    rows = {n: r for n, r in rows.items() if r}
    if not rows:
        return None
    h = hashlib.sha256("".join(rows_hash(r) for r in rows.values()).encode()).hexdigest()[:16]
    dest = _cache_root() / f"local-{h}"
    if not (dest / MANIFEST).is_file():
        # the folder is named once, by the caller's "Label classifiers: ... (cached at ...)" line
        logger.info("Building label classifiers for %s from the IMHI training data (once, then cached).",
                    ", ".join(rows))
        build(dest, list(rows), rows=rows)
    return ClassifierSet.open(dest, f"built from this machine's IMHI training data (cached at {dest})")
