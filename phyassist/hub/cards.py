"""Model cards for trained adapters: metadata with eval results, a rendered body, local validation.

``build_card(adapter_dir, base_results, adapter_results, repo_id=...)`` renders the ``adapter.md``
template (``templates.render``) through huggingface_hub's ``ModelCard.from_template`` with a
``ModelCardData`` whose ``base_model`` is the base's Hub id (never a local path), whose license is the base's
(``licenses``: a preset's declared one or the base's own card; left out, and said, when unknown), whose
``datasets`` are the Hub ids of the training data (never the test sets) and whose ``model-index`` holds
weighted F1, accuracy, ROUGE-L and (where computed) BARTScore per IMHI task. The body shows both axes (the
label: weighted F1; the explanation: ROUGE-L, explained rate, BARTScore), says in words per task and axis how
the adapter compares with its base, and describes what the adapter answers from its measured explained rate (``behaviour``).
``eval_result_entries`` gives weighted F1 and accuracy in the newer ``.eval_results/*.yaml`` format, as
tasks of the benchmark dataset ``phyassist/IMHI`` (``phyassist.hub.benchmark``) at its pinned revision: the
commit sha its tag names when that resolves (the tag goes to ``notes``), else the tag. ``validate_card`` reloads a
written card and checks that the metadata parses, follows the Hub's rules (``frontmatter``) and the scores
round-trip. The F1 chart it embeds is ``phyassist.evaluation.report``'s.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import UserError
from ..evaluation.bootstrap import compare_runs
from ..evaluation.report import AXES, TEST_SET_NAMES, interval, label_source, sample_description
from ..models import resolve_base
from .benchmark import (IMHI_DATASET, IMHI_REVISION, LEADERBOARD_METRICS, METRIC_URL, Revision, in_release,
                        resolve_revision, split_name, task_id)
from .frontmatter import model_violations
from .licenses import BaseLicense, preset_license
from .templates import render

COUNSEL_CHAT_DATASET = "nbertagnolli/counsel-chat"  # counsel-chat's Hub dataset id
METRIC_SOURCE = "IMHI metric (phyassist)"  # display name of METRIC_URL in eval results
TASK_TYPE = "text-generation"
# results.json key -> (model-index metric type, pretty name, metric args)
METRICS = {
    "weighted_f1": ("f1", "Weighted F1", {"average": "weighted"}),
    "accuracy": ("accuracy", "Accuracy", None),
    "rouge_l": ("rouge", "ROUGE-L", {"rouge_type": "rougeL", "use_stemmer": True}),
    "bart_score": ("bartscore", "BARTScore", None),
}
EXPLAINED = 95.0  # percent of answers with a finished reasoning for the card to say the adapter gives one
# recipe fields worth a row in the card, in this order (the full recipe is phyassist_config.yaml)
HYPERPARAMS = ("quantization", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "learning_rate",
               "lr_scheduler_type", "warmup_steps", "num_train_epochs", "max_steps", "per_device_train_batch_size",
               "gradient_accumulation_steps", "max_length", "max_train_examples", "balance_labels", "balance_tasks",
               "task_weights", "max_eval_examples", "answer_max_words", "reasoning_max_sentences", "label_loss_weight",
               "completion_only_loss", "bf16", "variant", "seed")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}); expected the file phyassist wrote") from None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _split(results: dict) -> str:
    """The benchmark split a results.json scored: ``test``, ``test_complete`` or ``test_expert``."""
    return split_name(results.get("variant", "instruction"), results.get("test_set", "instruction"))


def eval_results(results: dict, revision: Revision | None = None):
    """``EvalResult`` objects (model-index) for every task and metric present in a results.json dict, at the
    benchmark ``revision`` (default: the tag, unresolved)."""
    from huggingface_hub import EvalResult

    revision = revision or Revision(IMHI_REVISION)
    out = []
    suffix = {"test_expert": " (expert explanations)",
              "test_complete": " (completion prompts)"}.get(_split(results), "")
    for task, scores in results.get("tasks", {}).items():
        for key, (metric_type, metric_name, args) in METRICS.items():
            if not _finite(scores.get(key)):
                continue
            out.append(EvalResult(
                task_type=TASK_TYPE, task_name="Mental health analysis", dataset_type=IMHI_DATASET,
                dataset_name=f"IMHI {task}{suffix}", dataset_config=task,
                dataset_split=_split(results), dataset_revision=revision.revision,
                metric_type=metric_type, metric_name=metric_name, metric_args=args, metric_value=scores[key],
                source_name=METRIC_SOURCE, source_url=METRIC_URL,
            ))
    return out


def scores_from_eval_results(results) -> dict[str, dict[str, float]]:
    """Invert ``eval_results``: {task: {results.json key: value}} from a card's ``eval_results``."""
    by_type = {metric_type: key for key, (metric_type, _, _) in METRICS.items()}
    out: dict[str, dict[str, float]] = {}
    for r in results or []:
        if r.dataset_type == IMHI_DATASET and r.metric_type in by_type:
            out.setdefault(r.dataset_config, {})[by_type[r.metric_type]] = r.metric_value
    return out


def eval_result_entries(results: dict, date: str | None = None, revision: Revision | None = None):
    """Weighted F1 and accuracy as ``EvalResultEntry`` objects for ``.eval_results/imhi.yaml``: tasks of the
    benchmark dataset (``benchmark.task_id``) at ``revision`` (a commit sha, its tag in ``notes``; default: the
    tag). BARTScore (it depends on the scoring checkpoint) and splits the release lacks (swmh's instruction and
    completion test sets) stay in the model-index only."""
    from huggingface_hub import EvalResultEntry

    split = _split(results)
    revision = revision or Revision(IMHI_REVISION)
    tag = f", {revision.note}" if revision.note else ""
    return [
        EvalResultEntry(dataset_id=IMHI_DATASET, task_id=task_id(task, split, key), value=scores[key],
                        dataset_revision=revision.revision, date=date, source_url=METRIC_URL, source_name=METRIC_SOURCE,
                        notes=f"{METRICS[key][1]} (%), {results.get('variant', 'instruction')} variant, split {split}, "
                              f"{scores.get('n', '?')} examples, labels: {label_source(scores)}{tag}")
        for task, scores in results.get("tasks", {}).items() if in_release(task, split)
        for key in LEADERBOARD_METRICS if _finite(scores.get(key))
    ]


def hub_datasets(dataset: str) -> list[str]:
    """The card's ``datasets:``: Hub ids of the data the adapter was trained on, never the test sets it is scored
    on (those are the model-index's and ``.eval_results``'). IMHI training tasks are the ``train`` and
    ``validation`` splits of the benchmark dataset (``benchmark.TRAIN_SPLITS``); counsel-chat is its own id."""
    from ..data.loading import COUNSEL_CHAT, resolve_dataset

    components = resolve_dataset(dataset).components
    return ([IMHI_DATASET] if any(c != COUNSEL_CHAT for c in components) else []) + (
        [COUNSEL_CHAT_DATASET] if COUNSEL_CHAT in components else [])


def eval_results_yaml(results: dict, date: str | None = None, revision: Revision | None = None) -> str:
    import yaml
    from huggingface_hub import eval_result_entries_to_yaml

    entries = eval_result_entries(results, date, revision)
    return yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False)


def base_preset(adapter_config: dict):
    """The preset of an adapter's base model, looked up once: its Hub id and license go on the card. A local
    folder must record its Hub id in phyassist_base.json."""
    name = adapter_config.get("base_model_name_or_path")
    if not name:
        raise UserError("adapter_config.json has no `base_model_name_or_path`; expected the base model's Hub id")
    preset = resolve_base(name)
    hub_id = preset.hub_id
    if Path(hub_id).expanduser().exists() or hub_id.startswith(("/", ".", "~")):
        raise UserError(
            f"base model {name!r} is a local folder without a Hub id; write {{\"hub_id\": \"org/name\"}} "
            "to phyassist_base.json in that folder"
        )
    return preset


def base_hub_id(adapter_config: dict) -> str:
    """The Hub id of an adapter's base model (see ``base_preset``)."""
    return base_preset(adapter_config).hub_id


def _hyperparameters(config: dict, adapter_config: dict) -> dict:
    merged = {"lora_r": adapter_config.get("r"), "lora_alpha": adapter_config.get("lora_alpha"),
              "lora_dropout": adapter_config.get("lora_dropout"),
              "lora_target_modules": adapter_config.get("target_modules"), **config}
    keep = {}
    for key in HYPERPARAMS:
        value = merged.get(key)
        if isinstance(value, (list, tuple)):
            value = ", ".join(sorted(map(str, value)))
        if value not in ("", None) and isinstance(value, (int, float, str, bool)):
            keep[key] = value
    return keep


def _fmt(value, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if _finite(value) else "n/a"


def _with_interval(scores: dict, key: str, digits: int = 1) -> str:
    """``48.8 [40.1, 57.3]`` (the score and its bootstrap interval), or the score alone."""
    ci = interval(scores, key, digits)
    value = _fmt(scores.get(key), digits)
    return f"{value} {ci}" if ci and _finite(scores.get(key)) else value


def _result_rows(base: dict, adapter: dict) -> list[dict]:
    rows = []
    for task, a in adapter.get("tasks", {}).items():
        b = base.get("tasks", {}).get(task, {})
        row = {"task": task, "n": a.get("n", "?"), "labels": label_source(a),
               "base_unparsed": b.get("unparsed", "n/a"), "adapter_unparsed": a.get("unparsed", "n/a")}
        for key, name, digits in (("weighted_f1", "f1", 1), ("accuracy", "acc", 1), ("rouge_l", "rouge", 1),
                                  ("explained_rate", "explained", 1), ("bart_score", "bart", 3)):
            row[f"base_{name}"], row[f"adapter_{name}"] = _with_interval(b, key, digits), _with_interval(a, key, digits)
        rows.append(row)
    return rows


def behaviour(adapter_results: dict) -> str:
    """What the adapter answers, as measured: the card's description follows the explained rate per task."""
    rates = {t: s["explained_rate"] for t, s in adapter_results.get("tasks", {}).items()
             if _finite(s.get("explained_rate"))}
    lead = "Given a social-media post and a question about it, the model"
    style = "in the style of the IMHI benchmark (MentalLLaMA)"
    if not rates:
        return (f"{lead} was trained to answer with a label and an explanation, {style}; how often its answers "
                "carry a finished explanation was not measured.")
    finished = "a label sentence, then a reasoning of 15 or more words that ends a sentence"
    per_task = ", ".join(f"{task} {rate:.1f}%" for task, rate in rates.items())
    low = min(rates.values())
    if low >= EXPLAINED:
        return (f"{lead} answers with a label and a finished reasoning, {style}: on every task measured, at least "
                f"{EXPLAINED:.0f}% of its answers give {finished} ({per_task}).")
    share = f"Share of its answers that give {finished}: {per_task}"
    if low >= 50:
        return (f"{lead} answers with a label and, in most answers, a finished reasoning, {style}. {share}; the "
                "others stop early or give no reasoning.")
    return (f"{lead} mostly answers with the label sentence, {style}; its reasoning is often missing or cut off. "
            f"{share}.")


_VERDICT_WORDS = {"better": "the adapter is **better** than the base",
                  "worse": "the adapter is **worse** than the base",
                  "no significant difference": "**no significant difference** between the adapter and the base"}


def _comparison_rows(comparison: dict) -> list[dict]:
    """Per task and axis (weighted F1, accuracy, ROUGE-L, explained rate, BARTScore where compared): adapter
    - base, its paired 95% interval, the verdict and a sentence."""
    rows = []
    for task, c in comparison.items():
        for key, name, _ in AXES:
            if key not in c:
                continue
            d, digits = c[key], 3 if key == "bart_score" else 1
            unit = "" if key == "bart_score" else " points"
            diff, low, high = (f"{d[k]:+.{digits}f}" for k in ("difference", "low", "high"))
            rows.append({"task": task, "metric": name, "difference": diff, "interval": f"[{low}, {high}]",
                         "verdict": d["verdict"], "level": c["level"],
                         "sentence": f"**{task}**, {name}: {_VERDICT_WORDS[d['verdict']]} ({diff}{unit}, "
                                     f"{c['level']:.0%} interval {low} to {high}, {d.get('n', c['n'])} paired rows)."})
    return rows


def build_card(adapter_dir: str | Path, base_results: dict, adapter_results: dict, *, repo_id: str,
               dataset: str, loss_curve: str | None = "loss_curve.png", f1_chart_name: str | None = "f1_chart.png",
               template: str | Path | None = None, comparison: dict | None = None, counseling: dict | None = None,
               revision: Revision | None = None, license_info: BaseLicense | None = None):
    """Render the model card of an adapter folder with its base and adapter evaluation results.

    ``revision`` (``benchmark.resolve_revision()``) and ``license_info`` (``licenses.preset_license``): looked up
    here when not given.
    ``comparison``: ``bootstrap.compare_runs(base_results, adapter_results)``, computed here when not given
    (tasks whose results lack per-row labels get no verdict). ``counseling``: the ``counseling`` section of a
    counsel-chat evaluation's results.json (``evaluation.counsel_run``), shown as its own block.
    """
    import yaml
    from huggingface_hub import ModelCard, ModelCardData

    from .. import __version__

    adapter_dir = Path(adapter_dir)
    adapter_config = _read_json(adapter_dir / "adapter_config.json")
    if not adapter_config:
        raise UserError(f"{adapter_dir}: no adapter_config.json; expected an adapter folder written by `phyassist train`")
    preset = base_preset(adapter_config)
    hub_id = preset.hub_id
    license_info = license_info or preset_license(preset)
    revision = revision or resolve_revision()
    metrics = _read_json(adapter_dir / "train_metrics.json")
    summary = metrics.get("summary", {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))})
    config_path = adapter_dir / "phyassist_config.yaml"
    config = (yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}) if config_path.exists() else {}
    from ..train.hardware import resolved_recipe

    config = resolved_recipe(config)  # the values trained with: each `auto` as it resolved
    method = "QLoRA" if str(summary.get("quantization", config.get("quantization", ""))).lower() in ("qlora", "nf4", "fp4") else "LoRA"
    tasks = list(adapter_results.get("tasks", {}))
    model_name = repo_id.split("/")[-1]
    data = ModelCardData(
        base_model=hub_id, datasets=hub_datasets(dataset), library_name="peft", pipeline_tag="text-generation",
        **license_info.card_fields(), language=["en"],
        tags=["phyassist", "mental-health", "imhi", method.lower(), "trl", "sft"],
        metrics=["f1", "accuracy", "rouge"], model_name=model_name,
        eval_results=eval_results(adapter_results, revision) or None,
    )
    report = _read_json(adapter_dir / "data_report.json")
    train_summary = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()
                     if isinstance(v, (int, float, str)) and not any(s in k for s in ("dir", "path"))}
    return render(
        ModelCard, data, "adapter.md", template, model_name=model_name, repo_id=repo_id,
        base_model=hub_id, method=method, dataset=dataset, dataset_description=_describe(dataset, tasks),
        benchmark=IMHI_DATASET, benchmark_revision=revision.revision, benchmark_tag=revision.tag,
        license_sentence=license_info.sentence, trained_on=hub_datasets(dataset),
        tasks=tasks or [dataset], data_report=report, decontamination=decontamination_note(report),
        hyperparameters=_hyperparameters(config, adapter_config),
        train_summary=train_summary, tracking=summary.get("tracking"),
        loss_curve=loss_curve if loss_curve and (adapter_dir / loss_curve).exists() else None,
        f1_chart=f1_chart_name, variant=adapter_results.get("variant", "instruction"),
        test_set=TEST_SET_NAMES[adapter_results.get("test_set", "instruction")],
        eval_limit=adapter_results.get("limit"), sample=sample_description(adapter_results),
        results=_result_rows(base_results, adapter_results),
        bootstrap=next((s["ci"] for s in adapter_results.get("tasks", {}).values() if s.get("ci")), None),
        comparison=_comparison_rows(compare_runs(base_results, adapter_results) if comparison is None else comparison),
        has_bart=any(_finite(s.get("bart_score")) for r in (base_results, adapter_results)
                     for s in r.get("tasks", {}).values()),
        has_explanation=any(_finite(s.get("explained_rate")) for s in adapter_results.get("tasks", {}).values()),
        behaviour=behaviour(adapter_results),
        versions=_read_json(adapter_dir / "versions.json"), phyassist_version=__version__,
        counseling=counseling_block(counseling),
    )


_NLL_VERDICT = {"better": "the adapter is **better** than the base: it gives the therapists' answers a lower NLL",
                "worse": "the adapter is **worse** than the base: it gives the therapists' answers a higher NLL",
                "no significant difference": "**no significant difference** between the adapter and the base"}


def counseling_block(section: dict | None) -> dict | None:
    """The card's counseling block from a counsel-chat results.json ``counseling`` section: per model the
    NLL per answer token and perplexity with intervals, the paired difference in words, the crisis rate."""
    if not section:
        return None

    def pair(m: dict, key: str, digits: int) -> str:
        ci = m["ci"][key]
        return f"{m[key]:.{digits}f} [{ci['low']:.{digits}f}, {ci['high']:.{digits}f}]"

    rows = [{"model": name, "nll": pair(section[name], "nll", 3), "perplexity": pair(section[name], "perplexity", 2)}
            for name in ("base", "adapter") if name in section]
    d, b, k = section.get("difference"), section["bootstrap"], section.get("crisis") or {}
    sentence = None
    if d:
        sentence = (f"{_NLL_VERDICT[d['verdict']]} (adapter - base {d['nll']:+.3f} nats per token, "
                    f"{b['level']:.0%} paired interval {d['low']:+.3f} to {d['high']:+.3f}, {section['questions']} "
                    "questions).")
    crisis = (f"The crisis screen (the Space's) fired on {k['fired']} of {k['replies']} generated replies "
              f"({k['rate']:.0%}; greedy, up to {k['max_new_tokens']} new tokens, seeded sample of held-out questions)."
              if k.get("replies") else None)
    skipped = ", ".join(f"{reason} {n}" for reason, n in section.get("skipped", {}).items()) or "none"
    return {"questions": section["questions"], "rows": section["rows"], "tokens": section["tokens"],
            "skipped": skipped, "held_out": section.get("held_out", {}), "table": rows, "sentence": sentence,
            "bootstrap": b, "crisis": crisis}


def decontamination_note(report: dict) -> str | None:
    """The card's sentence on the data report's test-overlap check (None for a report from before it)."""
    overlap = report.get("test_overlap")
    if not overlap:
        return None
    if not overlap.get("checked"):
        return ("**Decontamination:** not done; training and validation rows were not checked against the IMHI "
                "test sets.")
    against = (f"{overlap.get('test_posts', '?')} posts in {len(overlap.get('test_files', []))} IMHI test files, "
               "every task, both prompt variants and the expert set; posts compared after mojibake repair, Unicode "
               "NFKC normalisation, case folding and white-space collapsing")
    by_split = {split: {t: n for t, n in by_task.items() if n}
                for split, by_task in overlap.get("dropped", {}).items()}
    total = sum(n for by_task in by_split.values() for n in by_task.values())
    if not total:
        return f"**Decontamination:** no training or validation post appears in a test set ({against})."
    detail = "; ".join(f"{split}: " + ", ".join(f"{t} {n}" for t, n in by_task.items())
                       for split, by_task in by_split.items() if by_task)
    return (f"**Decontamination:** {total} rows ({detail}) were dropped as `test_overlap` because their post also "
            f"appears in a test set ({against}), so the adapter was neither trained nor selected on a post it is "
            "scored on.")


def _describe(dataset: str, tasks: list[str]) -> str:
    if "counsel" in dataset.lower():
        return "therapist answers from counsel-chat"
    return "IMHI task" + ("s " if len(tasks) > 1 else " ") + ", ".join(tasks or [dataset])


def validate_card(path: str | Path, adapter_results: dict):
    """Reload a written card and check its metadata; raise ``UserError`` naming what is wrong."""
    from huggingface_hub import ModelCard

    path = Path(path)
    try:
        card = ModelCard.load(path)
    except Exception as e:  # a YAML or model-index error from huggingface_hub
        raise UserError(f"{path}: model card metadata does not parse: {e}") from None
    data = card.data
    if not data.base_model or Path(str(data.base_model)).exists() or str(data.base_model).startswith("/"):
        raise UserError(f"{path}: `base_model` must be a Hub id, got {data.base_model!r}")
    if not data.datasets or data.library_name != "peft":
        raise UserError(f"{path}: expected `datasets` and `library_name: peft` in the metadata")
    broken = model_violations(data.to_dict())
    if broken:
        raise UserError(f"{path}: metadata the Hub would reject: {'; '.join(broken)}")
    want = {t: {k: s[k] for k in METRICS if _finite(s.get(k))} for t, s in adapter_results.get("tasks", {}).items()}
    got = scores_from_eval_results(data.eval_results)
    if got != {t: s for t, s in want.items() if s}:
        raise UserError(f"{path}: model-index results {got} differ from the evaluation results {want}")
    return card
