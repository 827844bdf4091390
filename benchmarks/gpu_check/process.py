"""The parent's side of the child process: its environment (offline, caches in the temporary folder),
starting it on the sections left, stopping it at the budget's hard stop, and saying how it died."""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .context import REPO


GRACE_S = 30  # a child still running this long after the budget is stopped


def child_env(tmp: Path, data: Path) -> dict:
    """Offline, and every cache inside the temporary folder."""
    env = dict(os.environ)
    from phyassist.io import cache_dir

    env.setdefault("GPU_CHECK_USER_CACHE", str(cache_dir()))  # read-only: an embedded base converted before
    env.update(
        HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
        HF_DATASETS_DISABLE_PROGRESS_BARS="1", TOKENIZERS_PARALLELISM="false", PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1", PHYASSIST_DATA_DIR=str(data), PHYASSIST_CACHE=str(tmp / "cache"),
        HF_HOME=str(tmp / "hf"), XDG_CACHE_HOME=str(tmp / "xdg"), MPLCONFIGDIR=str(tmp / "mpl"),
        TRITON_CACHE_DIR=str(tmp / "triton"), TORCHINDUCTOR_CACHE_DIR=str(tmp / "inductor"),
        CUDA_CACHE_PATH=str(tmp / "nv"), PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def run_child(args, sections, tmp: Path, deadline: float, env: dict) -> tuple[int | None, list[str]]:
    """Run ``sections`` in a child; (exit code or None when stopped for the budget, last stderr lines)."""
    cmd = [sys.executable, str(Path(__file__).resolve().parent), "--out", args.out, "--sections", ",".join(sections),
           "--device", args.device, "--child-tmp", str(tmp), "--child-deadline", str(deadline)]
    if args.quick:
        cmd.append("--quick")
    tail: collections.deque = collections.deque(maxlen=15)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)

    def tee():
        for line in proc.stderr:
            sys.stderr.write(line)
            if line.strip():
                tail.append(line.rstrip())

    reader = threading.Thread(target=tee, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=max(1.0, deadline + GRACE_S - time.time()))
    except subprocess.TimeoutExpired:
        rc = None
        stop(proc)
    except BaseException:  # Ctrl-C reaches only this process (the child has its own session)
        stop(proc)
        raise
    reader.join(timeout=5)
    return rc, list(tail)


def stop(proc) -> None:
    """End the child and everything it started (its own process group), politely first."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
            return


def death_message(rc: int | None, tail: list[str], budget: float, when: str) -> str:
    if rc is None:
        return f"stopped: still running {GRACE_S} s after the {budget:.0f} s budget ran out"
    try:
        how = f"killed by signal {signal.Signals(-rc).name}" if rc < 0 else f"exited with code {rc}"
    except ValueError:
        how = f"killed by signal {-rc}"
    last = next((line for line in reversed(tail) if not line.startswith(" ")), "")
    return f"the check process {how} {when}" + (f"; its last stderr line: {last[:240]}" if last else "")
