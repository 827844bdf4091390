"""What an evaluation run shows a person: a Markdown table per task and the weighted-F1 bar chart.

``markdown(results, comparison)`` renders a results.json dict (both axes, the label's weighted F1 and the
explanation's ROUGE-L and explained rate, with their bootstrap intervals) and, against a base run, the
paired adapter - base differences; ``plot_f1(runs, path)`` draws weighted F1 per task with one bar per
run, the chart ``phyassist eval`` writes as ``f1.png`` and model cards embed as ``f1_chart.png``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import UserError
from ..io import atomic_path, write_text
from .explanation import counts_line
from .scores import UNPARSED

logger = logging.getLogger(__name__)
TEST_SET_NAMES = {"instruction": "the release's gold explanations (test_instruction)",
                  "expert": "expert-written gold explanations (test_instruction_expert)"}


def label_source(task_results: dict) -> str:
    """How a task's labels were inferred, e.g. ``learned (DR v2 sha256:0123456789ab)``."""
    method = task_results.get("label_method", "unknown")
    clf = task_results.get("label_classifier")
    return f"{method} ({clf})" if clf and clf != "none" else method


def _label(results: dict) -> str:
    return "adapter" if results["model"].get("adapter") else "base"


def sample_description(results: dict) -> str:
    """``all rows``, or ``100 rows per task, label-stratified (seed 0)`` (older results: ``first 16 rows``)."""
    if not results.get("limit"):
        return "all rows"
    sample = results.get("sample")
    if not sample:
        return f"first {results['limit']} rows per task"
    return f"{results['limit']} rows per task, {sample['method']} (seed {sample['seed']})"


def interval(task_results: dict, key: str, digits: int = 2) -> str:
    """``[low, high]`` of a task's bootstrap interval for ``key``, or an empty string when there is none."""
    ci = (task_results.get("ci") or {}).get(key)
    return f"[{ci['low']:.{digits}f}, {ci['high']:.{digits}f}]" if ci else ""


def _score(scores: dict, key: str, digits: int = 2) -> str:
    value = scores.get(key)
    return "n/a" if value is None else f"{value:.{digits}f}"


# paired-difference rows: results key, name, digits
AXES = (("weighted_f1", "weighted F1", 2), ("accuracy", "accuracy", 2), ("rouge_l", "ROUGE-L", 2),
        ("explained_rate", "explained rate", 1), ("bart_score", "BARTScore", 3))


def comparison_table(comparison: dict) -> list[str]:
    """The paired adapter - base table: a row per task and axis, with its interval and verdict."""
    lines = ["| task | metric | adapter − base | 95% interval | verdict | paired rows |", "|---|---|---:|---|---|---:|"]
    for task, c in comparison.items():
        for key, name, digits in AXES:
            if key in c:
                d = c[key]
                lines.append(f"| {task} | {name} | {d['difference']:+.{digits}f} | [{d['low']:+.{digits}f}, "
                             f"{d['high']:+.{digits}f}] | {d['verdict']} | {d.get('n', c['n'])} |")
    return lines


def summary_line(name: str, scores: dict) -> str:
    """One task's scores in a log line: both axes with their intervals, the counts per reason."""

    def show(key: str, digits: int = 2, unit: str = "") -> str:
        ci = interval(scores, key, digits)
        value = _score(scores, key, digits)
        return value + (unit if value != "n/a" else "") + (f" {ci}" if ci and scores.get(key) is not None else "")

    counts = counts_line(scores.get("explanation_counts", {}))
    return (f"{name}: weighted F1 {show('weighted_f1')}, accuracy {show('accuracy')}, unparsed {scores['unparsed']} of "
            f"{scores['n']} (labels: {label_source(scores)}); ROUGE-L {show('rouge_l')}, explained "
            f"{show('explained_rate', 1, '%')}" + (f", BARTScore {show('bart_score', 3)}" if "bart_score" in scores else "")
            + (f"; {counts}" if counts else "") + ".")


def markdown(results: dict, comparison: dict | None = None) -> str:
    """A table per task (both axes, then per-label counts), the average, and ``comparison`` (``compare_runs``
    of a base run and this one) as the paired table."""
    model = results["model"]
    bart = "bart_score" in results["average"]
    lines = [f"# IMHI evaluation: {model['base_model']}" + (f" + {model['adapter']}" if model.get("adapter") else ""), "",
             f"Variant: {results['variant']}; test set: {TEST_SET_NAMES[results.get('test_set', 'instruction')]}; "
             f"sample: {sample_description(results)}.", "",
             "| task | n | weighted F1 | 95% CI | accuracy | 95% CI | macro F1 | unparsed | ROUGE-L | 95% CI | "
             "explained % | 95% CI | labels |" + (" BARTScore | 95% CI |" if bart else ""),
             "|---|---:|---:|---|---:|---|---:|---:|---:|---|---:|---|---|" + ("---:|---|" if bart else "")]
    for name, r in results["tasks"].items():
        extra = f" {_score(r, 'bart_score', 3)} | {interval(r, 'bart_score', 3)} |" if bart else ""
        lines.append(f"| {name} | {r['n']} | {r['weighted_f1']:.2f} | {interval(r, 'weighted_f1')} | {r['accuracy']:.2f} | "
                     f"{interval(r, 'accuracy')} | {r['macro_f1']:.2f} | {r['unparsed']} | {_score(r, 'rouge_l')} | "
                     f"{interval(r, 'rouge_l')} | {_score(r, 'explained_rate', 1)} | {interval(r, 'explained_rate', 1)} | "
                     f"{label_source(r)} |{extra}")
    avg = results["average"]
    if avg:
        lines.append(f"| **average** | | {_score(avg, 'weighted_f1')} | | {_score(avg, 'accuracy')} | | | | "
                     f"{_score(avg, 'rouge_l')} | | {_score(avg, 'explained_rate', 1)} | | |"
                     + (f" {_score(avg, 'bart_score', 3)} | |" if bart else ""))
    ci = next((r["ci"] for r in results["tasks"].values() if r.get("ci")), None)
    if ci:
        lines += ["", f"Intervals: {ci['level']:.0%} {ci['method']}, {ci['resamples']} resamples, seed {ci['seed']}."]
    lines += ["", "ROUGE-L: F1 x 100 of the generated reasoning (after `Reasoning:`) against the gold one. Explained: "
              "the share of answers with a label sentence, then a reasoning of 15 or more words that ends a sentence."]
    notes = [f"- {name}: {r['rouge_l_note']}." for name, r in results["tasks"].items() if r.get("rouge_l_note")]
    notes += [f"- {name}: {line}." for name, r in results["tasks"].items()
              if (line := counts_line(r.get("explanation_counts", {})))]
    if results.get("bart_score_note"):
        notes.append(f"- {results['bart_score_note']}.")
    if notes:
        lines += ["", *notes]
    if comparison:
        lines += ["", "## Adapter against base", "", *comparison_table(comparison)]
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
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path


def write_report(results: dict, out: Path, other: dict | None = None) -> None:
    """results.md (with the paired table when ``other`` is the base of this adapter run) and f1.png."""
    from .bootstrap import compare_runs

    runs = [results] if other is None else sorted([other, results], key=lambda r: _label(r) != "base")
    comparison = None
    if len(runs) == 2 and [_label(r) for r in runs] == ["base", "adapter"]:
        try:
            comparison = compare_runs(*runs)
        except UserError as e:  # another sample: the chart still shows both, the paired table cannot
            logger.warning("No paired comparison with %s: %s", "the base run", e)
    write_text(out / "results.md", markdown(results, comparison))
    plot_f1(runs, out / "f1.png")
