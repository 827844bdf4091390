"""Train an adapter, evaluate it against its base, write its model card and push it to the Hub.

    python scripts/train_and_push.py --dataset MultiWD
    python scripts/train_and_push.py --dataset MultiWD --repo-id ORG/NAME --private
    python scripts/train_and_push.py --dataset MultiWD --dry-run --max-steps 2 --eval-limit 8

Without a token (HF_TOKEN or `hf auth login`), or with --dry-run, everything is staged under
OUTPUT_DIR/hub and the command to push it later is printed; that is a success (exit 0). A failed
push keeps the staged folder and prints how to retry (exit 1). The logic is in phyassist.publish.
"""

from __future__ import annotations

import argparse
import logging
import sys

from phyassist.errors import UserError
from phyassist.hub import PushError
from phyassist.models import DEFAULT_BASE
from phyassist.publish import DEFAULT_CPU_EVAL_LIMIT, PublishConfig, publish

logger = logging.getLogger("train_and_push")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="IMHI task (e.g. MultiWD), mixture (final, all) or counsel-chat")
    p.add_argument("--base-model", default=DEFAULT_BASE, help=f"preset, Hub id or model folder (default {DEFAULT_BASE})")
    p.add_argument("--repo-id", default=None, help="ORG/NAME (default <your user>/phyassist-<base>-<dataset>)")
    p.add_argument("--private", action="store_true", help="create the repo private")
    p.add_argument("--max-steps", type=int, default=None, help="training steps (default: the base's recipe, 60 for the embedded base, "
                   "else the training default)")
    p.add_argument("--eval-limit", type=int, default=None,
                   help=f"test rows per task for base and adapter (default {DEFAULT_CPU_EVAL_LIMIT} on a CPU, "
                   "all on a GPU; 0 = all)")
    p.add_argument("--output-dir", default=None, help="default outputs/phyassist-<base>-<dataset>")
    p.add_argument("--dry-run", action="store_true", help="stage everything, push nothing")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        cfg = PublishConfig(dataset=args.dataset, base_model=args.base_model, repo_id=args.repo_id,
                            private=args.private, max_steps=args.max_steps, eval_limit=args.eval_limit,
                            output_dir=args.output_dir, dry_run=args.dry_run)
        logger.info("Config: %s", cfg)
        result = publish(cfg)
    except UserError as e:
        print(f"train_and_push: error: {e}", file=sys.stderr)
        return 2
    except PushError as e:
        print(f"train_and_push: error: {e}", file=sys.stderr)
        return 1
    print("time (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items())
          + f", total {sum(result.timings.values()):.1f}")
    if result.url:
        print(f"Pushed to {result.url}")
        return 0
    print(f"Staged {result.stage_dir} (not pushed: {result.reason}).")
    if result.repo_id.startswith("your-username/"):
        print("Replace your-username with your Hub user or org (or re-run with --repo-id so the card's "
              "quick start names the right repo).")
    print(f"To push it later, run:\n  {result.push_command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
