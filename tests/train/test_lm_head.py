"""The answer-positions-only LM head (phyassist.train.lm_head, the trl patch, and train.cpu_logprob, its CPU
kernel): same loss, gradients and metrics as trl's full path, and a patch that notices when trl changes."""

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
    # tolerances follow the base's dtype: a bf16 base (bf16 training on hardware bf16) rounds each path
    # differently at ~3 significant digits; fp32 agrees to float rounding
    bf16 = next(p for p in trainer.model.parameters() if not p.requires_grad).dtype == torch.bfloat16
    rel = 1e-2 if bf16 else 1e-4
    assert compact[0] == pytest.approx(full[0], rel=rel / 10, abs=1e-6)
    assert compact[1].keys() == full[1].keys() and compact[1]
    for name, g in compact[1].items():
        ref = full[1][name]
        assert float((g - ref).norm() / ref.norm().clamp(min=1e-12)) < rel, name
    for key, value in compact[2].items():
        assert value == pytest.approx(full[2][key], rel=rel, abs=1e-6), key


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


@pytest.mark.parametrize("autocast", [False, True])
def test_cpu_log_prob_matches_trl_function(autocast):
    """``CpuLogProb`` (one bf16 projection, whole-row log-softmax) against trl's tiled function: every output
    and the gradients of log-probabilities and entropy, with a temperature; tolerance per compute dtype."""
    import torch
    from trl.kernels import ChunkedLogProbFunction

    from phyassist.train.cpu_logprob import TOKEN_CHUNK, cpu_log_prob_class

    cpu_fn = cpu_log_prob_class()
    torch.manual_seed(0)
    n, h, v = TOKEN_CHUNK + 37, 32, 700  # two token chunks
    hidden = torch.randn(n, h)
    weight = torch.randn(v, h) * 0.4
    targets = torch.randint(0, v, (n,))
    weights = torch.rand(n)
    outs = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1")
    results = []
    for fn in (ChunkedLogProbFunction, cpu_fn):
        x = hidden.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logp, ent, lss, mean, top = fn.apply(x, weight, None, targets, 0.7, 256, None, 1.0, outs)
        ((logp * weights).sum() + 0.5 * ent.sum()).backward()
        results.append((logp.detach(), ent.detach(), lss, mean, top, x.grad))
    # bf16 logits carry ~3 significant digits; fp32 agree to float rounding
    tol = dict(rtol=2e-2, atol=2e-2) if autocast else dict(rtol=1e-5, atol=1e-4)
    for name, a, b in zip(("logp", "entropy", "log_sum_sq_probs", "mean_logits"), results[0], results[1]):
        assert torch.allclose(a.float(), b.float(), **tol), (name, (a.float() - b.float()).abs().max())
    agree = (results[0][4] == results[1][4]).float().mean()
    assert agree >= (0.98 if autocast else 1.0)
    g0, g1 = results[0][5], results[1][5]
    assert torch.allclose(g0, g1, **tol), (g0 - g1).abs().max()
    assert float((g0 - g1).norm() / g0.norm()) < (1e-2 if autocast else 1e-5)


def test_enable_swaps_trls_log_prob_function_and_disable_restores_it():
    import trl.trainer.utils as trl_utils

    lm_head.enable()
    dispatch = trl_utils._ChunkedLogProbFunction
    assert hasattr(dispatch, "_phyassist_original")
    lm_head.disable()
    try:
        assert not hasattr(trl_utils._ChunkedLogProbFunction, "_phyassist_original")
    finally:
        lm_head.enable()


def test_trl_internals_are_the_ones_the_patch_was_written_for():
    """Fails after a trl upgrade that changed what the patch replaces or how trl calls it: read the new code,
    check the patch still holds, then update lm_head.TRL_EXPECTED."""
    assert lm_head.trl_mismatches() == []
    lm_head.enable()
    assert lm_head.trl_mismatches() == []  # checks trl's own functions, not the patched ones


def test_a_changed_trl_is_reported_and_left_unpatched(monkeypatch, caplog):
    import trl.trainer.utils as trl_utils

    lm_head.disable()
    try:
        original = trl_utils._use_triton
        monkeypatch.setattr(trl_utils, "_use_triton", lambda device, backend=None: original(device))
        changed = lm_head.trl_mismatches()
        assert changed[0] == "trl.trainer.utils._use_triton takes ['device', 'backend'], not ['device']"
        assert changed[1].startswith("trl.trainer.utils._use_triton has new source (sha256 ")
        assert lm_head.enable() is False and "scores every position" in caplog.text
        assert not hasattr(trl_utils._ChunkedLogProbFunction, "_phyassist_original")  # nothing half-patched
        monkeypatch.setattr(trl_utils, "add_fused_lm_head", lambda model: None)
        assert "trl.trainer.utils.add_fused_lm_head no longer calls `_use_triton(hidden_states.device)`" in \
            lm_head.trl_mismatches()
    finally:
        monkeypatch.undo()
        lm_head.enable()
