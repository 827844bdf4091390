"""Counseling benchmark: base against adapter on held-out counsel-chat answers, and the crisis screen.

    PHYASSIST_DATA_DIR=../shared/data python benchmarks/counsel_nll.py --adapter runs/counsel/adapter
    PHYASSIST_DATA_DIR=../shared/data python benchmarks/counsel_nll.py --recipe lora --set answer_max_words=null \
        --name counsel-whole

``--adapter DIR`` scores an adapter already trained; otherwise one is trained on counsel-chat with
``--recipe`` (a recipe of the base, ``recipes/<preset>/<NAME>.yaml``, or a YAML path) and ``--set KEY=VALUE``
overrides, as ``quality.py`` does. Both models score every answer token of every therapist answer to
the held-out test questions (``phyassist.evaluation.counsel_run``; ``--limit``: a seeded sample of that
many questions). Printed (``counsel_run.markdown``): each model's NLL per answer token and perplexity
with 95% intervals (bootstrap over questions), the paired adapter - base NLL interval and verdict (lower
is better), the crisis screen's rate on ``--replies`` generated replies, and the rows skipped per reason.
Everything goes to ``<out>/counsel_nll.json``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from quality import REPO, adapter_folder, named_recipe, parse_sets


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--adapter", default=None, help="score this trained adapter folder instead of training one")
    p.add_argument("--recipe", default="lora", help="recipe name of the base (recipes/<preset>/NAME.yaml) or a path")
    p.add_argument("--base-model", default="smollm2-135m-instruct")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe key")
    p.add_argument("--limit", type=int, default=None, help="held-out questions (seeded sample); default all")
    p.add_argument("--replies", type=int, default=20, help="generated replies for the crisis screen (0: none)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--name", default=None, help="run name (default: the recipe name, or the adapter folder's)")
    p.add_argument("--out", default=None, help="default runs/counsel/<name>")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from phyassist.data.loading import COUNSEL_CHAT
    from phyassist.errors import exit_code
    from phyassist.evaluation.counsel_run import markdown
    from phyassist.evaluation.run import EvalConfig, run_eval
    from phyassist.io import write_json

    def run() -> int:
        times, overrides = {}, parse_sets(args.set)
        if args.adapter:
            adapter_dir = adapter_folder("counsel_nll.py", args.adapter)
            name, recipe = args.name or adapter_dir.name, None
            out = Path(args.out or REPO / "runs" / "counsel" / name)
        else:
            from phyassist.train.config import load_config
            from phyassist.train.trainer import train

            recipe = named_recipe("counsel_nll.py", args.recipe, args.base_model)
            name = args.name or recipe.stem
            out = Path(args.out or REPO / "runs" / "counsel" / name)
            cfg = load_config(recipe, dataset=COUNSEL_CHAT, base_model=args.base_model,
                              output_dir=str(out / "adapter"), **overrides)
            start = time.perf_counter()
            adapter_dir = Path(train(cfg).output_dir)
            times["train_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        results = run_eval(EvalConfig(adapter=str(adapter_dir), datasets=[COUNSEL_CHAT], limit=args.limit,
                                      out_dir=str(out / "eval"), max_new_tokens=args.max_new_tokens,
                                      batch_size=args.batch_size, counsel_replies=args.replies,
                                      sample_seed=args.sample_seed))
        times["eval_s"] = round(time.perf_counter() - start, 1)
        c = results["counseling"]
        print(f"\n{name}: adapter {adapter_dir}" + (f", recipe {recipe} {overrides or ''}" if recipe else "")
              + "; " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
        print(markdown(results))
        report = {"name": name, "adapter": str(adapter_dir), "recipe": str(recipe) if recipe else None,
                  "overrides": overrides, "model": results["model"], "times": times, "counseling": c}
        write_json(out / "counsel_nll.json", report)
        print(f"wrote {out / 'counsel_nll.json'}")
        return 0

    return exit_code("counsel_nll.py", run)


if __name__ == "__main__":
    sys.exit(main())
