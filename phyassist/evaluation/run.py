"""``phyassist eval``: generate IMHI test answers with a base model (+ adapter) and score them.

For each task: load the test split (``--test-set`` instruction or expert; with ``--limit N``, a
seeded label-stratified sample of N rows, ``bootstrap.stratified_sample``, not the first N), generate
greedy answers (``generation``, resumable via ``<out>/<task>.generations.jsonl``, keyed by content;
under ``accelerate launch`` every process generates a share, ``distributed``, and the main one goes on),
infer labels from the generated answers (``labeler``: the method and classifier hash go into every
task's results), score them (``metrics``; the explanation, ``explanation``; bootstrap intervals;
optionally BARTScore) and write, under ``--out``: ``<task>.csv`` (MentalLLaMA's ``goldens``/
``generated_text`` columns plus ``query``, ``gold_label`` and ``pred_label``, ``unparsed`` for none,
``rouge_l`` and ``explained``), ``results.json``, ``results.md`` (a table per task) and ``f1.png``
(weighted F1 per task; base against adapter when a base run is found in ``<out>/../base`` or given with
``--compare``).

Each task in results.json carries ``rouge_l`` (mean ROUGE-L F1 x 100 of the generated reasoning against
the gold one; None with ``rouge_l_note`` when no gold answer has an explanation), ``explained_rate``
(percent of answers with a label sentence and a finished reasoning of 15+ words), ``explanation_counts``
(per reason), ``ci`` (95% percentile-bootstrap intervals of ``weighted_f1``, ``accuracy``, ``rouge_l``,
``explained_rate`` and ``bart_score`` with ``level``, ``resamples``, ``seed``) and ``rows`` (``index``:
the test-file rows scored, in order; ``gold`` and ``pred`` labels; ``queries_sha256``; per-row
``rouge_l``, ``explained`` and ``bart_score``), so that two runs can be compared row by row
(``bootstrap.compare_runs``) from their results.json alone. With ``--bart_score`` and weights that do
not load, ``bart_score_note`` says why and the run goes on without it. ``--dataset counsel-chat`` runs
the counseling evaluation instead (``counsel_run``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import InitVar, asdict, dataclass, field, replace
from pathlib import Path

from ..data.tasks import TASKS, check_test_set, check_variant, get_task
from ..errors import UserError
from ..models import BasePreset
from .bootstrap import RESAMPLES, SEED, intervals, mean_intervals, stratified_sample
from .counseling import wanted
from .explanation import explanation_scores
from .scores import UNPARSED, average, classification_scores
from .report import summary_line, write_report

logger = logging.getLogger(__name__)
DTYPES = ("auto", "float32", "bfloat16")


@dataclass
class EvalConfig:
    """What ``phyassist eval`` runs; the fields are its flags and its recipe keys."""

    adapter: str | None = field(default=None, metadata={"help": "Adapter folder or Hub id; omitted or 'none': the base model alone."})
    base_model: str | None = field(default=None, metadata={"help": "Preset, Hub id or folder; default: the adapter's base."})
    datasets: list[str] = field(default_factory=lambda: ["MultiWD"], metadata={
        "help": "IMHI tasks (several, or comma-separated), or 'all'.", "aliases": ["--dataset"]})
    limit: int | None = field(default=None, metadata={
        "help": "Test rows per task: a seeded sample of this size, stratified by gold label (not the first N); "
                "default all."})
    sample_seed: int = field(default=SEED, metadata={"help": "Seed of the --limit sample."})
    out_dir: str | None = field(default=None, metadata={
        "help": "Output folder; default out/eval/<adapter folder name, or base>.", "aliases": ["--out"]})
    variant: str = field(default="instruction", metadata={"help": "IMHI variant: instruction or complete."})
    test_set: str = field(default="instruction", metadata={
        "help": "Gold explanations: instruction (the release's test set) or expert (35 expert-written per task)."})
    batch_size: int = field(default=8, metadata={"help": "Generation batch size."})
    max_new_tokens: int = field(default=256, metadata={"help": "Generation length bound."})
    dtype: str = field(default="auto", metadata={
        "help": "Weights' dtype when generating: auto (bfloat16 where the GPU or CPU does bf16 in hardware, as "
                "training loads the base there; else float32; counsel-chat's likelihoods: float32), float32 or bfloat16."})
    bart_score: bool = field(default=False, metadata={
        "help": "Also compute BARTScore with bart_checkpoint; weights that do not load: a one-line note, no score.",
        "aliases": ["--bartscore"]})
    bart_checkpoint: str = field(default="facebook/bart-large-cnn", metadata={"help": "BARTScore model path or Hub id."})
    parabank: str | None = field(default=None, metadata={"help": "ParaBank bart.pth weights file for BARTScore."})
    label_method: str = field(default="learned", metadata={
        "help": "Label inference: learned (parser + the published classifiers), strict (parser only), mentalbert "
                "(MentalLLaMA's classifiers; mentalbert:DIR for a local copy), or a classifier path/Hub id.",
        "aliases": ["--labels"]})
    compare: str | None = field(default=None, metadata={"help": "Another run's results.json to plot against."})
    bootstrap_resamples: int = field(default=RESAMPLES, metadata={"help": "Bootstrap resamples of the score intervals."})
    bootstrap_seed: int = field(default=SEED, metadata={"help": "Seed of the bootstrap resamples."})
    counsel_replies: int = field(default=20, metadata={
        "help": "counsel-chat: replies generated (to a seeded sample of held-out questions) for the crisis screen; "
                "0 = none. With --dataset counsel-chat, --limit counts questions."})
    # What `base_model` names, when the command already looked it up (not a flag, not a recipe key).
    base_preset: InitVar[BasePreset | None] = None

    def __post_init__(self, base_preset: BasePreset | None = None):
        self.base_preset = base_preset
        if isinstance(self.datasets, str):
            self.datasets = [self.datasets]
        self.datasets = [d.strip() for item in self.datasets for d in str(item).split(",") if d.strip()]
        if not self.datasets:
            raise UserError("`datasets` must name at least one IMHI task, or 'all'")
        if self.adapter is not None and self.adapter.strip().lower() in ("", "none"):
            self.adapter = None
        if self.out_dir is None:
            self.out_dir = str(Path("out/eval") / (Path(self.adapter).name if self.adapter else "base"))
        check_variant(self.variant)
        check_test_set(self.test_set)
        if self.test_set == "expert" and self.variant != "instruction":
            raise UserError(f"`test_set` expert has instruction-variant files only; got `variant` {self.variant!r}")
        if self.limit is not None and self.limit < 1:
            raise UserError(f"`limit` must be positive, got {self.limit}")
        if self.batch_size < 1:
            raise UserError(f"`batch_size` must be positive, got {self.batch_size}")
        if not 1 <= self.max_new_tokens <= 4096:
            raise UserError(f"`max_new_tokens` must be between 1 and 4096, got {self.max_new_tokens}")
        if self.bootstrap_resamples < 1:
            raise UserError(f"`bootstrap_resamples` must be positive, got {self.bootstrap_resamples}")
        if self.dtype not in DTYPES:
            raise UserError(f"`dtype` must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.counsel_replies < 0:
            raise UserError(f"`counsel_replies` must be 0 or positive, got {self.counsel_replies}")


def task_names(names: list[str]) -> list[str]:
    """Canonical task names; ``all`` means every task whose test file is present."""
    if [n.lower() for n in names] == ["all"]:
        return list(TASKS)
    return [get_task(n.strip()).name for n in names if n.strip()]


def adapter_base(adapter: str) -> str:
    """The base model recorded in an adapter's ``adapter_config.json`` (local folder or Hub id)."""
    local = Path(adapter).expanduser()
    if local.is_dir():
        cfg = local / "adapter_config.json"
        if not cfg.exists():
            raise UserError(f"{local}: no adapter_config.json; expected a PEFT adapter folder")
        base = json.loads(cfg.read_text()).get("base_model_name_or_path")
    else:
        from peft import PeftConfig

        try:
            base = PeftConfig.from_pretrained(adapter).base_model_name_or_path
        except Exception as e:  # noqa: BLE001 - offline, missing repo, not an adapter: all user-fixable
            raise UserError(f"cannot read adapter {adapter!r}: {str(e).splitlines()[0]}; expected a folder or Hub id") from None
    if not base:
        raise UserError(f"adapter {adapter!r} records no base_model_name_or_path; pass --base-model")
    return base


def load_for_eval(cfg: EvalConfig, device_map=None):
    """(model, tokenizer, {"base_model": hub id, "adapter": ...}, the weights' content id for the cache);
    ``device_map``: the loader's default, or this process's GPU when several share the eval."""
    from ..models import DEFAULT_BASE, load_model_and_tokenizer, model_path, resolve_base
    from .generation import model_identity

    preset = cfg.base_preset
    if preset is None:  # the command's one look-up of the base
        base = cfg.base_model or (adapter_base(cfg.adapter) if cfg.adapter else DEFAULT_BASE)
        preset = resolve_base(base)  # a Hub id of a preset (HuggingFaceTB/SmolLM2-135M-Instruct): the embedded copy
    model, tokenizer = load_model_and_tokenizer(preset, device_map=device_map, dtype=eval_dtype(cfg.dtype))
    if device_map is None and getattr(model, "hf_device_map", None) is None:
        import torch

        if torch.cuda.is_available():  # a full-precision base loads on the CPU; generate on the GPU
            model = model.to("cuda")
    if cfg.adapter:
        from peft import PeftConfig, PeftModel

        from ..experts4bit import refuse_lora_on_4bit_experts

        try:
            targets = getattr(PeftConfig.from_pretrained(cfg.adapter), "target_parameters", None)
            refuse_lora_on_4bit_experts(model, targets, "target_parameters", fix="evaluate this adapter on a 16-bit base")
            model = PeftModel.from_pretrained(model, cfg.adapter)
        except (OSError, ValueError) as e:
            raise UserError(f"cannot load adapter {cfg.adapter!r} on {preset.hub_id}: {str(e).splitlines()[0]}") from None
    model_id = model_identity(model_path(preset), preset.hub_id, cfg.adapter)
    return model.eval(), tokenizer, {"base_model": preset.hub_id, "adapter": cfg.adapter}, model_id


def eval_dtype(name: str):
    """``--dtype`` as a torch dtype; ``auto``: bfloat16 where bf16 runs in hardware (a bf16 GPU, or a CPU with
    AMX or AVX512-BF16, where training loads the base in bf16 too), float32 elsewhere."""
    import torch

    from ..models import cpu_has_bf16

    if name == "auto":
        fast = torch.cuda.is_bf16_supported() if torch.cuda.is_available() else cpu_has_bf16()
        name = "bfloat16" if fast else "float32"
    return getattr(torch, name)


def sample(rows: list[dict], limit: int | None, seed: int = SEED, task: str = "") -> list[dict]:
    """The rows an eval scores (all, or a label-stratified sample of ``limit``), each with its file ``index``."""
    if limit is not None and limit > len(rows):
        raise UserError(f"`limit` {limit} is larger than the {task + ' ' if task else ''}test set ({len(rows)} rows); "
                        "expected at most that, or no --limit for every row")
    picked = range(len(rows)) if limit is None else stratified_sample([r["label"] for r in rows], limit, seed)
    return [{**rows[i], "index": i} for i in picked]


def queries_sha256(rows: list[dict]) -> str:
    return hashlib.sha256("\x00".join(r["query"] for r in rows).encode()).hexdigest()


def evaluate_task(task: str, rows: list[dict], generated: list[str], cfg: EvalConfig, scorer=None,
                  labeler=None) -> tuple[dict, list[dict]]:
    from .labels import make_labeler

    spec = get_task(task)
    labeler = labeler or make_labeler(task, cfg.label_method)
    golds = [r["label"] or spec.gold_label(r["response"], cfg.variant) for r in rows]
    preds = labeler(generated, [r["query"] for r in rows])
    res = classification_scores(golds, preds, spec.labels)
    res.update(labeler.info)
    res["ci"] = intervals(golds, preds, spec.labels, resamples=cfg.bootstrap_resamples, seed=cfg.bootstrap_seed)
    res["rows"] = {"index": [r.get("index", i) for i, r in enumerate(rows)], "gold": golds,
                   "pred": [p or UNPARSED for p in preds], "queries_sha256": queries_sha256(rows)}
    # the explanation axis; an answer gives a label sentence when its label was inferred (the F1 axis's label)
    expl = explanation_scores(generated, [r["response"] for r in rows], [p is not None for p in preds])
    res["rows"].update(expl.pop("rows"))
    res.update(expl)
    rouge, explained = res["rows"]["rouge_l"], res["rows"]["explained"]
    per_row = {"rouge_l": rouge, "explained_rate": [100.0 * e for e in explained]}
    table = [{"query": r["query"], "goldens": r["response"], "generated_text": g, "gold_label": gl,
              "pred_label": p or UNPARSED, "rouge_l": "" if v is None else round(v, 2), "explained": e}
             for r, g, gl, p, v, e in zip(rows, generated, golds, preds, rouge, explained)]
    if scorer is not None:
        from .bartscore import mean

        scores = scorer.score(generated, [r["response"] for r in rows])
        res["bart_score"] = mean(scores)
        res["rows"]["bart_score"] = per_row["bart_score"] = [None if math.isnan(s) else s for s in scores]
        for row, s in zip(table, scores):
            row["bart_score"] = s
    res["ci"].update(mean_intervals(per_row, resamples=cfg.bootstrap_resamples, seed=cfg.bootstrap_seed))
    return res, table


def load_tasks(cfg: EvalConfig) -> dict[str, list[dict]]:
    """{task: the rows it scores}; every test file is read first, so a missing one fails before any model work."""
    from ..data.loading import load_imhi

    explicit = [n.lower() for n in cfg.datasets] != ["all"]
    loaded = {}
    for name in task_names(cfg.datasets):
        try:
            rows = load_imhi(name, "test", cfg.variant, test_set=cfg.test_set)
        except UserError:
            if explicit:
                raise
            logger.warning("Skipping %s: no test file in this copy of IMHI.", name)
            continue
        loaded[name] = repaired(sample(rows, cfg.limit, cfg.sample_seed, name))
    return loaded


def repaired(rows: list[dict]) -> list[dict]:
    """Rows with mojibake repaired in query and response (``can‚Äôt`` -> ``can’t``), as the prepared
    test split and every training row are: the model reads posts the way it was trained on them."""
    from ..data.clean import repair_mojibake

    return [{**r, "query": repair_mojibake(r["query"])[0], "response": repair_mojibake(r["response"])[0]} for r in rows]


def run_facts(cfg: EvalConfig, loaded: dict[str, list[dict]]) -> dict:
    """What every process of one eval must share: its flags and each task's queries."""
    facts = {f"`{name}`": value for name, value in asdict(cfg).items()}
    facts["the tasks"] = list(loaded)
    for name, rows in loaded.items():
        facts[f"the {name} test queries (sha256)"] = queries_sha256(rows)[:12]
    return facts


def run_eval(cfg: EvalConfig) -> dict | None:
    """Generate, label, score and write every output; under a multi-process launcher each process generates
    a share of the batches and the main process does the rest (the others return None)."""
    from ..io import write_csv, write_json
    from .distributed import generate_shards, processes
    from .generation import generate
    from .labels import make_labeler

    if wanted(cfg.datasets):  # counsel-chat: answer likelihoods and the crisis screen, not IMHI labels
        from .counsel_run import run_counseling

        # likelihoods want float32 logits: auto means float32 here
        return run_counseling(replace(cfg, dtype="float32", base_preset=cfg.base_preset) if cfg.dtype == "auto" else cfg,
                             load_for_eval)
    out = Path(cfg.out_dir)
    procs = processes()

    def prepare():
        tasks = load_tasks(cfg)
        # labelers first: a missing classifier set fails before the model loads and minutes of generation
        return tasks, {name: make_labeler(name, cfg.label_method) for name in tasks} if procs.is_main else {}

    loaded, labelers = procs.together(prepare)
    procs.agree(run_facts(cfg, loaded))
    model, tokenizer, ident, model_id = procs.together(lambda: load_for_eval(cfg, procs.device_map))
    scorer, bart_note = None, None
    if cfg.bart_score:
        from .bartscore import load_scorer

        scorer, bart_note = procs.together(lambda: load_scorer(cfg.bart_checkpoint, parabank=cfg.parabank)
                                           if procs.is_main else (None, None))
    gen = {"batch_size": cfg.batch_size, "max_new_tokens": cfg.max_new_tokens, "model_id": model_id}
    for name, rows in loaded.items():
        generate_shards(procs, out, name, model, tokenizer, [r["query"] for r in rows], **gen)
    if not procs.is_main:
        procs.close()
        return None
    results = {"model": ident, "variant": cfg.variant, "test_set": cfg.test_set, "limit": cfg.limit,
               "sample": {"method": "label-stratified", "seed": cfg.sample_seed} if cfg.limit else {"method": "all rows"},
               "tasks": {}, **({"bart_score_note": bart_note} if bart_note else {})}
    for name, rows in loaded.items():
        logger.info("%s: generating %d answers.", name, len(rows))
        generated = generate(model, tokenizer, [r["query"] for r in rows], cache_path=out / f"{name}.generations.jsonl",
                             **gen)
        res, table = evaluate_task(name, rows, generated, cfg, scorer, labelers[name])
        fields = ["query", "goldens", "generated_text", "gold_label", "pred_label", "rouge_l", "explained"] + (
            ["bart_score"] if scorer else [])
        write_csv(out / f"{name}.csv", table, fields)
        results["tasks"][name] = res
        logger.info("%s", summary_line(name, res))
        if res.get("rouge_l_note"):
            logger.warning("%s: %s.", name, res["rouge_l_note"])
    results["average"] = average(results["tasks"], ("weighted_f1", "accuracy", "rouge_l", "explained_rate")
                                 + (("bart_score",) if scorer else ()))
    results["config"] = asdict(cfg)
    write_json(out / "results.json", results)
    write_report(results, out, _comparison(cfg, out))
    procs.close()
    return results


def _comparison(cfg: EvalConfig, out: Path) -> dict | None:
    path = Path(cfg.compare) if cfg.compare else out.parent / "base" / "results.json"
    if cfg.compare and not path.exists():
        raise UserError(f"--compare {path}: file not found; expected another run's results.json")
    if path.exists() and path.resolve() != (out / "results.json").resolve():
        return json.loads(path.read_text())
    return None


def main(cfg: EvalConfig) -> int:
    """``phyassist eval``: run and print the results table."""
    logger.info("Evaluating with %s", cfg)
    if run_eval(cfg) is not None:  # the main process, or the only one
        print((Path(cfg.out_dir) / "results.md").read_text())
    return 0
