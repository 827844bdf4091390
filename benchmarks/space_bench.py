"""Space benchmarks: adapter switching, time to first token, memory of many adapters.

    python benchmarks/space_bench.py                       # all, on the embedded SmolLM2 (CPU)
    python benchmarks/space_bench.py --only switch,memory  # a subset

- switch: ``set_adapter`` on one PeftModel holding 5 adapters, against the seed's way (load the base
  and then the adapter with ``PeftModel.from_pretrained``), same adapters, same process. Target >= 100x.
- ttft: time to the first streamed text of a chat reply on the embedded base (CPU), median of runs.
- memory: bytes of parameters of the base plus 5 adapters (r=8 on all the preset's target modules)
  against the base alone, and the process RSS growth while loading them. Target <= 1.1x.
- the crisis screen has its own benchmark: ``benchmarks/crisis_bench.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO / "tests"))  # tiny_adapters.py, last so that nothing there shadows a module
FIXTURES = REPO / "tests" / "fixtures"
N_ADAPTERS = 5


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_adapters(base_dir: Path, out: Path, n: int = N_ADAPTERS, r: int = 8) -> dict[str, str]:
    """n LoRA adapters (random non-zero weights) on the preset's target modules, saved like training does."""
    from tiny_adapters import save_lora_adapter

    from phyassist.models import PRESETS

    preset = PRESETS["smollm2-135m-instruct"]
    return {f"adapter{i}": str(save_lora_adapter(base_dir, out / f"adapter{i}", seed=i, r=r, alpha=2 * r,
                                                 targets=preset.lora_target_modules, random_init=True,
                                                 hub_id=preset.hub_id))
            for i in range(n)}


def param_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def bench_memory_and_switch(base_dir: Path, adapters: dict[str, str], only: set[str]) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from phyassist.serve.bank import AdapterBank

    rss0 = rss_mib()
    base = AutoModelForCausalLM.from_pretrained(base_dir)
    base_bytes, rss_base = param_bytes(base), rss_mib()
    del base
    bank = AdapterBank.load("smollm2-135m-instruct", adapters)
    assert bank.names == list(adapters), bank.failed
    bank_bytes, rss_bank = param_bytes(bank.model), rss_mib()
    if "memory" in only:
        print(f"memory: base alone {base_bytes / 2**20:.1f} MiB of parameters; base + {len(adapters)} adapters "
              f"{bank_bytes / 2**20:.1f} MiB -> ratio {bank_bytes / base_bytes:.3f}x (target <= 1.1x)")
        print(f"memory: process RSS +{rss_base - rss0:.0f} MiB after the base, +{rss_bank - rss0:.0f} MiB after "
              f"the bank (base loaded again + {len(adapters)} adapters; allocator reuse makes RSS approximate)")
    if "switch" not in only:
        return
    names = list(adapters)
    ids = torch.tensor([[1, 2, 3]])
    switch_times, peft_times = [], []
    for i in range(200):
        start = time.perf_counter()
        bank.set_adapter(names[i % len(names)])
        switch_times.append(time.perf_counter() - start)
    with torch.no_grad():  # the switched adapter is really the one used
        ours_logits = bank.model(input_ids=ids).logits
    for i in range(50):
        start = time.perf_counter()
        bank.model.set_adapter(names[i % len(names)])
        peft_times.append(time.perf_counter() - start)
    with torch.no_grad():
        assert torch.equal(bank.model(input_ids=ids).logits, ours_logits)  # same adapter, same outputs
    reload_times = []
    for i in range(3):
        start = time.perf_counter()
        model = AutoModelForCausalLM.from_pretrained(base_dir)
        model = PeftModel.from_pretrained(model, adapters[names[i % len(names)]])
        reload_times.append(time.perf_counter() - start)
        del model
    ours, seed = statistics.median(switch_times), statistics.median(reload_times)
    peft = statistics.median(peft_times)
    print(f"switch: reload base+adapter (seed's way) median {seed * 1e3:.0f} ms (3 loads)")
    print(f"switch: AdapterBank.set_adapter median {ours * 1e6:.0f} us (200 switches) -> {seed / ours:,.0f}x faster "
          f"(target >= 100x)")
    print(f"switch: PeftModel.set_adapter median {peft * 1e3:.1f} ms (50 switches; walks all modules, toggles "
          f"requires_grad) -> {seed / peft:,.0f}x faster")


def bench_ttft(runs: int = 5) -> None:
    from phyassist.serve.bank import AdapterBank
    from phyassist.serve.chat import (
        Sampling,
        chat_input_ids,
        chat_messages,
        stream_generate,
    )

    bank = AdapterBank.load("smollm2-135m-instruct", {})
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "I have trouble sleeping before exams. Any advice?"))
    firsts, rates = [], []
    for _ in range(runs):
        start = time.perf_counter()
        first, n = None, 0
        for n, _text in enumerate(stream_generate(bank, None, ids, Sampling.clamped(temperature=0, max_new_tokens=32)), 1):
            first = first or time.perf_counter() - start
        firsts.append(first)
        rates.append(n / (time.perf_counter() - start))
    print(f"ttft: embedded SmolLM2 on CPU, prompt {ids.shape[-1]} tokens: median time to first token "
          f"{statistics.median(firsts) * 1e3:.0f} ms over {runs} runs (min {min(firsts) * 1e3:.0f} ms); "
          f"~{statistics.median(rates):.1f} streamed chunks/s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="switch,memory,ttft", help="comma-separated subset")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    only = set(args.only.split(","))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if only & {"switch", "memory"}:
        from phyassist.models import embedded_model_dir

        base_dir = embedded_model_dir()
        with tempfile.TemporaryDirectory() as tmp:
            bench_memory_and_switch(base_dir, make_adapters(base_dir, Path(tmp)), only)
    if "ttft" in only:
        bench_ttft()
    return 0


if __name__ == "__main__":
    sys.exit(main())
