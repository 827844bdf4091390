"""The command: flags, the packages each section needs, and the parent's loop that runs the sections in
child processes within the time budget, keeps the JSON report and prints the table."""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from phyassist.io import write_json  # stdlib only: the parent never imports torch

from . import __doc__ as PACKAGE_DOC
from .child import child_main
from .context import MIN_LEFT_S
from .data import find_data
from .process import GRACE_S, child_env, death_message, run_child
from .report import format_table, now_iso, skip


SECTIONS = ("peak", "qlora", "mixtral", "generation", "bartscore", "space")
_MODELS = ["torch", "transformers", "tokenizers", "safetensors", "jinja2"]
NEEDS = {  # import names; pip names differ only for yaml
    "peak": ["torch"],
    "qlora": _MODELS + ["peft", "trl", "accelerate", "bitsandbytes", "datasets", "yaml"],
    "mixtral": _MODELS + ["peft", "trl", "accelerate", "bitsandbytes", "datasets", "yaml"],
    "generation": _MODELS + ["tqdm"],
    "bartscore": _MODELS,
    "space": _MODELS + ["peft", "accelerate", "bitsandbytes", "yaml"],
}
PIP_NAME = {"yaml": "pyyaml"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=PACKAGE_DOC.splitlines()[0])
    p.add_argument("--out", required=True, help="where the JSON report goes (written atomically)")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="tiny models and sizes (what CI runs)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"], help="auto: cuda if available")
    p.add_argument("--budget-seconds", type=float, default=420.0,
                   help="sections not started within this many seconds are skipped; a running one is stopped "
                        f"{GRACE_S} s after it")
    p.add_argument("--data", default=None, help="IMHI data folder (with imhi/), or 'synthetic'")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder (models, runs, data)")
    for hidden in ("--child-tmp", "--child-deadline"):
        p.add_argument(hidden, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or not args.sections:
        p.error(f"--sections: unknown {', '.join(unknown) or '(none given)'}; expected some of {', '.join(SECTIONS)}")
    return args


def missing_packages(names) -> list[str]:
    return sorted({PIP_NAME.get(n, n) for n in names if importlib.util.find_spec(n) is None})


def run(argv=None) -> int:
    args = parse_args(argv)
    if args.child_tmp:
        return child_main(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    start = time.time()
    deadline = start + args.budget_seconds
    out = Path(args.out).expanduser().resolve()
    args.out = str(out)
    tmp = Path(tempfile.mkdtemp(prefix="phyassist-gpu-check-"))
    given = sys.argv[1:] if argv is None else list(argv)
    report = {"command": " ".join(["python", "benchmarks/gpu_check", *given]), "started": now_iso(),
              "budget_seconds": args.budget_seconds, "quick": args.quick, "device_requested": args.device,
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpu_count": os.cpu_count()},
              "sections": {}}
    try:
        data, how = find_data(args.data, tmp)
        report["data"] = how
        missing = {}
        for name in args.sections:
            for pkg in missing_packages(NEEDS[name]):
                missing.setdefault(pkg, []).append(name)
        todo = []
        for name in args.sections:
            lacking = [pkg for pkg, needs in missing.items() if name in needs]
            if lacking:
                report["sections"][name] = {"status": "error", "message": f"missing packages: {', '.join(lacking)}"}
            else:
                todo.append(name)
        if missing:
            report["missing_packages"] = sorted(missing)
            print(f"gpu_check: missing packages: {', '.join(sorted(missing))} (needed by "
                  f"{', '.join(sorted({s for v in missing.values() for s in v}))}); see the docstring of benchmarks/gpu_check/__init__.py "
                  "for installing them on a machine without network", file=sys.stderr)
        write_json(out, report)
        env = child_env(tmp, data)
        while todo:
            if time.time() > deadline - MIN_LEFT_S:
                break
            rc, tail = run_child(args, todo, tmp, deadline, env)
            report = json.loads(out.read_text())
            progressed = any(s in report["sections"] for s in todo)
            for name in todo:
                entry = report["sections"].get(name, {})
                if entry.get("status") == "running":
                    entry.update(status="error", seconds=round(time.time() - entry.pop("started_at", time.time()), 1),
                                 message=death_message(rc, tail, args.budget_seconds, "during this section"))
            todo = [s for s in todo if s not in report["sections"]]
            if rc not in (0, None) and todo and not progressed:  # died before any section: it would again
                message = death_message(rc, tail, args.budget_seconds, "before this section")
                for name in todo:
                    report["sections"][name] = {"status": "error", "message": message}
                todo = []
            write_json(out, report)  # a child that died after some progress: a fresh one takes the rest
        for name in todo:
            report["sections"][name] = skip(f"skipped: the {args.budget_seconds:.0f} s time budget was spent before "
                                            "this section")
    except BaseException as e:  # the summary is printed whatever happened
        report["error"] = f"{type(e).__name__}: {e}"
        if not isinstance(e, Exception):
            raise
    finally:
        report["sections"] = {s: report["sections"][s] for s in SECTIONS if s in report["sections"]}
        counts = collections.Counter(v["status"] for v in report["sections"].values())
        report.update(finished=now_iso(), wall_seconds=round(time.time() - start, 1),
                      summary={k: counts.get(k, 0) for k in ("ok", "error", "skipped")})
        write_json(out, report)
        print(format_table(report, out))
        if not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"temporary folder kept: {tmp}")
    return 1 if report["summary"]["error"] or report.get("error") else 0
