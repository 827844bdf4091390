"""What an evaluation run shows a person: a Markdown table per task and the weighted-F1 bar chart.

``markdown(results)`` renders a results.json dict (scores with their bootstrap intervals);
``plot_f1(runs, path)`` draws weighted F1 per task with one bar per run (base against adapter), the
chart ``phyassist eval`` writes as ``f1.png`` and model cards embed as ``f1_chart.png``.
"""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_path, write_text
from .scores import UNPARSED

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


def markdown(results: dict) -> str:
    """A table per task (scores, then per-label counts) and the average."""
    model = results["model"]
    lines = [f"# IMHI evaluation: {model['base_model']}" + (f" + {model['adapter']}" if model.get("adapter") else ""), "",
             f"Variant: {results['variant']}; test set: {TEST_SET_NAMES[results.get('test_set', 'instruction')]}; "
             f"sample: {sample_description(results)}.", "",
             "| task | n | weighted F1 | 95% CI | accuracy | 95% CI | macro F1 | unparsed | labels |"
             + (" BARTScore |" if "bart_score" in results["average"] else ""),
             "|---|---:|---:|---|---:|---|---:|---:|---|" + ("---:|" if "bart_score" in results["average"] else "")]
    for name, r in results["tasks"].items():
        bart = f" {r['bart_score']:.3f} |" if "bart_score" in results["average"] and r.get("bart_score") is not None else ""
        lines.append(f"| {name} | {r['n']} | {r['weighted_f1']:.2f} | {interval(r, 'weighted_f1')} | {r['accuracy']:.2f} | "
                     f"{interval(r, 'accuracy')} | {r['macro_f1']:.2f} | {r['unparsed']} | {label_source(r)} |{bart}")
    avg = results["average"]
    if avg:
        lines.append(f"| **average** | | {avg.get('weighted_f1', 0):.2f} | | {avg.get('accuracy', 0):.2f} | | | | |")
    ci = next((r["ci"] for r in results["tasks"].values() if r.get("ci")), None)
    if ci:
        lines += ["", f"Intervals: {ci['level']:.0%} {ci['method']}, {ci['resamples']} resamples, seed {ci['seed']}."]
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
    write_text(out / "results.md", markdown(results))
    runs = [results] if other is None else sorted([other, results], key=lambda r: _label(r) != "base")
    plot_f1(runs, out / "f1.png")
