"""peft's LoRA input cast is off under bf16 autocast, on again after, and the loss and gradients do not change."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_train_config
from torch.utils._python_dispatch import TorchDispatchMode

from phyassist.train.casting import autocast_bf16


class CountCasts(TorchDispatchMode):
    """Counts dtype casts (``aten._to_copy``) of tensors with at least ``min_numel`` elements."""

    def __init__(self, min_numel: int):
        super().__init__()
        self.min_numel, self.count = min_numel, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._to_copy.default and args[0].numel() >= self.min_numel:
            self.count += 1
        return func(*args, **(kwargs or {}))


def lora_layers(model):
    from peft.tuners.tuners_utils import BaseTunerLayer

    return [m for m in model.modules() if isinstance(m, BaseTunerLayer)]


def loss_and_grads(trainer, batch, cast: bool):
    model = trainer.model
    model.zero_grad(set_to_none=True)
    counter = CountCasts(min_numel=batch["input_ids"].numel() * model.config.hidden_size)
    with counter:
        if cast:  # what the Trainer's context was without the mixin: bf16 autocast only
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = trainer.compute_loss(model, dict(batch))
        else:
            with trainer.compute_loss_context_manager():
                loss = trainer.compute_loss(model, dict(batch))
        loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return loss.detach(), grads, counter.count


@pytest.mark.slow
def test_bf16_autocast_training_skips_the_fp32_round_trip_with_the_same_loss_and_gradients(
        tiny_llama_dir, data_dir, tmp_path, monkeypatch):
    from phyassist.train.trainer import build_trainer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "run", max_steps=1, bf16=True, lora_dropout=0.0,
                            lora_target_modules=["q_proj", "v_proj", "gate_proj"])
    trainer = build_trainer(cfg).trainer
    trainer.model.train()
    assert autocast_bf16(trainer)
    layers = lora_layers(trainer.model)
    assert layers and {next(iter(m.lora_A.values())).weight.dtype for m in layers} == {torch.float32}
    with trainer.compute_loss_context_manager():
        assert not any(m.cast_input_dtype_enabled for m in layers)
    assert all(m.cast_input_dtype_enabled for m in layers)  # restored outside training's loss

    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    loss_cast, grads_cast, casts_with = loss_and_grads(trainer, batch, cast=True)
    loss_plain, grads_plain, casts_without = loss_and_grads(trainer, batch, cast=False)
    # forward: bit for bit (bf16 -> fp32 -> bf16 is exact); gradients: the same terms summed in another order
    assert loss_plain.item() == loss_cast.item()
    assert grads_plain.keys() == grads_cast.keys() and grads_plain
    for name, g in grads_cast.items():
        rel = ((grads_plain[name] - g).norm() / g.norm().clamp(min=1e-12)).item()
        assert rel < 2e-2, f"{name}: relative gradient difference {rel:.4f}"
    # each adapted layer's input went bf16 -> fp32 -> bf16 in the forward (and back in the backward)
    assert casts_with - casts_without >= 2 * len(layers)


def test_without_bf16_autocast_the_cast_stays_on(tiny_llama_dir, data_dir, tmp_path, monkeypatch):
    from phyassist.train.trainer import build_trainer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    trainer = build_trainer(tiny_train_config(tiny_llama_dir, tmp_path / "run", max_steps=1, bf16=False)).trainer
    assert not autocast_bf16(trainer)
    with trainer.compute_loss_context_manager():
        assert all(m.cast_input_dtype_enabled for m in lora_layers(trainer.model))
