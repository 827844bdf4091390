"""A heavier loss on the label sentence than on the reasoning: ``label_loss_weight`` in training.

An IMHI answer is "<label sentence> Reasoning: <explanation>". With the loss spread over whole answers,
the dozen label tokens carry a small share of it; weighting them ``w`` times the reasoning's tokens keeps
the label learnt as strongly as when training on the label sentence alone, while the reasoning is learnt too.
``label_token_weights`` finds each answer's label tokens; ``LabelWeightedTrainer`` (an ``SFTTrainer``)
applies them to trl's per-token log-probabilities, so trl's loss normalisation and metrics stay its own.
"""

from __future__ import annotations

import contextlib

from trl import SFTTrainer

from ..data.tasks import REASONING_MARKER as MARKER
from .casting import NoInputCastMixin


def marker_ids(tokenizer, marker: str = MARKER) -> list[list[int]]:
    """The token sequences ``marker`` takes after a space and at the start of a word (BPE differs)."""
    seqs = []
    for text in (" " + marker, marker):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if ids and ids not in seqs:
            seqs.append(ids)
    return seqs


def label_token_weights(labels, markers: list[list[int]], weight: float):
    """Per-position weights for next-token ``labels`` (-100 where ignored): in each answer (a run of labelled
    positions; a packed row holds several), ``weight`` on the tokens before its first marker and 1 from the
    marker on. An answer without the marker (counsel-chat) keeps weight 1."""
    import torch

    weights = torch.ones(labels.shape, dtype=torch.float32, device=labels.device)
    for r, row in enumerate(labels.tolist()):
        i, n = 0, len(row)
        while i < n:
            if row[i] == -100:
                i += 1
                continue
            end = i
            while end < n and row[end] != -100:
                end += 1
            hits = [j for seq in markers for j in range(i, end - len(seq) + 1) if row[j:j + len(seq)] == seq]
            if hits:
                weights[r, i:min(hits)] = weight
            i = end
    return weights


@contextlib.contextmanager
def weighted_log_probs(model, weights):
    """While active, ``model(..., fused_lm_head=True)`` returns log-probabilities times ``weights``."""
    own = model.__dict__.get("forward")  # an instance-level forward (trl patches one) is put back after
    original = model.forward

    def forward(*args, **kwargs):
        out = original(*args, **kwargs)
        if kwargs.get("fused_lm_head") and getattr(out, "log_probs", None) is not None:
            out.log_probs = out.log_probs * weights.to(out.log_probs.dtype)
        return out

    model.forward = forward
    try:
        yield
    finally:
        if own is None:
            del model.forward
        else:
            model.forward = own


class LabelWeightedTrainer(NoInputCastMixin, SFTTrainer):
    """trl's SFTTrainer with the training loss weighted ``label_loss_weight`` on label-sentence tokens
    (and no fp32 round trip of LoRA inputs under bf16 autocast: ``casting.NoInputCastMixin``)."""

    def __init__(self, *args, label_loss_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_loss_weight = float(label_loss_weight)
        self.marker_ids = marker_ids(self.processing_class)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if not model.training or self.label_loss_weight == 1.0 or "labels" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        # trl's fused head scores position t against labels[t + 1]
        weights = label_token_weights(inputs["labels"][:, 1:], self.marker_ids, self.label_loss_weight)
        with weighted_log_probs(model, weights):
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
