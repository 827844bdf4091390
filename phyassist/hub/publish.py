"""The publishing pipeline: train, evaluate base and adapter, render the card, stage, push.

``publish(PublishConfig(dataset="MultiWD"))`` trains with the base's recipe
(``phyassist.train.recipes``) and the training fields it is given (``training``: every ``TrainConfig``
field, ``phyassist train``'s flags), evaluates the base model and the adapter on the IMHI test set (or the
same seeded label-stratified sample of ``eval_limit`` rows per task) with ``phyassist.evaluation``,
compares them with a paired bootstrap (``evaluation.bootstrap.compare_runs``), and ``stage``s a repo folder: the
adapter files, ``README.md`` (the model card), ``eval/{base,adapter}.json``, ``f1_chart.png`` and
``.eval_results/imhi.yaml``. A counsel-chat adapter is evaluated on held-out counsel-chat answers instead
(``evaluation.counsel_run``: answer NLL of base and adapter, the crisis screen's rate on its replies), staged
as ``eval/counseling.json`` and shown on the card. Staging is atomic (a temporary folder renamed into place), rewrites
local paths to Hub ids, validates the card and scans for tokens. With a token and no ``dry_run`` the
folder is pushed with ``phyassist.hub.push.push_folder``; otherwise the result says how to push later.
``main(config)`` is ``phyassist publish`` (and ``scripts/train_and_push.py``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..config import Nested, construct, field_names, parse_values
from ..data.loading import COUNSEL_CHAT, resolve_dataset
from ..errors import UserError
from ..models import DEFAULT_BASE, BasePreset, resolve_base
from .naming import adapter_repo_name
from .push import check_repo_id

logger = logging.getLogger(__name__)

# The default run on a CPU (embedded base) has a 15-minute budget on 2 cores. Training follows
# the base's recipe (recipes/smollm2-135m-instruct/lora.yaml: the CPU-sized default, 300 short steps),
# with fewer validation rows; evaluation defaults (whole test set, 256 new tokens) take hours there,
# so base and adapter answer the same label-stratified sample of DEFAULT_CPU_EVAL_LIMIT rows per task
# (fewer rows give paired intervals too wide to tell base from adapter apart),
# with CPU_MAX_NEW_TOKENS in batches of CPU_EVAL_BATCH_SIZE. On a GPU the defaults apply. The figures
# behind these sizes are in benchmarks/RESULTS.md ("bootstrap intervals and the eval sample").
CPU_TRAIN_OVERRIDES = {"max_eval_examples": 16}
DEFAULT_CPU_EVAL_LIMIT = 100  # test rows per task, for base and adapter each
CPU_MAX_NEW_TOKENS = 96  # the label sentence and a reasoning of two or three finished sentences
CPU_EVAL_BATCH_SIZE = 16  # half the decode steps of batch 8: fewer per-step overheads on a CPU
COUNSEL_MAX_NEW_TOKENS = 128  # counsel-chat: the replies the crisis screen reads
# adapter-folder files that never go to the Hub (pickles, optimizer state, checkpoints)
_SKIP = ("training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json",
         "phyassist_run.json")


@dataclass
class PublishConfig:
    """What ``phyassist publish`` runs; the fields are its flags and its recipe keys, and ``training`` takes every
    other ``TrainConfig`` field (``phyassist train``'s flags and recipe keys) for the training run."""

    dataset: str | None = field(default=None, metadata={"help": "IMHI task (e.g. MultiWD), mixture (final, all) or counsel-chat."})
    base_model: str = field(default=DEFAULT_BASE, metadata={"help": "Preset, Hub id or local model folder."})
    repo_id: str | None = field(default=None, metadata={"help": "ORG/NAME; default <your user>/phyassist-<base>-<dataset>."})
    private: bool = field(default=False, metadata={"help": "Create the repo private."})
    eval_limit: int | None = field(default=None, metadata={
        "help": "Test rows per task for base and adapter: a seeded sample stratified by gold label (not the first N); "
                f"0 = all; default {DEFAULT_CPU_EVAL_LIMIT} on a CPU, all on a GPU."})
    output_dir: str | None = field(default=None, metadata={
        "help": "Default outputs/phyassist-<base>-<dataset>; the adapter trains into OUTPUT_DIR/adapter."})
    dry_run: bool = field(default=False, metadata={"help": "Stage everything, push nothing."})
    # TrainConfig fields over the base's recipe, e.g. {"max_steps": 2, "lora_r": 8}; the command line fills it
    training: InitVar[dict | None] = None

    def __post_init__(self, training: dict | None = None):
        if not self.dataset:
            raise UserError("`dataset` is required (e.g. --dataset MultiWD); see `phyassist data list`")
        # the command's one look-up of its names (unknown ones fail now, not after minutes of work);
        # everything below is given these objects
        self.dataset_spec = resolve_dataset(self.dataset)
        self.base_preset = resolve_base(self.base_model)
        if self.eval_limit is not None and self.eval_limit < 0:
            raise UserError(f"`eval_limit` must be 0 (all rows) or positive, got {self.eval_limit}.")
        if self.repo_id is not None:
            check_repo_id(self.repo_id)
        self.training = dict(training or {})
        for key in self.training:
            if key in field_names(PublishConfig):
                raise UserError(f"`{key}` is a publish setting, not a training one; set it outside `training`")
        self.train_config = training_config(self)

    @property
    def out(self) -> Path:
        """The output folder: ``output_dir``, or outputs/ plus the adapter repo's name."""
        return Path(self.output_dir or Path("outputs") / adapter_repo_name(self.base_preset, self.dataset))


def parse_args(argv, prog: str = "phyassist publish") -> tuple[PublishConfig, bool]:
    """``phyassist publish``'s command line: the PublishConfig fields and every other TrainConfig field, as flags
    and as keys of the one ``--config`` YAML; an unknown flag or key is a one-line error."""
    from ..train.config import TrainConfig, own_fields

    training = Nested("training", TrainConfig, "Every `phyassist train` flag (and recipe key) for the training "
                                               "run; unset ones come from the base's recipe.")
    values, verbose = parse_values(
        PublishConfig, argv, prog=prog, nested=training, own=[*field_names(PublishConfig), *own_fields()],
        description="Train, evaluate base and adapter, write the model card, stage and push.")
    return construct(PublishConfig, values), verbose


def training_config(cfg: PublishConfig):
    """The training run's ``TrainConfig``: the base's recipe < the CPU profile (embedded base, no GPU)
    < ``cfg.training``."""
    from ..train.config import load_config
    from ..train.recipes import find_recipe

    recipe = find_recipe(cfg.base_preset, cfg.dataset)
    logger.info("Training recipe: %s", recipe or "TrainConfig defaults")
    overrides = {**(CPU_TRAIN_OVERRIDES if on_cpu(cfg.base_preset) else {}), **cfg.training}
    return load_config(recipe, **overrides, dataset=cfg.dataset, base_model=cfg.base_model,
                       output_dir=str(cfg.out / "adapter"), dataset_spec=cfg.dataset_spec, base_preset=cfg.base_preset)


@dataclass
class PublishResult:
    stage_dir: Path
    repo_id: str
    url: str | None  # None when staged only
    push_command: str
    reason: str = ""  # why it was not pushed
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    outputs: dict[str, Path] = field(default_factory=dict)  # what -> the file or folder the run wrote there


def on_cpu(base: BasePreset) -> bool:
    """True for the embedded base without a GPU: the run gets the small CPU profile."""
    import torch

    return not torch.cuda.is_available() and base.embedded


def _strip_paths(obj, hub_id: str):
    """Replace absolute local paths in a JSON/YAML value by their last part (base model: its Hub id)."""
    if isinstance(obj, dict):
        return {k: hub_id if k in ("base_model", "base_model_name_or_path", "model_name_or_path")
                and isinstance(v, str) else _strip_paths(v, hub_id) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_paths(v, hub_id) for v in obj]
    if isinstance(obj, str) and obj.startswith(("/", "~")) and "\n" not in obj and " " not in obj:
        return Path(obj).name
    if isinstance(obj, str):  # paths inside sentences: keep the part under imhi/ or counsel-chat/
        obj = re.sub(r"(?<![\w.])[/~][\w.\-/]*?/((?:imhi|counsel-chat)/[\w.\-/]+)", r"\1", obj)
        return re.sub(r"(?<![\w.])[/~][\w.\-/]*/([\w.\-]+)", r"\1", obj)
    return obj


def _copy_adapter(adapter_dir: Path, dest: Path, hub_id: str) -> None:
    import yaml

    for src in sorted(adapter_dir.iterdir()):
        if src.is_file() and src.name not in _SKIP and not src.name.startswith("."):
            shutil.copy2(src, dest / src.name)
    # TensorBoard logs (report_to tensorboard): the Hub shows them in the repo's metrics tab
    for src in sorted(adapter_dir.glob("runs/**/events.out.tfevents.*")):
        target = dest / src.relative_to(adapter_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    # PeftModel.from_pretrained(repo) must not need our disk, and local paths stay private
    for name in ("adapter_config.json", "train_metrics.json", "data_report.json", "versions.json"):
        if (dest / name).exists():
            obj = _strip_paths(json.loads((dest / name).read_text(encoding="utf-8")), hub_id)
            (dest / name).write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    if (dest / "phyassist_config.yaml").exists():
        obj = _strip_paths(yaml.safe_load((dest / "phyassist_config.yaml").read_text(encoding="utf-8")) or {}, hub_id)
        (dest / "phyassist_config.yaml").write_text(yaml.safe_dump(obj, sort_keys=False), encoding="utf-8")


def _public_results(results: dict, base_model: str, adapter: str | None) -> dict:
    """A results.json copy whose `model` names Hub ids instead of local folders."""
    return {**_strip_paths(results, base_model), "model": {"base_model": base_model, "adapter": adapter}}


def stage(adapter_dir: str | Path, base_results: dict, adapter_results: dict, stage_dir: str | Path, *,
          repo_id: str, dataset: str, comparison: dict | None = None, counseling: dict | None = None) -> Path:
    """Write the repo folder for an adapter atomically and validate it; return its path.

    ``comparison``: the paired bootstrap of the two results (``compare_runs``); computed when not given.
    ``counseling``: a counsel-chat evaluation's ``counseling`` section, staged as ``eval/counseling.json``
    and shown on the card; without IMHI results there is no F1 chart and no ``.eval_results``.
    """
    from ..evaluation.report import plot_f1
    from ..io import atomic_dir
    from . import cards, push
    from .benchmark import resolve_revision
    from .licenses import preset_license

    adapter_dir, stage_dir = Path(adapter_dir), Path(stage_dir)
    if not (adapter_dir / "adapter_config.json").exists():
        raise UserError(f"{adapter_dir}: no adapter_config.json; expected an adapter folder written by `phyassist train`")
    preset = cards.base_preset(json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8")))
    hub_id = preset.hub_id
    license_info = preset_license(preset)  # from the base's folder too, before paths become Hub ids
    base_results = _public_results(base_results, hub_id, None)
    adapter_results = _public_results(adapter_results, hub_id, repo_id)
    revision = resolve_revision()  # the benchmark commit the card and .eval_results pin, looked up once
    with atomic_dir(stage_dir) as tmp:
        _copy_adapter(adapter_dir, tmp, hub_id)
        (tmp / "eval").mkdir()
        (tmp / "eval" / "base.json").write_text(json.dumps(base_results, indent=2) + "\n", encoding="utf-8")
        (tmp / "eval" / "adapter.json").write_text(json.dumps(adapter_results, indent=2) + "\n", encoding="utf-8")
        if counseling:
            (tmp / "eval" / "counseling.json").write_text(json.dumps(_strip_paths(counseling, hub_id), indent=2) + "\n",
                                                          encoding="utf-8")
        if adapter_results.get("tasks"):
            plot_f1([base_results, adapter_results], tmp / "f1_chart.png")
            (tmp / ".eval_results").mkdir()
            date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            (tmp / ".eval_results" / "imhi.yaml").write_text(cards.eval_results_yaml(adapter_results, date, revision),
                                                             encoding="utf-8")
        card = cards.build_card(tmp, base_results, adapter_results, repo_id=repo_id, dataset=dataset,
                                comparison=comparison, counseling=counseling, revision=revision,
                                license_info=license_info)
        card.save(tmp / "README.md")
        cards.validate_card(tmp / "README.md", adapter_results)
        push.check_no_tokens(tmp, push.get_token())
    files = sum(1 for p in stage_dir.rglob("*") if p.is_file())
    logger.info("Staged %d files for %s (card validated, no tokens found)", files, repo_id)  # main names the folder
    return stage_dir


def stage_hub_id(stage_dir: Path) -> str:
    return json.loads((Path(stage_dir) / "adapter_config.json").read_text(encoding="utf-8"))["base_model_name_or_path"]


def _resolve_repo_id(cfg: PublishConfig, token: str | None) -> str:
    if cfg.repo_id:
        return cfg.repo_id
    name = adapter_repo_name(cfg.base_preset, cfg.dataset)
    if token and not cfg.dry_run:
        try:
            from huggingface_hub import HfApi

            return f"{HfApi(token=token).whoami()['name']}/{name}"
        except Exception as e:  # offline or a bad token: stage under a placeholder, push later
            logger.warning("Could not look up your Hub user name (%s); use --repo-id.", type(e).__name__)
    return f"your-username/{name}"


def publish(cfg: PublishConfig) -> PublishResult:
    """Train, evaluate, stage and (with a token, unless ``dry_run``) push; see the module docstring."""
    from huggingface_hub import constants

    from ..evaluation.bootstrap import compare_runs
    from ..evaluation.run import EvalConfig, run_eval
    from ..train.rundir import is_finished
    from ..train.trainer import train
    from . import push

    timings, clock = {}, time.perf_counter()
    from ..data.download import ensure_data

    ensure_data(cfg.dataset_spec)  # missing data: fetched, or one line, before any model is loaded

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 1)
        logger.info("%s took %.1f s", name, timings[name])
        clock = now

    token = push.get_token()
    repo_id = _resolve_repo_id(cfg, token)
    out = cfg.out
    cpu = on_cpu(cfg.base_preset)
    train_cfg = cfg.train_config
    if is_finished(out / "adapter", train_cfg.identity()):
        logger.info("Reusing the finished training run in the adapter folder (delete it to train again)")
        adapter_dir = out / "adapter"
    else:
        adapter_dir = Path(train(train_cfg).output_dir)
    lap("train")
    tasks = cfg.dataset_spec.eval_tasks
    limit = (DEFAULT_CPU_EVAL_LIMIT if cpu else None) if cfg.eval_limit is None else (cfg.eval_limit or None)
    eval_kwargs = {"max_new_tokens": CPU_MAX_NEW_TOKENS, "batch_size": CPU_EVAL_BATCH_SIZE} if cpu else {}
    scores = {"base": {"tasks": {}}, "adapter": {"tasks": {}}}
    counseling = _eval_counseling(cfg, adapter_dir, limit) if cfg.dataset_spec.name == COUNSEL_CHAT else None
    outputs = {"adapter folder": adapter_dir}
    for name, adapter in () if counseling else (("base", None), ("adapter", str(adapter_dir))):
        logger.info("Evaluating the %s on %s (%s)", "base model" if adapter is None else "adapter", ", ".join(tasks),
                    f"{limit} test rows per task" if limit else "every test row")
        run_eval(EvalConfig(adapter=adapter, base_model=cfg.base_model, datasets=tasks, limit=limit,
                            out_dir=str(out / "eval" / name), variant="instruction", bart_score=False,
                            **eval_kwargs, base_preset=cfg.base_preset))
        # read back what was written rather than trusting the return value's shape
        scores[name] = json.loads((out / "eval" / name / "results.json").read_text(encoding="utf-8"))
        outputs.update({f"{name} results": out / "eval" / name / "results.json",
                        f"{name} results table": out / "eval" / name / "results.md"})
        lap(f"eval {name}")
    comparison = compare_runs(scores["base"], scores["adapter"])  # same sample, so the rows pair up
    for task, c in comparison.items():
        d = c["weighted_f1"]
        logger.info("%s: adapter - base weighted F1 %+.2f, 95%% paired interval [%+.2f, %+.2f]: %s", task,
                    d["difference"], d["low"], d["high"], d["verdict"])
    if counseling:
        outputs.update({"counsel-chat results": out / "eval" / "counseling" / "results.json",
                        "counsel-chat results table": out / "eval" / "counseling" / "results.md"})
        lap("eval counseling")
    stage_dir = stage(adapter_dir, scores["base"], scores["adapter"], out / "hub", repo_id=repo_id,
                      dataset=cfg.dataset, comparison=comparison, counseling=counseling)
    lap("stage")
    outputs.update({"model card": stage_dir / "README.md", "staged repo folder": stage_dir})
    command = push.retry_command(stage_dir, repo_id, private=cfg.private)
    reason = ("--dry-run" if cfg.dry_run else "no Hugging Face token (set HF_TOKEN or run `hf auth login`)"
              if not token else "HF_HUB_OFFLINE is set" if constants.is_offline_mode()
              else "no --repo-id and no Hub user name" if repo_id.startswith("your-username/") else "")
    if reason:
        return PublishResult(stage_dir, repo_id, None, command, reason, timings, outputs)
    url = push.push_folder(stage_dir, repo_id, private=cfg.private, token=token,
                          commit_message=f"Upload {cfg.dataset} adapter for {stage_hub_id(stage_dir)} (phyassist)")
    lap("push")
    return PublishResult(stage_dir, repo_id, url, command, timings=timings, outputs=outputs)


def _eval_counseling(cfg: PublishConfig, adapter_dir: Path, limit: int | None) -> dict:
    """counsel-chat adapters: base and adapter on held-out counsel-chat answers (``evaluation.counsel_run``)
    instead of the IMHI tasks; ``limit`` counts questions. Returns the ``counseling`` section."""
    from ..evaluation.run import EvalConfig, run_eval

    logger.info("Evaluating the base model and the adapter on held-out counsel-chat answers (%s)",
                f"{limit} questions" if limit else "every held-out question")
    return run_eval(EvalConfig(adapter=str(adapter_dir), base_model=cfg.base_model, datasets=[COUNSEL_CHAT],
                               limit=limit, out_dir=str(cfg.out / "eval" / "counseling"),
                               max_new_tokens=COUNSEL_MAX_NEW_TOKENS, base_preset=cfg.base_preset))["counseling"]


def format_outputs(outputs: dict[str, Path]) -> str:
    """The files and folders a run wrote, one a line: the one place the log names them."""
    width = max(map(len, outputs), default=0)
    return "\n".join(["Outputs:"] + [f"  {what:<{width}}  {path}" for what, path in outputs.items()])


def main(cfg: PublishConfig) -> int:
    """``phyassist publish``: run the pipeline, name each file it wrote once, and say what was pushed or how to
    push the staged folder."""
    logger.info("Config: %s, training %s", cfg, cfg.training or "as the recipe")
    result = publish(cfg)
    print("time (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items())
          + f", total {sum(result.timings.values()):.1f}")
    print(format_outputs(result.outputs))
    if result.url:
        print(f"Pushed to {result.url}")
        return 0
    print(f"Staged for {result.repo_id}; not pushed: {result.reason}.")
    if result.repo_id.startswith("your-username/"):
        print("Replace your-username with your Hub user or org (or re-run with --repo-id so the card's "
              "quick start names the right repo).")
    print(f"To push it later, run:\n  {result.push_command}")
    return 0
