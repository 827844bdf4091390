"""Time the default `scripts/train_and_push.py` run (embedded base, CPU) against its 15-minute target.

    nice -n 5 python benchmarks/train_and_push_time.py                     # default run, --dry-run
    python benchmarks/train_and_push_time.py --max-steps 2 --eval-limit 8  # quick check of the script

Runs the script exactly as a user would (in a subprocess, no token, --dry-run so nothing is pushed),
prints the per-phase times the script reports, the total wall time, the load average before and
after (other work on the machine slows it down) and the ratio to the 900 s target. The target is an
absolute budget, so there is no baseline to run beside it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 15 * 60


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="MultiWD")
    parser.add_argument("--max-steps", default=None)
    parser.add_argument("--eval-limit", default=None)
    args = parser.parse_args(argv)
    cmd = [sys.executable, str(REPO / "scripts" / "train_and_push.py"), "--dataset", args.dataset, "--dry-run"]
    for flag, value in (("--max-steps", args.max_steps), ("--eval-limit", args.eval_limit)):
        if value is not None:
            cmd += [flag, str(value)]
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    with tempfile.TemporaryDirectory() as tmp:
        cmd += ["--output-dir", str(Path(tmp) / "run")]
        print("command:", " ".join(cmd[1:]))
        print(f"load average before: {load()} ({os.cpu_count()} CPUs)")
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - start
    print(f"load average after:  {load()}")
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        print(f"FAILED with exit code {proc.returncode} after {wall:.0f} s")
        return 1
    phases = next((line for line in proc.stdout.splitlines() if line.startswith("time (s):")), "time (s): ?")
    print(phases)
    print(f"wall time {wall:.0f} s = {wall / 60:.1f} min; target {TARGET_S} s; ratio {wall / TARGET_S:.2f} "
          f"({'within' if wall <= TARGET_S else 'OVER'} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
