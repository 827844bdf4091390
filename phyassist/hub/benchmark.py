"""The IMHI release as a Hub benchmark dataset: staged folder, dataset card, ``eval.yaml``, push.

``stage_benchmark(root, dest)`` copies the release's test files byte for byte (sha256-checked against
the pinned MentalLLaMA commit) to ``data/<task>/<split>.csv``: one config per IMHI task, splits
``test`` (instruction), ``test_complete`` and ``test_expert``, and for the tasks with training data the
instruction ``train`` and ``validation`` files, so adapter cards can name what they trained on by Hub id
(MIT, as the release). It writes a dataset card (``model_cards/benchmark.md``) whose ``configs:`` name
those files and an ``eval.yaml`` that declares ``EVALUATION_FRAMEWORK`` and one leaderboard task per task,
test split and metric (``task_id``). Model cards point their ``.eval_results`` at ``IMHI_DATASET`` at the
commit the tag ``IMHI_REVISION`` names (``resolve_revision``), which ``main`` (``scripts/push_benchmark.py``)
gives the pushed commit.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..data.download import IMHI_COMMIT, OPTIONAL, checksums
from ..data.loading import data_dir, imhi_path, required_columns
from ..data.tasks import TASKS, split_file
from ..errors import UserError
from ..io import atomic_dir, read_csv
from .frontmatter import framework_registered
from .naming import ORG
from .push import check_no_tokens, check_repo_id, get_token, push_folder
from .templates import render

logger = logging.getLogger(__name__)

IMHI_DATASET = f"{ORG}/IMHI"  # the benchmark dataset repo model cards point at
IMHI_REVISION = "v1"  # the tag push_benchmark.py gives the dataset commit; never moved once pushed
METRIC_URL = f"https://huggingface.co/spaces/{ORG}/imhi"  # the evaluate module that computes the scores
MENTALLLAMA_URL = "https://github.com/SteveKGYang/MentalLLaMA"
# dataset split -> (variant, test set) of phyassist.data.tasks: the release's three test files per task
SPLITS = {"test": ("instruction", "instruction"), "test_complete": ("complete", "instruction"),
          "test_expert": ("instruction", "expert")}
# dataset split -> the release's split of phyassist.data.tasks: the instruction training files, where a task has them
# (their columns are the test files'; the completion variant's train files have others, so they stay out)
TRAIN_SPLITS = {"train": "train", "validation": "validation"}
SPLIT_NAMES = {"test": "instruction test set (ChatGPT-written gold explanations)",
               "test_complete": "completion test set (the instruction set's posts as completion prompts)",
               "test_expert": "expert test set (gold explanations written by domain experts)"}
# eval.yaml's `evaluation_framework` (required, hub-docs docs/hub/eval-results.md). The Hub takes only the ids
# of huggingface.js packages/tasks/src/eval.ts and this one is not there yet: until it is, the Hub shows no
# leaderboard for IMHI (an unregistered id fails the Hub's eval.yaml check, huggingface.js pull request #2096,
# though the file is kept: #2174 registered a framework its dataset already named).
EVALUATION_FRAMEWORK = "phyassist"
FRAMEWORK_URL = "https://github.com/huggingface/huggingface.js/blob/main/packages/tasks/src/eval.ts"
REGISTRATION = (f"registering `{EVALUATION_FRAMEWORK}` takes a pull request adding it to EVALUATION_FRAMEWORKS in "
                f"{FRAMEWORK_URL}, then asking Hugging Face to add the benchmark to its allow-list "
                "(https://huggingface.co/docs/hub/eval-results#registering-a-benchmark)")
# leaderboard metrics, results.json key -> what the value is; the first is each task's headline
LEADERBOARD_METRICS = {"weighted_f1": "weighted F1", "accuracy": "accuracy"}
COLUMNS = required_columns("test", "instruction")  # ("query", "gpt-3.5-turbo") in every test file


def split_name(variant: str = "instruction", test_set: str = "instruction") -> str:
    """The dataset split that holds a variant's test set: ``test``, ``test_complete`` or ``test_expert``."""
    for name, pair in SPLITS.items():
        if pair == (variant, test_set):
            return name
    raise UserError(f"no IMHI test split for variant {variant!r} with test set {test_set!r}; "
                    f"expected one of {', '.join(f'{v}/{t}' for v, t in SPLITS.values())}")


def task_id(task: str, split: str, metric: str) -> str:
    """The ``eval.yaml`` task id of a metric on a task's split: ``MultiWD`` (weighted F1 on ``test``),
    ``MultiWD_accuracy``, ``MultiWD_expert``, ``MultiWD_complete_accuracy``, ..."""
    if split not in SPLITS:
        raise UserError(f"unknown IMHI split {split!r}; expected one of {', '.join(SPLITS)}")
    if metric not in LEADERBOARD_METRICS:
        raise UserError(f"{metric!r} is not a leaderboard metric; expected one of {', '.join(LEADERBOARD_METRICS)}")
    name = task + ("" if split == "test" else split.removeprefix("test"))
    return name if metric == next(iter(LEADERBOARD_METRICS)) else f"{name}_{metric}"


def release_path(task: str, split: str) -> str:
    """The file's path in the MentalLLaMA release, e.g. ``test_data/test_instruction/DR.csv`` or (``train``)
    ``train_data/instruction_data/DR/train.csv``."""
    if split in TRAIN_SPLITS:
        return split_file(TASKS[task], TRAIN_SPLITS[split], "instruction")
    variant, test_set = SPLITS[split]
    return split_file(TASKS[task], "test", variant, test_set)


def in_release(task: str, split: str) -> bool:
    """Whether the public release has this test file (swmh's instruction and completion ones are not)."""
    return task in TASKS and split in SPLITS and f"imhi/{release_path(task, split)}" not in OPTIONAL


@dataclass(frozen=True)
class StagedFile:
    task: str
    split: str
    source: str  # path in the MentalLLaMA release
    rows: int
    size: int  # bytes
    sha256: str
    pinned: bool | None  # sha256 equals the pinned release's; None where no checksum is known

    @property
    def path(self) -> str:
        return f"data/{self.task}/{self.split}.csv"


@dataclass
class StagedBenchmark:
    folder: Path
    files: list[StagedFile]
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (task, split, path tried)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def eval_yaml(files: list[StagedFile]) -> str:
    """The benchmark's ``eval.yaml`` (the Hub's format: name, description, tasks of id/config/split)."""
    lines = [
        "# IMHI as a Hugging Face benchmark, written by phyassist.hub.benchmark. One leaderboard task per",
        "# IMHI task, test split and metric; every score is in percent (0-100), higher is better, computed by",
        f"# the `imhi` evaluate module ({METRIC_URL}): the label stated or explained in the",
        "# generated answer is inferred and compared with the gold label. The Hub lists the scores once",
        f"# `{EVALUATION_FRAMEWORK}` is registered: {REGISTRATION}.",
        "name: IMHI",
        "description: >",
        "  IMHI (Interpretable Mental Health Instruction) test sets from MentalLLaMA: Reddit and Twitter",
        "  posts with a question about depression, stress and its causes, wellness dimensions,",
        "  interpersonal risk factors, loneliness or mental disorders, and a gold answer that states the",
        "  label and explains it. A model answers each query; the score is the weighted F1 (or accuracy)",
        "  of the labels inferred from its answers. Configs are the IMHI tasks; splits test (ChatGPT-written",
        "  gold explanations), test_complete (completion prompts) and test_expert (expert-written).",
        f"evaluation_framework: {EVALUATION_FRAMEWORK}",
        "tasks:",
    ]
    for f in files:
        if f.split not in SPLITS:
            continue  # train and validation: no leaderboard
        lines.append(f"  # {f.task}: {TASKS[f.task].description}; {SPLIT_NAMES[f.split]}, {f.rows} rows")
        for metric, what in LEADERBOARD_METRICS.items():
            tid = task_id(f.task, f.split, metric)
            lines += [f"  - id: {tid}  # {what}", f"    config: {f.task}", f"    split: {f.split}"]
    return "\n".join(lines) + "\n"


def _size_category(rows: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < bound:
            return name
    return "100K<n<1M"


def dataset_card(files: list[StagedFile], missing: list[tuple[str, str, str]], *, repo_id: str = IMHI_DATASET,
                 revision: str = IMHI_REVISION) -> str:
    """README.md of the benchmark dataset (``model_cards/benchmark.md``): metadata with ``configs:``, then
    provenance and usage."""
    from huggingface_hub import DatasetCard, DatasetCardData

    configs: dict[str, list[dict]] = {}
    for f in files:
        configs.setdefault(f.task, []).append({"split": f.split, "path": f.path})
    data = DatasetCardData(
        license="mit", language=["en"], pretty_name="IMHI (MentalLLaMA)",
        task_categories=["text-classification", "text-generation"], size_categories=[_size_category(
            sum(f.rows for f in files))], tags=["mental-health", "imhi", "benchmark", "explainability", "reddit"],
        configs=[{"config_name": task, "data_files": splits} for task, splits in configs.items()],
    )
    table = [{"task": f.task, "split": f.split, "rows": f.rows, "source": f.source, "sha256": f.sha256[:16],
              "pinned": "yes" if f.pinned else "no" if f.pinned is False else "unknown"} for f in files]
    first = next((f for f in files if f.split in SPLITS), None)
    return str(render(
        DatasetCard, data, "benchmark.md", files=table, total_rows=sum(f.rows for f in files),
        missing=[{"task": t, "split": split, "release_file": release_path(t, split)} for t, split, _ in missing],
        all_pinned=all(f.pinned for f in files), repo_id=repo_id, revision=revision,
        example_id=task_id(first.task, first.split, "weighted_f1") if first else "MultiWD",
        mentalllama_url=MENTALLLAMA_URL, metric_url=METRIC_URL, imhi_commit=IMHI_COMMIT,
        framework=EVALUATION_FRAMEWORK, framework_registered=framework_registered(EVALUATION_FRAMEWORK),
        registration=REGISTRATION, train_tasks=[t for t, task in TASKS.items() if task.has_train]))


def stage_benchmark(root: str | Path | None = None, dest: str | Path = "outputs/imhi-benchmark", *,
                    repo_id: str = IMHI_DATASET, revision: str = IMHI_REVISION) -> StagedBenchmark:
    """Write the benchmark dataset folder atomically from the IMHI release under ``root``; missing test
    files are recorded and skipped, a file that is not a valid test CSV is an error."""
    root = Path(root) if root else data_dir()
    if not (root / "imhi").is_dir():
        raise UserError(f"no IMHI data under {root}: run `phyassist data download` or set PHYASSIST_DATA_DIR")
    pinned = checksums()
    files, missing = [], []
    dest = Path(dest)
    with atomic_dir(dest) as tmp:
        for task in TASKS:
            for split in [*SPLITS, *(TRAIN_SPLITS if TASKS[task].has_train else ())]:
                variant, test_set = SPLITS.get(split, ("instruction", "instruction"))
                src = imhi_path(task, TRAIN_SPLITS.get(split, "test"), variant, test_set=test_set, root=root)
                if not src.exists():
                    missing.append((task, split, str(src)))
                    continue
                rows = len(read_csv(src, required=COLUMNS))  # a broken or foreign file stops here (train/val too)
                raw = src.read_bytes()
                digest = hashlib.sha256(raw).hexdigest()
                known = pinned.get(f"imhi/{release_path(task, split)}")
                staged = StagedFile(task, split, release_path(task, split), rows, len(raw), digest,
                                    None if known is None else known == digest)
                (tmp / staged.path).parent.mkdir(parents=True, exist_ok=True)
                (tmp / staged.path).write_bytes(raw)
                files.append(staged)
        if not files:
            raise UserError(f"no IMHI test files under {root / 'imhi'}; expected test_data/test_instruction/*.csv "
                            "(run `phyassist data download`)")
        if (root / "imhi" / "LICENSE").exists():
            shutil.copyfile(root / "imhi" / "LICENSE", tmp / "LICENSE")  # not copy2: the source may be read-only
        card = dataset_card(files, missing, repo_id=repo_id, revision=revision)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "eval.yaml").write_text(eval_yaml(files), encoding="utf-8")
        check_no_tokens(tmp, get_token())
    if missing:  # one line: a partial copy misses most files
        logger.warning("Skipped %d IMHI test file(s) missing under %s: %s", len(missing), root / "imhi",
                       ", ".join(f"{t} {s}" for t, s, _ in missing))
    return StagedBenchmark(dest, files, missing)


@dataclass
class BenchmarkPushConfig:
    """``scripts/push_benchmark.py``: where the IMHI benchmark dataset is staged and published."""

    data_dir: str | None = field(default=None, metadata={"help": "Data folder with imhi/; default PHYASSIST_DATA_DIR."})
    output_dir: str = field(default="outputs/imhi-benchmark", metadata={"help": "Where the dataset folder is staged."})
    repo_id: str = field(default=IMHI_DATASET, metadata={"help": "Dataset repo, ORG/NAME."})
    tag: str = field(default=IMHI_REVISION, metadata={"help": "Tag of the pushed commit (the revision cards pin)."})
    dry_run: bool = field(default=False, metadata={"help": "Stage the folder, push nothing."})
    private: bool = field(default=False, metadata={"help": "Create the repo private."})

    def __post_init__(self):
        check_repo_id(self.repo_id)
        if not self.tag.strip():
            raise UserError("`tag` must not be empty; it is the revision model cards pin")


def framework_note() -> str | None:
    """One line while ``EVALUATION_FRAMEWORK`` is not in the Hub's list: no scores on the Hub yet, and why."""
    if framework_registered(EVALUATION_FRAMEWORK):
        return None
    return (f"The Hub will not show IMHI scores yet: evaluation_framework `{EVALUATION_FRAMEWORK}` is not in its "
            f"list; {REGISTRATION}.")


@dataclass(frozen=True)
class Revision:
    """What model cards pin: the benchmark commit ``sha`` when it resolved, else the ``tag`` alone."""

    tag: str
    sha: str | None = None

    @property
    def revision(self) -> str:
        return self.sha or self.tag

    @property
    def note(self) -> str | None:
        return f"{IMHI_DATASET.split('/')[-1]} tag {self.tag}" if self.sha else None


def resolve_revision(repo_id: str = IMHI_DATASET, tag: str = IMHI_REVISION, endpoint: str | None = None) -> Revision:
    """The commit ``tag`` names in the benchmark dataset (``HfApi.dataset_info(...).sha``); the tag alone when it
    cannot be resolved (offline, not pushed yet, no network), which is logged."""
    from huggingface_hub import HfApi

    try:
        sha = HfApi(endpoint=endpoint).dataset_info(repo_id, revision=tag).sha
    except Exception as e:  # offline mode, not found, no network: the tag still names the revision
        logger.info("Benchmark revision %s@%s not resolved (%s); cards pin the tag", repo_id, tag, type(e).__name__)
        return Revision(tag)
    return Revision(tag, sha)


def summary(staged: StagedBenchmark) -> str:
    """The staged files as a table a person can read, and what was skipped."""
    lines = [f"{'config':<11} {'split':<14} {'rows':>6}  pinned", *(
        f"{f.task:<11} {f.split:<14} {f.rows:>6}  {'yes' if f.pinned else 'no' if f.pinned is False else '?'}"
        for f in staged.files)]
    lines.append(f"{len(staged.files)} files, {staged.rows} rows, {staged.size / 1e6:.1f} MB staged in {staged.folder}")
    if staged.missing:
        lines.append(f"skipped {len(staged.missing)} missing file(s): "
                     + ", ".join(f"{t} {s} ({p})" for t, s, p in staged.missing))
    return "\n".join(lines)


def main(cfg: BenchmarkPushConfig) -> int:
    """Stage the benchmark dataset; with a token and no ``dry_run``, push it as one tagged commit."""
    from huggingface_hub import constants

    logger.info("Config: %s", cfg)
    staged = stage_benchmark(cfg.data_dir, cfg.output_dir, repo_id=cfg.repo_id, revision=cfg.tag)
    print(summary(staged))
    if framework_note():
        print(framework_note())
    token = get_token()
    reason = ("--dry-run" if cfg.dry_run else "no Hugging Face token (set HF_TOKEN or run `hf auth login`)"
              if not token else "HF_HUB_OFFLINE is set" if constants.is_offline_mode() else "")
    if reason:
        data = f" --data-dir {cfg.data_dir}" if cfg.data_dir else ""
        print(f"Not pushed ({reason}). To push it, run:\n  python scripts/push_benchmark.py "
              f"--output-dir {cfg.output_dir} --repo-id {cfg.repo_id}{data}")
        return 0
    unverified = [f"{f.task} {f.split}" for f in staged.files if not f.pinned]
    if unverified:
        raise UserError(f"refusing to publish {cfg.repo_id}: {', '.join(unverified)} do(es) not match the sha256 of "
                        f"MentalLLaMA@{IMHI_COMMIT[:12]}; re-download with `phyassist data download --force`")
    url = push_folder(staged.folder, cfg.repo_id, repo_type="dataset", private=cfg.private, token=token, tag=cfg.tag,
                      commit_message=f"IMHI test sets from MentalLLaMA@{IMHI_COMMIT[:12]} ({cfg.tag})")
    print(f"Pushed {staged.folder} to {url} (tag {cfg.tag})")
    if (cfg.repo_id, cfg.tag) != (IMHI_DATASET, IMHI_REVISION):
        logger.warning("Model cards point at %s@%s; this benchmark went to %s@%s.", IMHI_DATASET, IMHI_REVISION,
                       cfg.repo_id, cfg.tag)
    return 0
