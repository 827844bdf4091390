"""What ``phyassist eval`` feeds the model: test posts with their mojibake repaired (as training rows are),
and the weights' dtype (``--dtype``: auto follows the hardware's bf16)."""

from __future__ import annotations

import pytest
import torch

from phyassist.errors import UserError
from phyassist.evaluation.run import EvalConfig, eval_dtype, load_for_eval, load_tasks
from phyassist.models import cpu_has_bf16

MOJIBAKE = "\u201a\u00c4\u00f4"  # a right single quote's UTF-8 bytes read as Mac Roman


def test_test_posts_are_repaired_as_training_rows_are(data_dir, monkeypatch):
    from phyassist.data.clean import repair_mojibake
    from phyassist.data.loading import load_imhi

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    rows = load_tasks(EvalConfig(datasets=["MultiWD"], limit=200))["MultiWD"]
    raw = load_imhi("MultiWD", "test")
    broken = [r for r in rows if MOJIBAKE in raw[r["index"]]["query"]]
    assert broken, "the sample should hold posts with mojibake for this test to mean anything"
    assert not any(MOJIBAKE in r["query"] for r in rows)
    assert all(r["query"] == repair_mojibake(raw[r["index"]]["query"])[0] for r in rows)
    assert all("\u2019" in r["query"] for r in broken)
    assert [r["label"] for r in rows] == [raw[r["index"]]["label"] for r in rows]


def test_dtype_auto_follows_the_hardware_and_names_are_checked():
    assert eval_dtype("float32") is torch.float32 and eval_dtype("bfloat16") is torch.bfloat16
    want = (torch.cuda.is_bf16_supported() if torch.cuda.is_available() else cpu_has_bf16())
    assert eval_dtype("auto") is (torch.bfloat16 if want else torch.float32)
    with pytest.raises(UserError, match=r"^`dtype` must be one of auto, float32, bfloat16, got 'float16'$"):
        EvalConfig(dtype="float16")


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_the_model_generates_in_the_dtype_asked(tiny_llama_dir, dtype):
    model, _, _, _ = load_for_eval(EvalConfig(base_model=str(tiny_llama_dir), dtype=dtype))
    assert {p.dtype for p in model.parameters()} == {getattr(torch, dtype)}
