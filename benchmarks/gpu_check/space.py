"""Section space: the Space's ``AdapterBank`` with a tiny Mixtral base in 4 bits and five adapters:
switch time, memory of the bank against the base alone, and a streamed reply with each adapter."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from .context import Result, one_line


def make_adapters(ctx, base: Path, n: int = 5) -> dict[str, str]:
    """n LoRA adapters (r=8, random non-zero weights) on the base's default targets, saved as training does."""
    from tiny_adapters import save_lora_adapter  # the checkout's tests/ folder (see context.REPO)

    from phyassist.models import resolve_base

    preset = resolve_base(str(base))
    out = {}
    for i in range(n):
        folder = ctx.tmp / "adapters" / f"adapter{i}"
        if not (folder / "adapter_config.json").exists():
            save_lora_adapter(base, folder, seed=i, r=8, alpha=16, targets=preset.lora_target_modules,
                              random_init=True, hub_id=preset.hub_id)
        out[f"adapter{i}"] = str(folder)
    return out


def section_space(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    import bitsandbytes as bnb

    from phyassist.serve.bank import AdapterBank
    from phyassist.serve.chat import Sampling, chat_input_ids, chat_messages, stream_generate

    base = ctx.tiny_mixtral()
    adapters = make_adapters(ctx, base)
    quantize = True
    ctx.free()

    def allocated():
        return torch.cuda.memory_allocated() if ctx.cuda else 0

    m0 = allocated()
    try:
        alone = AdapterBank.load(str(base), {}, quantize=quantize)
    except Exception as e:  # CPU 4-bit unsupported here: the bank in full precision
        if ctx.cuda:
            raise
        quantize = False
        res.notes.append(f"4-bit base failed on this CPU ({one_line(e)}); full precision instead")
        alone = AdapterBank.load(str(base), {}, quantize=False)
    base_bytes, base_footprint = allocated() - m0, alone.model.get_memory_footprint()
    del alone
    ctx.free()
    m0 = allocated()
    bank = AdapterBank.load(str(base), adapters, quantize=quantize)
    bank_bytes, bank_footprint = allocated() - m0, bank.model.get_memory_footprint()
    four_bit = sum(isinstance(m, bnb.nn.Linear4bit) for m in bank.model.modules())
    res.check("all 5 adapters loaded", bank.names == list(adapters), bank.failed or None)
    res.check("base in 4 bits" if quantize else "base loaded", four_bit > 0 if quantize else True)
    res.figures.update(base="tiny random Mixtral", quantized_4bit=quantize, linear4bit_modules=four_bit,
                       adapters=len(bank.names), footprint_base_mib=round(base_footprint / 2**20, 2),
                       footprint_bank_mib=round(bank_footprint / 2**20, 2),
                       footprint_ratio=round(bank_footprint / base_footprint, 4))
    if ctx.cuda:
        res.figures.update(gpu_mem_base_mib=round(base_bytes / 2**20, 2), gpu_mem_bank_mib=round(bank_bytes / 2**20, 2),
                           gpu_mem_ratio=round(bank_bytes / base_bytes, 4) if base_bytes else None)
    else:
        res.skipped_items["GPU memory"] = "skipped: no CUDA (parameter footprint reported instead)"
    names = bank.names
    for name in names:  # first calls
        bank.set_adapter(name)
    switch = []
    for i in range(s.switches):
        start = time.perf_counter()
        bank.set_adapter(names[i % len(names)])
        switch.append(time.perf_counter() - start)
    peft_switch = []
    for i in range(10):
        start = time.perf_counter()
        bank.model.set_adapter(names[i % len(names)])
        peft_switch.append(time.perf_counter() - start)
    bank.model.requires_grad_(False)  # peft's set_adapter turns gradients back on
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "I have trouble sleeping before exams. Any advice?"))
    last = {}
    with torch.inference_mode():
        for name in [None, *names]:
            with bank.use(name) as model:
                last[name] = model(input_ids=ids.to(model.device)).logits[0, -1].float().cpu()
    differ = sum(not torch.equal(last[None], last[n]) for n in names)
    res.check("each adapter changes the logits", differ == len(names), f"{differ}/{len(names)}")
    replies = {}
    for name in [None, *names]:
        start = time.perf_counter()
        text = ""
        for text in stream_generate(bank, name, ids, Sampling.clamped(temperature=0, max_new_tokens=s.space_tokens)):
            pass
        replies[name or "base"] = {"chars": len(text), "seconds": round(time.perf_counter() - start, 3)}
    res.check("a streamed reply with the base and each adapter", len(replies) == len(names) + 1)
    res.figures.update(switch_median_us=round(statistics.median(switch) * 1e6, 1), switches=len(switch),
                       peft_set_adapter_median_ms=round(statistics.median(peft_switch) * 1e3, 2),
                       replies=replies, reply_tokens=s.space_tokens)
    mem = (f"GPU memory bank/base {res.figures['gpu_mem_ratio']:.3f}x" if ctx.cuda and res.figures.get("gpu_mem_ratio")
           else f"footprint bank/base {res.figures['footprint_ratio']:.3f}x")
    res.line = (f"{'4-bit' if quantize else 'full-precision'} base + {len(names)} adapters; switch median "
                f"{res.figures['switch_median_us']:.0f} us; {mem}; {len(replies)} replies")
    return res
