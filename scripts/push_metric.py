"""Push the `evaluate` module metrics/imhi to the Hub as a Space, so `evaluate.load("ORG/imhi")` works.

    python scripts/push_metric.py                       # -> phyassist/imhi
    python scripts/push_metric.py --repo-id ORG/imhi --private

Needs a token (HF_TOKEN or `hf auth login`). The folder is pushed as it is (imhi.py, README.md metric
card with Space front matter, app.py, requirements.txt); the push code is phyassist.hub.push's.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from phyassist.errors import UserError, exit_code
from phyassist.hub.push import push_folder

logger = logging.getLogger("push_metric")
METRIC_DIR = Path(__file__).resolve().parents[1] / "metrics" / "imhi"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", default=str(METRIC_DIR), help="metric module folder (default metrics/imhi)")
    p.add_argument("--repo-id", default="phyassist/imhi", help="Space to create or update, ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the Space private")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return exit_code("push_metric", lambda: push(args))


def push(args: argparse.Namespace) -> int:
    logger.info("Pushing %s to the Space %s", args.folder, args.repo_id)
    folder = Path(args.folder)
    for name in ("imhi.py", "README.md", "app.py", "requirements.txt"):
        if not (folder / name).exists():
            raise UserError(f"{folder / name} is missing; expected an evaluate module folder")
    url = push_folder(folder, args.repo_id, repo_type="space", private=args.private,
                      commit_message="Upload the IMHI evaluate module")
    print(f"Pushed {folder} to {url}; load it with evaluate.load({args.repo_id!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
