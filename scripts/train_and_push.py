"""Train an adapter, evaluate it against its base, write its model card and push it to the Hub.

    python scripts/train_and_push.py --dataset MultiWD
    python scripts/train_and_push.py --dataset MultiWD --repo_id ORG/NAME --private
    python scripts/train_and_push.py --dataset MultiWD --dry_run --max_steps 2 --eval_limit 8
    python scripts/train_and_push.py --dataset MultiWD --lora_r 8 --learning_rate 1e-4   # any `phyassist train` flag
    python scripts/train_and_push.py --config my_publish.yaml

The same command as `phyassist publish`, with the same flags (every `PublishConfig` field and every
`phyassist train` flag, dashes or underscores; `--help` lists them; training fields not given come from
the base's recipe). Without a token (HF_TOKEN or `hf auth login`), or with --dry-run,
everything is staged under OUTPUT_DIR/hub and the command to push it later is printed; that is a
success (exit 0). A failed push keeps the staged folder and prints how to retry (exit 1); a user
mistake is one line and exit 2. The logic is in phyassist.hub.publish.
"""

from __future__ import annotations

import sys

from phyassist.cli import script_main


def main(argv: list[str] | None = None) -> int:
    return script_main("publish", "train_and_push.py", argv)


if __name__ == "__main__":
    sys.exit(main())
