"""Quality benchmark: train with a named recipe, evaluate base and adapter on the same seeded sample.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/quality.py --recipe lora --dataset MultiWD
    PHYASSIST_DATA_DIR=../shared/data python benchmarks/quality.py --recipe MultiWD --eval-limit 300 \
        --set learning_rate=1e-3 --set max_steps=120 --name lr1e-3

``--recipe`` is a recipe of the base (``recipes/<preset>/<NAME>.yaml``) or a YAML path; ``--set KEY=VALUE``
overrides one recipe key (any ``TrainConfig`` field, so an unknown key is the usual one-line error).
Both models answer the same label-stratified sample of ``--eval-limit`` test rows per task (seeded;
at least 200), greedy, ``--max-new-tokens`` tokens. Printed per task, base and adapter side by side:
weighted F1 and accuracy with 95% intervals, the paired bootstrap 95% interval of the adapter - base
weighted-F1 difference, the majority-class weighted F1 on the same rows, the label distribution of
the answers, and wall times; then the explanation axis: ROUGE-L and the explained rate with their 95%
intervals per arm, and their paired adapter - base differences with verdicts (``explanation_report``);
then per task the TF-IDF + logistic-regression baseline trained on the adapter's training rows
(``tfidf_baseline``) with the paired adapter - baseline difference, saying where the adapter is still
below it. Everything goes to ``<out>/quality.json``; the base's answers are
cached under ``<out>/../base-<dataset>-<limit>[-seed<S>]`` and reused by every variant.

Confirming a recipe chosen on one sample: ``--adapter runs/quality/NAME/adapter --sample-seed 1
--eval-limit 600 --name NAME-confirm`` scores an adapter already trained (no training) on another
seeded sample, so the verdict does not rest on the rows the recipe was picked with.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MIN_ROWS = 200


def parse_sets(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"quality.py: error: --set expects KEY=VALUE, got {pair!r}")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):  # YAML 1.1 reads "1e-3" as a string
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key.strip()] = parsed
    return out


def named_recipe(prog: str, recipe: str, base_model: str) -> Path:
    """``--recipe``: a YAML path, or a recipe name of the base (``recipes/<preset>/NAME.yaml``)."""
    from phyassist.models import resolve_base
    from phyassist.train.recipes import recipe_path

    path = Path(recipe) if recipe.endswith((".yaml", ".yml")) else \
        recipe_path(f"{resolve_base(base_model).name}/{recipe}.yaml")
    if path is None or not Path(path).is_file():
        raise SystemExit(f"{prog}: error: no recipe {recipe!r} for {base_model}")
    return Path(path)


def adapter_folder(prog: str, path: str) -> Path:
    """``--adapter``: a trained adapter folder (one holding adapter_config.json)."""
    folder = Path(path)
    if not (folder / "adapter_config.json").is_file():
        raise SystemExit(f"{prog}: error: --adapter {folder}: expected an adapter folder (adapter_config.json)")
    return folder


def majority_f1(golds: list[str], labels: list[str]) -> float:
    from phyassist.evaluation.scores import classification_scores

    top = Counter(golds).most_common(1)[0][0]
    return classification_scores(golds, [top] * len(golds), labels)["weighted_f1"]


def _with_ci(res: dict, key: str, digits: int, unit: str = "") -> str:
    value, ci = res.get(key), res.get("ci", {}).get(key)
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}" + (f" [{ci['low']:.{digits}f}, {ci['high']:.{digits}f}]" if ci else "")


def explanation_report(task: str, results: dict, comparison: dict) -> dict:
    """Print the explanation axis of one task (ROUGE-L and explained rate per arm, with intervals, and the
    paired adapter - base differences) and return it for quality.json."""
    from phyassist.evaluation.explanation import counts_line

    row = {}
    for arm in ("base", "adapter"):
        res = results[arm]["tasks"][task]
        row[arm] = {key: res.get(key) for key in ("rouge_l", "explained_rate", "explanation_counts", "rouge_l_note")
                    if key in res}
        row[arm]["ci"] = {key: res["ci"][key] for key in ("rouge_l", "explained_rate") if key in res.get("ci", {})}
        counts = counts_line(res.get("explanation_counts", {}))
        print(f"{task:<9} {arm:<8} ROUGE-L {_with_ci(res, 'rouge_l', 2):<22} "
              f"explained {_with_ci(res, 'explained_rate', 1, '%')}" + (f"    {counts}" if counts else "") + (f"    {res['rouge_l_note']}" if res.get("rouge_l_note") else ""))
    paired = {key: comparison[task][key] for key in ("rouge_l", "explained_rate") if key in comparison.get(task, {})}
    row["difference"] = paired
    if paired:
        print(f"{task:<9} adapter - base " + "; ".join(
            f"{name} {d['difference']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]: {d['verdict']}"
            for key, name in (("rouge_l", "ROUGE-L"), ("explained_rate", "explained rate")) if (d := paired.get(key))))
    return row


_BELOW = {"better": "better than the baseline", "worse": "STILL BELOW the baseline",
          "no significant difference": "no significant difference from the baseline"}


def tfidf_baseline(train_cfg, tasks: list[str], adapter_results: dict) -> dict[str, dict]:
    """Per task, the TF-IDF + logistic-regression baseline (``phyassist.evaluation.baseline``): trained on the
    rows the adapter trained on (``prepare_splits``' sample, with their gold labels), scored on the rows the
    adapter answered, with the paired adapter - baseline weighted-F1 difference. Printed and returned."""
    from collections import defaultdict

    from phyassist.data.loading import load_imhi
    from phyassist.data.prepare import prepare_dataset
    from phyassist.evaluation.baseline import TfidfBaseline, baseline_rows, compare_to_baseline
    from phyassist.evaluation.run import queries_sha256, repaired
    from phyassist.models import load_tokenizer
    from phyassist.train.splits import prepare_splits

    train_ds = prepare_splits(train_cfg, load_tokenizer(train_cfg.base_preset))[0]
    prepared, _ = prepare_dataset(train_cfg.dataset_spec, variant=train_cfg.variant, seed=train_cfg.seed,
                                  val_fraction=train_cfg.val_fraction, max_chars=train_cfg.max_chars)
    pool = defaultdict(list)  # query -> its prepared train rows (task and gold label)
    for row in prepared["train"]:
        pool[row["messages"][0]["content"]].append(row)
    used = []
    for prompt in train_ds["prompt"]:
        query = next(m["content"] for m in reversed(prompt) if m["role"] == "user")
        if not pool.get(query):
            raise SystemExit(f"quality.py: error: a training prompt is not among the prepared train rows: "
                             f"{query[:80]!r}")
        used.append(pool[query].pop())
    out = {}
    print(f"\nTF-IDF baseline (trained on the adapter's {len(used)} training rows, scored on the same test rows):")
    for task in tasks:
        res = adapter_results["tasks"][task]
        rows = res["rows"]
        test = load_imhi(task, "test", adapter_results["variant"],
                         test_set=adapter_results.get("test_set", "instruction"))
        picked = repaired([test[i] for i in rows["index"]])
        if queries_sha256(picked) != rows["queries_sha256"]:
            raise SystemExit(f"quality.py: error: {task}: the test file's rows differ from those the adapter answered")
        if not any(r["task"] == task for r in used):
            print(f"{task:<9} TF-IDF baseline: none (no {task} rows among the adapter's training rows)")
            continue
        model = TfidfBaseline().fit(*baseline_rows(used, task), task=task)
        entry = {**compare_to_baseline(rows["gold"], model.predict([r["query"] for r in picked]), rows["pred"],
                                       res["labels"]), **model.describe()}
        ci, d = entry["ci"]["weighted_f1"], entry["adapter_minus_baseline"]["weighted_f1"]
        print(f"{task:<9} TF-IDF baseline: weighted F1 {entry['weighted_f1']:6.2f} [{ci['low']:5.1f}, "
              f"{ci['high']:5.1f}]; adapter - baseline paired diff {d['difference']:+.2f} "
              f"[{d['low']:+.2f}, {d['high']:+.2f}]: {d['verdict']} (adapter {_BELOW[d['verdict']]})")
        out[task] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="lora", help="recipe name of the base (recipes/<preset>/NAME.yaml) or a path")
    p.add_argument("--dataset", default="MultiWD")
    p.add_argument("--base-model", default="smollm2-135m-instruct")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe key")
    p.add_argument("--eval-limit", type=int, default=MIN_ROWS, help=f"test rows per task (at least {MIN_ROWS})")
    p.add_argument("--max-new-tokens", type=int, default=48)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--sample-seed", type=int, default=None, help="seed of the test sample (default: the eval's)")
    p.add_argument("--adapter", default=None, help="score this trained adapter folder instead of training one")
    p.add_argument("--name", default=None, help="variant name (default: the recipe name)")
    p.add_argument("--out", default=None, help="default runs/quality/<name>")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.eval_limit < MIN_ROWS:
        raise SystemExit(f"quality.py: error: --eval-limit must be at least {MIN_ROWS}, got {args.eval_limit}")

    from phyassist.data.loading import resolve_dataset
    from phyassist.data.tasks import get_task
    from phyassist.errors import exit_code
    from phyassist.evaluation.bootstrap import compare_runs
    from phyassist.evaluation.run import EvalConfig, run_eval
    from phyassist.train.config import load_config
    from phyassist.train.trainer import train

    def run() -> int:
        recipe = named_recipe("quality.py", args.recipe, args.base_model)
        name = args.name or recipe.stem
        out = Path(args.out or REPO / "runs" / "quality" / name)
        overrides = parse_sets(args.set)
        times = {}
        if args.adapter:
            adapter_dir = adapter_folder("quality.py", args.adapter)
            metrics = adapter_dir / "train_metrics.json"
            summary = json.loads(metrics.read_text())["summary"] if metrics.is_file() else {}
            times["train_s"] = summary.get("runtime_s", float("nan"))
            if (adapter_dir / "phyassist_config.yaml").is_file():  # the recipe it was trained with
                recipe = adapter_dir / "phyassist_config.yaml"
        else:
            cfg = load_config(recipe, dataset=args.dataset, base_model=args.base_model,
                              output_dir=str(out / "adapter"), **overrides)
            start = time.perf_counter()
            adapter_dir = Path(train(cfg).output_dir)
            times["train_s"] = round(time.perf_counter() - start, 1)
        tasks = resolve_dataset(args.dataset).eval_tasks
        seed_tag = "" if args.sample_seed is None else f"-seed{args.sample_seed}"
        evals = {"base": (None, out.parent / f"base-{args.dataset}-{args.eval_limit}{seed_tag}"),
                 "adapter": (str(adapter_dir), out / "eval")}
        sample = {} if args.sample_seed is None else {"sample_seed": args.sample_seed}
        results = {}
        for arm, (adapter, folder) in evals.items():
            start = time.perf_counter()
            run_eval(EvalConfig(adapter=adapter, base_model=args.base_model, datasets=tasks, limit=args.eval_limit,
                                out_dir=str(folder), variant="instruction", bart_score=False,
                                max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, **sample))
            times[f"eval_{arm}_s"] = round(time.perf_counter() - start, 1)
            results[arm] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        comparison = compare_runs(results["base"], results["adapter"])
        report = {"recipe": str(recipe), "overrides": overrides, "dataset": args.dataset, "eval_limit": args.eval_limit,
                  "sample_seed": args.sample_seed, "adapter": str(adapter_dir),
                  "max_new_tokens": args.max_new_tokens, "times": times, "tasks": {}}
        print(f"\n{name}: recipe {recipe} {overrides or ''}; train {times['train_s']:.0f} s, eval base "
              f"{times['eval_base_s']:.0f} s, adapter {times['eval_adapter_s']:.0f} s")
        print(f"{'task':<9} {'arm':<8} {'weighted F1 [95% CI]':<24} {'accuracy [95% CI]':<24} answers")
        for task in tasks:
            row = {}
            for arm in ("base", "adapter"):
                res = results[arm]["tasks"][task]
                ci = res["ci"]
                dist = dict(Counter(res["rows"]["pred"]).most_common())
                row[arm] = {"weighted_f1": res["weighted_f1"], "accuracy": res["accuracy"], "ci": ci, "answers": dist}
                print(f"{task:<9} {arm:<8} {res['weighted_f1']:6.2f} [{ci['weighted_f1']['low']:5.1f}, "
                      f"{ci['weighted_f1']['high']:5.1f}]    {res['accuracy']:6.2f} [{ci['accuracy']['low']:5.1f}, "
                      f"{ci['accuracy']['high']:5.1f}]    {dist}")
            golds = results["base"]["tasks"][task]["rows"]["gold"]
            d = comparison[task]["weighted_f1"]
            row["difference"] = d
            row["majority_f1"] = majority_f1(golds, get_task(task).labels)
            row["gold"] = dict(Counter(golds).most_common())
            print(f"{task:<9} adapter - base {d['difference']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]: {d['verdict']}; "
                  f"majority class {row['majority_f1']:.2f}; gold {row['gold']}")
            row["explanation"] = explanation_report(task, results, comparison)
            report["tasks"][task] = row
        train_cfg = load_config(adapter_dir / "phyassist_config.yaml") if args.adapter else cfg
        for task, entry in tfidf_baseline(train_cfg, tasks, results["adapter"]).items():
            report["tasks"][task]["tfidf_baseline"] = entry
        from phyassist.io import write_json

        write_json(out / "quality.json", report)
        print(f"wrote {out / 'quality.json'}")
        return 0

    return exit_code("quality.py", run)


if __name__ == "__main__":
    sys.exit(main())
