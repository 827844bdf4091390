"""The child process: builds the context once and runs its sections in order, rewriting the report
after each; it asks for a fresh process when a CUDA error leaves the context unusable."""

from __future__ import annotations

import json
import logging
import time
import traceback
from pathlib import Path

from phyassist.io import write_json

from .bartscore import section_bartscore
from .context import MIN_LEFT_S, Context, one_line
from .generation import section_generation
from .mixtral import section_mixtral
from .peak import section_peak
from .qlora import section_qlora
from .report import skip
from .space import section_space

logger = logging.getLogger("gpu_check")


SECTION_FUNCS = {"peak": section_peak, "qlora": section_qlora, "mixtral": section_mixtral,
                 "generation": section_generation,
                 "bartscore": section_bartscore, "space": section_space}


def child_main(args) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    out = Path(args.out)
    report = json.loads(out.read_text())
    ctx = Context(args)
    ctx.report = report
    report["machine"].update(ctx.machine())
    for name in args.sections:
        if ctx.left() < MIN_LEFT_S:
            report["sections"][name] = skip(f"skipped: the {report['budget_seconds']:.0f} s time budget was spent "
                                            "before this section")
            write_json(out, report)
            continue
        report["sections"][name] = {"status": "running", "started_at": time.time()}
        write_json(out, report)
        logger.info("section %s (%.0f s of budget left)", name, ctx.left())
        if ctx.cuda:
            ctx.torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        entry: dict = {}
        try:
            if args.device == "cuda" and not ctx.cuda_available:
                raise RuntimeError(f"--device cuda, but torch {ctx.torch.__version__} sees no CUDA device")
            res = SECTION_FUNCS[name](ctx)
            failed = [k for k, v in res.checks.items() if not v["passed"]]
            entry = {"status": "error" if failed else "ok", "line": res.line, "figures": res.figures,
                     "checks": res.checks, "targets": res.targets, "skipped_items": res.skipped_items,
                     "notes": res.notes}
            if res.skipped:  # the section does not run on this machine, and says why
                entry = skip(res.skipped)
            elif failed:
                entry["message"] = "check failed: " + "; ".join(
                    k + (f" ({res.checks[k]['detail']})" if "detail" in res.checks[k] else "") for k in failed)
        except Exception as e:  # noqa: BLE001 - each section fails on its own
            traceback.print_exc()
            entry = {"status": "error", "message": one_line(e)}
        entry["seconds"] = round(time.perf_counter() - start, 1)
        if ctx.cuda:
            entry["peak_gpu_gib"] = round(ctx.torch.cuda.max_memory_allocated() / 2**30, 3)
        report["sections"][name] = entry
        write_json(out, report)
        logger.info("section %s: %s in %.1f s %s", name, entry["status"], entry["seconds"],
                    entry.get("message") or entry.get("line", ""))
        ctx.free()
        if entry["status"] == "error" and ctx.cuda and not cuda_usable(ctx.torch):
            logger.warning("the CUDA context is broken (a sticky error); a fresh process takes the other sections")
            return RESTART
    return 0


RESTART = 3  # the parent starts a fresh child for the sections left


def cuda_usable(torch) -> bool:
    """False after a sticky CUDA error (illegal address, device-side assert): every later kernel fails."""
    try:
        (torch.ones(1, device="cuda") + 1).item()
        torch.cuda.synchronize()
        return True
    except Exception:  # noqa: BLE001 - any failure here means the context is gone
        return False
