"""The label-sentence loss weight: which tokens it weighs, and the loss trl then computes with it."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_train_config

from phyassist.errors import UserError
from phyassist.train.weighting import label_token_weights, marker_ids

M = [[7, 8]]  # the marker's tokens in these hand-made rows


def test_tokens_before_the_marker_get_the_weight_in_every_answer_of_a_row():
    labels = torch.tensor([
        [-100, -100, 1, 2, 7, 8, 3, 4, -100],     # prompt, label sentence 1 2, marker, reasoning
        [-100, 5, 7, 8, 6, -100, -100, 9, 9],     # a packed row: a second answer without the marker
        [-100, 1, 2, 3, -100, -100, 4, 7, 8],     # two answers, the marker in the second only
    ])
    w = label_token_weights(labels, M, 4.0)
    assert w[0].tolist() == [1, 1, 4, 4, 1, 1, 1, 1, 1]
    assert w[1].tolist() == [1, 4, 1, 1, 1, 1, 1, 1, 1]
    assert w[2].tolist() == [1, 1, 1, 1, 1, 1, 4, 1, 1]
    assert torch.equal(label_token_weights(labels, [], 4.0), torch.ones(labels.shape))


def test_the_marker_is_found_in_the_embedded_tokenizers_answers(smol_tokenizer):
    text = "No, this wellness dimension does not exist in the post. Reasoning: The poster talks about work."
    ids = smol_tokenizer(text, add_special_tokens=False)["input_ids"]
    labels = torch.tensor([[-100, -100] + ids])
    w = label_token_weights(labels, marker_ids(smol_tokenizer), 3.0)
    weighted = [t for t, x in zip(labels[0].tolist(), w[0].tolist()) if x == 3.0]
    assert smol_tokenizer.decode(weighted).strip() == "No, this wellness dimension does not exist in the post."


@pytest.mark.slow
def test_the_training_loss_weighs_label_tokens(tiny_llama_dir, data_dir, tmp_path, monkeypatch):
    """trl's loss with the weight equals sum(w * nll) / answer tokens, from the model's own logits."""
    from phyassist.train.trainer import build_trainer

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "run", max_steps=1, label_loss_weight=5.0, bf16=False)
    trainer = build_trainer(cfg).trainer
    trainer.model.train()
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    labels = batch["labels"][:, 1:]
    weights = label_token_weights(labels, trainer.marker_ids, 5.0)
    assert (weights == 5.0).any(), "no label sentence found in the training answers"
    with torch.no_grad():
        logits = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        nll = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), labels.clamp(min=0), reduction="none")
        mask = labels != -100
        expected = (nll * weights * mask).sum() / mask.sum()
        unweighted = (nll * mask).sum() / mask.sum()
        loss = trainer.compute_loss(trainer.model, dict(batch))
        trainer.label_loss_weight = 1.0
        plain = trainer.compute_loss(trainer.model, dict(batch))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)
    assert plain.item() == pytest.approx(unweighted.item(), rel=1e-4)
    assert "forward" not in trainer.model.__dict__  # the weighting wrapper is gone after the step


def test_a_non_positive_weight_is_refused(tiny_llama_dir, tmp_path):
    with pytest.raises(UserError, match=r"^`label_loss_weight` must be positive, got 0.0\.$"):
        tiny_train_config(tiny_llama_dir, tmp_path / "run", label_loss_weight=0.0)
