"""Section peak: the dense matmul rate measured in this run (bf16, fp32, and TF32 on CUDA), the
denominator of the qlora section's MFU."""

from __future__ import annotations

from .context import Result, fp32_precision, timed


def matmul_tflops(ctx, n: int, dtype, reps: int) -> float:
    torch = ctx.torch
    a = torch.randn(n, n, device=ctx.device, dtype=dtype)
    b = torch.randn(n, n, device=ctx.device, dtype=dtype)
    for _ in range(2):
        a @ b
    c = torch.empty_like(a)
    _, seconds = timed(ctx, lambda: [torch.matmul(a, b, out=c) for _ in range(reps)])
    return 2 * n**3 * reps / seconds / 1e12


def section_peak(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    arms = [("bf16", torch.bfloat16, "highest"), ("fp32", torch.float32, "highest")]
    if ctx.cuda:
        arms.append(("tf32", torch.float32, "high"))
    else:
        res.skipped_items["tf32"] = "skipped: no CUDA"
    for label, dtype, mode in arms:
        with fp32_precision(torch, mode):
            rates = {n: matmul_tflops(ctx, n, dtype, s.reps) for n in s.matmul}
        best = max(rates, key=rates.get)
        res.figures[f"{label}_tflops"] = round(rates[best], 3)
        res.figures[f"{label}_n"] = best
        res.check(f"{label} rate positive", rates[best] > 0)
    res.figures["method"] = (f"best of n in {list(s.matmul)}: 2 warm-up then {s.reps} timed n x n matmuls, "
                             "synchronised" + ("" if ctx.cuda else f", {torch.get_num_threads()} CPU threads"))
    res.line = ", ".join(f"{k[:-7]} {v:.1f} TFLOP/s" if v >= 1 else f"{k[:-7]} {v * 1e3:.0f} GFLOP/s"
                         for k, v in res.figures.items() if k.endswith("_tflops"))
    return res
