"""Publish the IMHI metric: the label classifiers (a tagged model repo), then the `evaluate` module (a Space).

    phyassist labels build --out out/label-classifiers
    python scripts/push_metric.py --classifiers out/label-classifiers          # -> phyassist/imhi-label-classifiers@v2, phyassist/imhi
    python scripts/push_metric.py --skip-classifiers --repo-id ORG/imhi --private

Needs a token (HF_TOKEN or `hf auth login`). The classifiers are checked against their manifest before
they are pushed; an existing tag is never moved. The work is phyassist.hub.metric's.
"""

from __future__ import annotations

import logging
import sys

from phyassist.config import parse_config
from phyassist.errors import exit_code
from phyassist.hub.metric import MetricPushConfig
from phyassist.hub.metric import main as push_metric


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def run():
        cfg, _ = parse_config(MetricPushConfig, sys.argv[1:] if argv is None else argv, prog="push_metric.py",
                              description=__doc__.splitlines()[0])
        return push_metric(cfg)

    return exit_code("push_metric.py", run)


if __name__ == "__main__":
    sys.exit(main())
