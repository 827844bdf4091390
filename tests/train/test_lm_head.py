"""The answer-positions-only LM head (phyassist.train.lm_head): same loss, gradients and metrics as trl's full path."""

from __future__ import annotations

import pytest

from phyassist.train import lm_head


@pytest.fixture(autouse=True)
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))


def _loss_and_grads(trainer, batch):
    model = trainer.model
    model.zero_grad(set_to_none=True)
    loss = trainer.compute_loss(model, dict(batch))
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    metrics = {k: v[-1] for k, v in trainer._metrics["train"].items() if v and k in ("entropy", "mean_token_accuracy")}
    return float(loss), grads, metrics


def test_compact_lm_head_matches_full_scoring(tiny_llama_dir, tmp_path):
    import torch
    import trl.trainer.utils as trl_utils

    from phyassist.train.config import load_config
    from phyassist.train.trainer import build_trainer

    cfg = load_config(None, base_model=str(tiny_llama_dir), output_dir=str(tmp_path / "run"), dataset="MultiWD",
                      max_train_examples=8, max_eval_examples=2, max_chars=700, per_device_train_batch_size=4,
                      eval_strategy="no", lora_dropout=0.0)
    trainer = build_trainer(cfg).trainer
    assert lm_head.enable() is True, "this trl has no switch for the compact LM head: CPU training lost its speed-up"
    assert trl_utils._use_triton(torch.device("cpu"))
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    labels = batch["labels"]
    answer, real = int((labels != -100).sum()), int(batch["attention_mask"].sum())
    assert 0 < answer < real  # the prompt is masked: there are positions the compact path skips

    torch.manual_seed(0)
    compact = _loss_and_grads(trainer, batch)
    lm_head.disable()
    try:
        assert not trl_utils._use_triton(torch.device("cpu"))
        full = _loss_and_grads(trainer, batch)
    finally:
        lm_head.enable()
    assert compact[0] == pytest.approx(full[0], rel=1e-5, abs=1e-6)
    assert compact[1].keys() == full[1].keys() and compact[1]
    for name, g in compact[1].items():
        assert torch.allclose(g, full[1][name], rtol=1e-4, atol=1e-6), name
    for key, value in compact[2].items():
        assert value == pytest.approx(full[2][key], rel=1e-4, abs=1e-6), key


def test_enable_is_idempotent_and_disable_restores():
    import trl.trainer.utils as trl_utils

    lm_head.enable()
    patched = trl_utils._use_triton
    assert lm_head.enable() is True and trl_utils._use_triton is patched
    lm_head.disable()
    try:
        assert not getattr(trl_utils._use_triton, "_phyassist_compact", False)
    finally:
        lm_head.enable()
