"""``phyassist eval``: generate IMHI test answers with a base model (+ adapter) and score them.

For each task: load the test split, generate greedy answers (``phyassist.generation``, resumable via
``<out>/<task>.generations.jsonl``), infer labels from gold and generated answers
(``phyassist.labels``), score them (``phyassist.metrics``, optionally BARTScore) and write, under
``--out``: ``<task>.csv`` (MentalLLaMA's ``goldens``/``generated_text`` columns plus ``query``,
``gold_label`` and ``pred_label``, ``unparsed`` for none), ``results.json``, ``results.md`` (a table
per task) and ``f1.png`` (weighted F1 per task; base against adapter when a base run is found in
``<out>/../base`` or given with ``--compare``). This module does not train or publish.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import UserError
from .metrics import UNPARSED, average, classification_scores
from .tasks import TASKS, check_variant, get_task

logger = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    adapter: str | None = field(default=None, metadata={"help": "adapter folder or Hub id; None/'none' = base only"})
    base_model: str | None = field(default=None, metadata={"help": "preset, Hub id or folder; default: the adapter's base"})
    datasets: list[str] = field(default_factory=lambda: ["MultiWD"], metadata={"help": "IMHI tasks, or ['all']"})
    limit: int | None = field(default=None, metadata={"help": "first N test rows per task"})
    out_dir: str = field(default="out/eval", metadata={"help": "output folder"})
    variant: str = field(default="instruction", metadata={"help": "instruction or complete"})
    batch_size: int = field(default=8, metadata={"help": "generation batch size"})
    max_new_tokens: int = field(default=256, metadata={"help": "generation length bound"})
    bart_score: bool = field(default=False, metadata={"help": "also compute BARTScore"})
    bart_checkpoint: str = field(default="facebook/bart-large-cnn", metadata={"help": "BARTScore model"})
    parabank: str | None = field(default=None, metadata={"help": "ParaBank bart.pth weights file"})
    label_method: str = field(default="learned", metadata={"help": "strict, learned, or a classifier path/Hub id"})
    compare: str | None = field(default=None, metadata={"help": "another run's results.json to plot against"})

    def __post_init__(self):
        if isinstance(self.datasets, str):
            self.datasets = self.datasets.split(",")
        if self.adapter in ("", "none", "None"):
            self.adapter = None
        check_variant(self.variant)
        if self.limit is not None and self.limit < 1:
            raise UserError(f"`limit` must be positive, got {self.limit}")
        if self.batch_size < 1:
            raise UserError(f"`batch_size` must be positive, got {self.batch_size}")
        if not 1 <= self.max_new_tokens <= 4096:
            raise UserError(f"`max_new_tokens` must be between 1 and 4096, got {self.max_new_tokens}")


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


def load_for_eval(cfg: EvalConfig):
    """(model, tokenizer, {"base_model": hub id, "adapter": ...})."""
    from .models import DEFAULT_BASE, load_model_and_tokenizer, resolve_base

    base = cfg.base_model or (adapter_base(cfg.adapter) if cfg.adapter else DEFAULT_BASE)
    preset = resolve_base(base)
    # a Hub id of a preset (e.g. HuggingFaceTB/SmolLM2-135M-Instruct) resolves to the embedded copy
    model, tokenizer = load_model_and_tokenizer(base)
    if cfg.adapter:
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, cfg.adapter)
        except (OSError, ValueError) as e:
            raise UserError(f"cannot load adapter {cfg.adapter!r} on {preset.hub_id}: {str(e).splitlines()[0]}") from None
    return model.eval(), tokenizer, {"base_model": preset.hub_id, "adapter": cfg.adapter}


def evaluate_task(task: str, rows: list[dict], generated: list[str], cfg: EvalConfig, scorer=None) -> tuple[dict, list[dict]]:
    from .labels import HFLabelClassifier, infer_labels

    spec = get_task(task)
    queries = [r["query"] for r in rows]
    method, hf = cfg.label_method, None
    if method not in ("strict", "learned"):
        hf, method = HFLabelClassifier(task, cfg.label_method), "hf"
    golds = [r["label"] or spec.gold_label(r["response"], cfg.variant) for r in rows]
    preds = infer_labels(task, generated, queries, method=method, hf_classifier=hf)
    res = classification_scores(golds, preds, spec.labels)
    table = [{"query": r["query"], "goldens": r["response"], "generated_text": g, "gold_label": gl,
              "pred_label": p or UNPARSED} for r, g, gl, p in zip(rows, generated, golds, preds)]
    if scorer is not None:
        from .bartscore import mean

        scores = scorer.score(generated, [r["response"] for r in rows])
        res["bart_score"] = mean(scores)
        for row, s in zip(table, scores):
            row["bart_score"] = s
    return res, table


def run_eval(cfg: EvalConfig) -> dict:
    from .data import load_imhi
    from .generation import generate
    from .io import write_csv, write_json

    out = Path(cfg.out_dir)
    names = task_names(cfg.datasets)
    explicit = [n.lower() for n in cfg.datasets] != ["all"]
    loaded = {}
    for name in names:  # read every test file first: a missing one fails before minutes of generation
        try:
            loaded[name] = load_imhi(name, "test", cfg.variant)[: cfg.limit]
        except UserError:
            if explicit:
                raise
            logger.warning("Skipping %s: no test file in this copy of IMHI.", name)
    model, tokenizer, ident = load_for_eval(cfg)
    scorer = None
    if cfg.bart_score:
        from .bartscore import BARTScorer

        scorer = BARTScorer(cfg.bart_checkpoint, parabank=cfg.parabank)
    model_id = f"{ident['base_model']}+{ident['adapter']}"
    results = {"model": ident, "variant": cfg.variant, "limit": cfg.limit, "tasks": {}}
    for name, rows in loaded.items():
        logger.info("%s: generating %d answers.", name, len(rows))
        generated = generate(model, tokenizer, [r["query"] for r in rows], batch_size=cfg.batch_size,
                             max_new_tokens=cfg.max_new_tokens, cache_path=out / f"{name}.generations.jsonl",
                             model_id=model_id)
        res, table = evaluate_task(name, rows, generated, cfg, scorer)
        fields = ["query", "goldens", "generated_text", "gold_label", "pred_label"] + (["bart_score"] if scorer else [])
        write_csv(out / f"{name}.csv", table, fields)
        results["tasks"][name] = res
        logger.info("%s: weighted F1 %.2f, accuracy %.2f, unparsed %d of %d.", name, res["weighted_f1"],
                    res["accuracy"], res["unparsed"], res["n"])
    results["average"] = average(results["tasks"], ("weighted_f1", "accuracy") + (("bart_score",) if scorer else ()))
    results["config"] = asdict(cfg)
    write_json(out / "results.json", results)
    write_report(results, out, _comparison(cfg, out))
    return results


def _comparison(cfg: EvalConfig, out: Path) -> dict | None:
    path = Path(cfg.compare) if cfg.compare else out.parent / "base" / "results.json"
    if cfg.compare and not path.exists():
        raise UserError(f"--compare {path}: file not found; expected another run's results.json")
    if path.exists() and path.resolve() != (out / "results.json").resolve():
        return json.loads(path.read_text())
    return None


def _label(results: dict) -> str:
    return "adapter" if results["model"].get("adapter") else "base"


def markdown(results: dict) -> str:
    """A table per task (scores, then per-label counts) and the average."""
    model = results["model"]
    lines = [f"# IMHI evaluation: {model['base_model']}" + (f" + {model['adapter']}" if model.get("adapter") else ""), "",
             f"Variant: {results['variant']}; limit: {results['limit'] or 'none'}.", "",
             "| task | n | weighted F1 | accuracy | macro F1 | unparsed |" + (" BARTScore |" if "bart_score" in results["average"] else ""),
             "|---|---:|---:|---:|---:|---:|" + ("---:|" if "bart_score" in results["average"] else "")]
    for name, r in results["tasks"].items():
        bart = f" {r['bart_score']:.3f} |" if "bart_score" in results["average"] and r.get("bart_score") is not None else ""
        lines.append(f"| {name} | {r['n']} | {r['weighted_f1']:.2f} | {r['accuracy']:.2f} | {r['macro_f1']:.2f} | {r['unparsed']} |{bart}")
    avg = results["average"]
    if avg:
        lines.append(f"| **average** | | {avg.get('weighted_f1', 0):.2f} | {avg.get('accuracy', 0):.2f} | | |")
    for name, r in results["tasks"].items():
        lines += ["", f"## {name}", "", "| label | gold | predicted |", "|---|---:|---:|"]
        counts = r["label_counts"]
        for label in r["labels"] + [UNPARSED]:
            lines.append(f"| {label} | {counts['gold'].get(label, 0)} | {counts['predicted'].get(label, 0)} |")
    return "\n".join(lines) + "\n"


def plot_f1(runs: list[dict], path: Path) -> Path:
    """Grouped bars: weighted F1 per task, one bar per run (base, adapter)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(t for r in runs for t in r["tasks"]))
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(tasks) + 1), 3.5))
    for k, r in enumerate(runs):
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(tasks))]
        ax.bar(xs, [r["tasks"].get(t, {}).get("weighted_f1", 0) for t in tasks], width, label=_label(r))
    ax.set_xticks(range(len(tasks)), tasks)
    ax.set_ylabel("weighted F1")
    ax.set_ylim(0, 100)
    ax.set_title("IMHI weighted F1 per task")
    ax.legend()
    fig.tight_layout()
    from .io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path


def write_report(results: dict, out: Path, other: dict | None = None) -> None:
    from .io import write_text

    write_text(out / "results.md", markdown(results))
    runs = [results] if other is None else sorted([other, results], key=lambda r: _label(r) != "base")
    plot_f1(runs, out / "f1.png")


def add_arguments(parser) -> None:
    parser.add_argument("--adapter", required=True, help="adapter folder or Hub id, or 'none' for the base model")
    parser.add_argument("--base-model", default=None, help="preset, Hub id or folder (default: the adapter's base)")
    parser.add_argument("--dataset", default="MultiWD", help="comma-separated IMHI tasks, or 'all'")
    parser.add_argument("--limit", type=int, default=None, help="first N test rows per task")
    parser.add_argument("--out", default=None, help="output folder (default out/eval/<adapter name or base>)")
    parser.add_argument("--variant", default="instruction", choices=["instruction", "complete"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--bart-score", action="store_true", help="also compute BARTScore (downloads bart-large-cnn)")
    parser.add_argument("--bart-checkpoint", default="facebook/bart-large-cnn")
    parser.add_argument("--parabank", default=None, help="ParaBank bart.pth weights for BARTScore")
    parser.add_argument("--labels", default="learned", help="label inference: strict, learned, or a classifier path/Hub id")
    parser.add_argument("--compare", default=None, help="results.json of another run to plot against")


def run(args) -> int:
    adapter = None if args.adapter.lower() == "none" else args.adapter
    out = args.out or str(Path("out/eval") / (Path(adapter).name if adapter else "base"))
    cfg = EvalConfig(adapter=adapter, base_model=args.base_model, datasets=args.dataset.split(","), limit=args.limit,
                     out_dir=out, variant=args.variant, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                     bart_score=args.bart_score, bart_checkpoint=args.bart_checkpoint, parabank=args.parabank,
                     label_method=args.labels, compare=args.compare)
    logger.info("Evaluating with %s", cfg)
    res = run_eval(cfg)
    print((Path(cfg.out_dir) / "results.md").read_text())
    return 0
