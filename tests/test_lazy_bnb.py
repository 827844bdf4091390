"""bitsandbytes stays unloaded on a 16-bit LoRA run; a 4-bit run loads it and explains its kernel warnings once.

The runs go through ``phyassist train`` in a subprocess (the command owns its process, as on a real run, and
no other test's imports leak in)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TINY

from phyassist import lazy_bnb

# prints what the process holds once `phyassist train` is done
PROBE = """
import json, sys
from phyassist import cli
sys.argv = ["phyassist", "train", *sys.argv[1:]]
rc = cli.main()
print("STATE " + json.dumps({"rc": rc, "bitsandbytes": repr(sys.modules.get("bitsandbytes")),
                             "modules": sorted(m for m in sys.modules if m.startswith("bitsandbytes."))}))
"""


def _train(base: Path, out: Path, data_dir: Path, *flags: str) -> tuple[dict, str]:
    settings = {**TINY, "max_steps": 1, "base_model": str(base), "output_dir": str(out)}
    argv = [f"--{k}={v}" for k, v in settings.items()] + list(flags)
    env = dict(os.environ, PHYASSIST_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env,
                          timeout=600, cwd=out.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(proc.stdout.split("STATE ", 1)[1])
    return state, proc.stderr


def _cpu_flags() -> set[str]:
    try:
        return set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return set()


@pytest.mark.slow
def test_a_lora_run_never_imports_bitsandbytes(tiny_llama_dir, data_dir, tmp_path):
    state, log = _train(tiny_llama_dir, tmp_path / "run", data_dir)
    assert state["rc"] == 0 and (tmp_path / "run" / "adapter_model.safetensors").exists()
    # blocked (None) the whole run, never imported: peft and transformers took it for not installed
    assert state["bitsandbytes"] == "None" and state["modules"] == []
    assert "bitsandbytes" not in log and lazy_bnb.KERNEL_REPO not in log
    first = next(line for line in log.splitlines() if line.strip())
    assert " INFO phyassist.train.hardware: Hardware (" in first, first


@pytest.mark.slow
def test_a_qlora_run_says_what_the_kernel_warnings_mean_in_one_line(tiny_llama_dir, data_dir, tmp_path):
    state, log = _train(tiny_llama_dir, tmp_path / "run", data_dir, "--quantization=nf4")
    assert state["rc"] == 0 and state["bitsandbytes"].startswith("<module 'bitsandbytes'")
    assert not [line for line in log.splitlines() if " WARNING " in line and
                any(name in line for name in lazy_bnb.KERNEL_WARNINGS)]
    notes = log.count(lazy_bnb.KERNEL_NOTE)
    # bitsandbytes looks for the Hub kernel on CPUs with AVX512-BF16 only; offline here, so it warns there
    assert notes == (1 if "avx512_bf16" in _cpu_flags() else 0), log[-3000:]
    assert "QLoRA nf4" in log  # the 4-bit path ran


def test_the_kernel_warnings_become_one_info_line(caplog):
    caplog.set_level(logging.DEBUG)
    with lazy_bnb.kernel_warnings_explained():
        logging.getLogger("kernels._internals.hf_hub").warning(
            "Skipping publisher trust check for 'kernels-community/quantization-bitsandbytes' because Hugging Face "
            "Hub is in offline mode.")
        logging.getLogger("bitsandbytes.backends.cpu.ops").warning(
            "Failed to load CPU gemm_4bit_forward from kernels-community: %s", "offline")
        logging.getLogger("bitsandbytes.backends.cpu.ops").warning("something else")  # not ours to hide
    seen = [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert seen == [("bitsandbytes.backends.cpu.ops", "WARNING", "something else"),
                    ("phyassist.lazy_bnb", "INFO", lazy_bnb.KERNEL_NOTE)]
    # the held-back messages stay readable at DEBUG; outside the context nothing is filtered
    assert sum(r.levelno == logging.DEBUG and r.name == "phyassist.lazy_bnb" for r in caplog.records) == 2
    caplog.clear()
    logging.getLogger("bitsandbytes.backends.cpu.ops").warning("Failed to load CPU gemm_4bit_forward: later")
    assert [r.levelname for r in caplog.records] == ["WARNING"]


# defer, a LoRA model, then load(): what peft and transformers remembered about a missing bitsandbytes is undone
ROUND_TRIP = """
import json, sys
from phyassist import lazy_bnb
assert lazy_bnb.defer() and lazy_bnb.installed()
import peft.helpers
import transformers.integrations.bitsandbytes as tib
from peft import LoraConfig, get_peft_model
from peft.import_utils import is_bnb_4bit_available
from phyassist.models import load_model_and_tokenizer
base = sys.argv[1]
model, _ = load_model_and_tokenizer(base, quantization=None)
get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj"]))
before = [peft.helpers.bnb is None, hasattr(tib, "bnb"), is_bnb_4bit_available(), "bitsandbytes.nn" in sys.modules]
bnb = lazy_bnb.load()
model, _ = load_model_and_tokenizer(base, quantization="nf4")
lora = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj"]))
q = lora.base_model.model.model.layers[0].self_attn.q_proj
after = [peft.helpers.bnb is bnb, tib.bnb is bnb, is_bnb_4bit_available(), type(q).__module__]
print("STATE " + json.dumps({"before": before, "after": after}))
"""


@pytest.mark.slow
def test_load_after_defer_undoes_what_peft_and_transformers_remembered(tiny_llama_dir):
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", ROUND_TRIP, str(tiny_llama_dir)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads(proc.stdout.split("STATE ", 1)[1])
    assert state["before"] == [True, False, False, False]
    # peft's 4-bit LoRA layer wraps the quantized projection: its dispatch saw bitsandbytes again
    assert state["after"] == [True, True, True, "peft.tuners.lora.bnb"]


def test_the_library_state_it_repairs_is_still_there():
    """Fails when transformers or peft rename what ``load()`` resets (then update ``lazy_bnb``)."""
    import importlib

    import bitsandbytes

    for module, function in lazy_bnb.CACHED_ANSWERS:
        assert callable(getattr(getattr(importlib.import_module(module), function), "cache_clear", None)), function
    for module in lazy_bnb.BINDS_BNB:
        assert importlib.import_module(module).bnb is bitsandbytes, module
