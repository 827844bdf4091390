"""Publish the IMHI metric: the label classifiers (a tagged model repo), then the `evaluate` module (a Space).

    phyassist labels build --out out/label-classifiers
    pip wheel --no-deps -w dist .                                               # the wheel the Space installs
    python scripts/push_metric.py --classifiers out/label-classifiers --wheel dist/phyassist-0.1.0-py3-none-any.whl
    python scripts/push_metric.py --skip-classifiers --repo-id ORG/imhi --private --wheel dist/phyassist-0.1.0-py3-none-any.whl

Needs a token (HF_TOKEN or `hf auth login`). The classifiers are checked against their manifest before
they are pushed; an existing tag is never moved. phyassist is not on PyPI: the wheel goes into the Space,
whose requirements.txt installs it from there. The work is phyassist.hub.metric's.
"""

from __future__ import annotations

import sys

from phyassist.cli import run_script
from phyassist.hub.metric import MetricPushConfig, main

if __name__ == "__main__":
    sys.exit(run_script(MetricPushConfig, main, "push_metric.py", __doc__.splitlines()[0]))
