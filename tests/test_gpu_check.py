"""benchmarks/gpu_check on a CPU: the --quick run (what CI can run of it) gives every section ok, the
CUDA-only items skipped with a reason and never passed, sane figures, and writes nothing outside --out
and its temporary folder; the budget, an unknown section and missing packages end in clear lines."""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu_check"  # a folder with __main__.py: `python benchmarks/gpu_check`
SECTIONS = ["peak", "qlora", "mixtral", "generation", "bartscore", "space"]


def _env(tmp_path: Path) -> dict:
    """A fresh HOME and TMPDIR, no cache variables: whatever the script writes outside --out shows up there."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PHYASSIST_CACHE", "XDG_CACHE_HOME", "HF_HOME", "HF_DATASETS_CACHE", "PYTHONPATH")}
    for name in ("home", "tmp"):
        (tmp_path / name).mkdir()
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"), OMP_NUM_THREADS="2")
    return env


def _run(args, tmp_path, timeout=300):
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path, check=False)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One --quick --device cpu run: (report, completed process, seconds, its temp root)."""
    root = tmp_path_factory.mktemp("gpu-check")
    start = time.perf_counter()
    done = _run(["--quick", "--device", "cpu", "--out", str(root / "out" / "gpu_check.json")], root)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((root / "out" / "gpu_check.json").read_text())
    return report, done, seconds, root


@pytest.mark.slow
def test_quick_cpu_run_every_section_ok(quick):
    report, done, seconds, _ = quick
    assert list(report["sections"]) == SECTIONS
    for name, entry in report["sections"].items():
        assert entry["status"] == "ok", (name, entry.get("message"))
        assert entry["seconds"] > 0 and entry["line"]
        assert all(c["passed"] for c in entry["checks"].values()), (name, entry["checks"])
    assert report["machine"]["device"] == "cpu" and report["summary"] == {"ok": 6, "error": 0, "skipped": 0}
    assert "summary: 6 ok, 0 error, 0 skipped" in done.stdout
    assert seconds < 120, f"the quick run took {seconds:.0f} s"


@pytest.mark.slow
def test_quick_cpu_run_skips_cuda_only_items_and_never_passes_them(quick):
    s = quick[0]["sections"]
    assert s["peak"]["skipped_items"]["tf32"] == "skipped: no CUDA" and "tf32_tflops" not in s["peak"]["figures"]
    assert set(s["qlora"]["skipped_items"]) == {"paged optimizer state", "peak GPU memory"}
    assert "paged-adamw" not in s["qlora"]["figures"]
    runs = s["qlora"]["figures"]
    assert "peak_gpu_gib" not in runs["tiny-mixtral"] and "paged_state_tensors" not in runs["tiny-mixtral"]
    assert runs["smollm2"]["status"] == "skipped" and "--quick" in runs["smollm2"]["message"]
    assert s["bartscore"]["skipped_items"]["speedup target (>= 3x)"].startswith("skipped: no CUDA")
    assert "speedup" not in s["bartscore"]["targets"]
    assert s["space"]["skipped_items"]["GPU memory"].startswith("skipped: no CUDA")
    assert s["mixtral"]["skipped_items"] == {"peak GPU memory against the estimate": "skipped: no CUDA"}
    assert not s["mixtral"]["targets"] and "peak_gpu_gib" not in s["mixtral"]["figures"]["slice"]
    assert not [k for k in s["space"]["figures"] if k.startswith("gpu_mem")]
    for entry in s.values():
        assert all(reason.startswith("skipped: ") for reason in entry["skipped_items"].values())


@pytest.mark.slow
def test_quick_cpu_run_figures_are_sane(quick):
    s = quick[0]["sections"]
    peak = s["peak"]["figures"]
    assert peak["bf16_tflops"] > 0 and peak["fp32_tflops"] > 0
    for name in ("tiny-mixtral",):
        run = s["qlora"]["figures"][name]
        assert run["status"] == "ok" and run["tokens_per_s"] > 0 and run["tokens"] > 0
        assert math.isfinite(run["loss_first"]) and math.isfinite(run["loss_last"])
        changed, total = map(int, run["lora_b_changed"].split("/"))
        assert total > 0 and changed == total and run["base_tensors_changed"] == []
        assert run["optimizer"].startswith("paged_adamw_32bit -> bitsandbytes")
        assert run["activation_checkpointing"] and 0 < run["params_in_4bit_fraction"] < 1
        assert 0 < run["mfu_vs_bf16_peak"]
        assert "gate.weight" in run["lora_targets"]
    refused = s["qlora"]["figures"]["tiny-mixtral+experts"]  # LoRA on 4-bit experts: one line, nothing written
    assert refused["status"] == "ok" and "lora_target_parameters" in refused["message"]
    assert "Mixtral recipe builds as written (its lora_dropout 0.05)" in s["qlora"]["targets"]  # met or not
    gen = s["generation"]["figures"]
    assert gen["mismatches"] == 0 and gen["empty_outputs"] < gen["rows"]
    assert gen["ours_samples_per_s"] > 0 and gen["baseline_samples_per_s"] > 0
    bart = s["bartscore"]["figures"]
    assert bart["max_abs_diff"] <= 1e-4 and bart["nan_scores"] == 0 and bart["ours_pairs_per_s"] > 0
    run = s["mixtral"]["figures"]["slice"]
    assert run["recipe"] == "recipes/mixtral-8x7b-instruct/qlora.yaml" and run["tokens_per_s"] > 0
    assert run["linear4bit_modules"] > 0 and run["experts4bit_modules"] == 2  # attention and experts in 4 bits
    assert run["lora_b_changed"].split("/")[0] == run["lora_b_changed"].split("/")[1] != "0"
    # the 4-bit forward is the dequantized weights' forward, far closer than NF4's own error
    assert run["forward_rel_diff"] < 0.2 * run["forward_rel_diff_vs_unquantized"]
    estimate = run["memory_estimate"]  # phyassist.train.memory's, for the run's own config
    assert 0 < estimate["base_gib"] < estimate["total_gib"] and estimate["optimizer_gib"] > 0
    space = s["space"]["figures"]
    assert space["adapters"] == 5 and space["quantized_4bit"] and space["linear4bit_modules"] > 0
    assert space["switch_median_us"] > 0 and len(space["replies"]) == 6
    assert 1 < space["footprint_ratio"] < 2


@pytest.mark.slow
def test_quick_cpu_run_writes_nothing_outside_out_and_its_temp_folder(quick):
    root = quick[3]
    assert not list((root / "home").rglob("*")), "files written under HOME"
    assert not list((root / "tmp").glob("phyassist-gpu-check-*")), "temporary folder left behind"
    assert [p.name for p in (root / "out").iterdir()] == ["gpu_check.json"]


def test_spent_budget_skips_every_section_with_the_reason(tmp_path):
    done = _run(["--quick", "--device", "cpu", "--budget-seconds", "0", "--out", str(tmp_path / "r.json")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "r.json").read_text())
    for entry in report["sections"].values():
        assert entry["status"] == "skipped" and "time budget was spent" in entry["message"]
    assert "summary: 0 ok, 0 error, 6 skipped" in done.stdout


def test_without_cuda_a_full_run_skips_the_real_width_mixtral_slice_with_the_reason(tmp_path):
    done = _run(["--sections", "mixtral", "--device", "cpu", "--out", str(tmp_path / "r.json")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    entry = json.loads((tmp_path / "r.json").read_text())["sections"]["mixtral"]
    assert entry["status"] == "skipped" and entry["message"] == (
        "skipped: no CUDA; the Mixtral slice at real width (2 layers, hidden 4096, 8 experts of 14,336) runs on a "
        "GPU (--quick runs it at a tiny width)")
    assert "summary: 0 ok, 0 error, 1 skipped" in done.stdout


def test_the_real_width_slice_is_mixtral_8x7b_but_its_depth(gpu_check):
    """The slice's shape is Mixtral-8x7B's (transformers' MixtralConfig defaults) at 2 of its 32 layers."""
    from transformers import MixtralConfig

    SCALES = gpu_check.SCALES
    shape = SCALES["cuda"]["slice"]["shape"]
    full = MixtralConfig()
    assert {k: v for k, v in shape.items() if k != "num_hidden_layers"} == {k: getattr(full, k) for k in shape
                                                                            if k != "num_hidden_layers"}
    assert shape["num_hidden_layers"] == 2 and full.num_hidden_layers == 32
    assert SCALES["cpu"]["slice"] is None and SCALES["quick"]["slice"]["shape"]["num_local_experts"] == 8


def test_unknown_section_is_one_line(tmp_path):
    done = _run(["--sections", "peak,warp", "--out", str(tmp_path / "r.json")], tmp_path)
    assert done.returncode == 2
    assert ("error: --sections: unknown warp; expected some of peak, qlora, mixtral, generation, bartscore, space"
            in done.stderr)
    assert not (tmp_path / "r.json").exists()


@pytest.fixture
def gpu_check(monkeypatch):
    """The package's harness and data modules, imported as its entry point imports them (sys.path, the
    bytecode setting and the imported modules restored after)."""
    monkeypatch.setattr(sys, "path", [str(REPO / "benchmarks"), *sys.path])
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in [m for m in sys.modules if m == "gpu_check" or m.startswith("gpu_check.")]:
        monkeypatch.delitem(sys.modules, name)
    harness = importlib.import_module("gpu_check.harness")
    data = importlib.import_module("gpu_check.data")
    context = importlib.import_module("gpu_check.context")
    yield SimpleNamespace(NEEDS=harness.NEEDS, run=harness.run, find_data=data.find_data, SCALES=context.SCALES)
    for name in [m for m in sys.modules if m == "gpu_check" or m.startswith("gpu_check.")]:
        del sys.modules[name]


def test_missing_packages_are_one_line_and_only_their_sections_fail(gpu_check, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(gpu_check.NEEDS, "peak", ["torch", "no_such_package_xyz"])
    monkeypatch.setitem(gpu_check.NEEDS, "bartscore", ["yaml", "no_such_package_xyz"])
    out = tmp_path / "r.json"
    assert gpu_check.run(["--sections", "peak,bartscore", "--out", str(out), "--data", "synthetic"]) == 1
    err = capsys.readouterr().err
    assert "gpu_check: missing packages: no_such_package_xyz (needed by bartscore, peak)" in err
    report = json.loads(out.read_text())
    assert {s: e["message"] for s, e in report["sections"].items()} == {
        "peak": "missing packages: no_such_package_xyz", "bartscore": "missing packages: no_such_package_xyz"}


def test_synthetic_data_has_the_release_layout_and_labels(gpu_check, monkeypatch, tmp_path):
    from phyassist.data.loading import load_imhi

    folder, how = gpu_check.find_data("synthetic", tmp_path)
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(folder))
    val, test = load_imhi("MultiWD", "validation"), load_imhi("MultiWD", "test")
    assert how.startswith("synthetic") and len(val) == 400 and len(test) == 300
    assert {r["label"] for r in val + test} == {"yes", "no"}
