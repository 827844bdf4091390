"""Publish the IMHI test sets as a Hub benchmark dataset (configs per task, eval.yaml, dataset card), tagged.

    python scripts/push_benchmark.py --dry-run --output-dir outputs/imhi-benchmark   # stage only
    python scripts/push_benchmark.py                                                  # -> phyassist/IMHI@v1
    python scripts/push_benchmark.py --repo-id ORG/IMHI --private --data-dir ../shared/data

Reads the release from PHYASSIST_DATA_DIR (or --data-dir); test and training files missing from that copy
are reported and skipped. Until eval.yaml's evaluation_framework is in the Hub's list it says in one line that
the Hub shows no scores yet, and what registering takes. Pushing needs a token (HF_TOKEN or `hf auth login`)
and files identical to the pinned MentalLLaMA release; an existing tag is never moved. The work is phyassist.hub.benchmark's.
"""

from __future__ import annotations

import sys

from phyassist.cli import run_script
from phyassist.hub.benchmark import BenchmarkPushConfig, main

if __name__ == "__main__":
    sys.exit(run_script(BenchmarkPushConfig, main, "push_benchmark.py", __doc__.splitlines()[0]))
