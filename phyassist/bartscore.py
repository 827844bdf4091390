"""BARTScore: mean per-token log-likelihood of a target text given a source text under a seq2seq model.

Same definition as the reference implementation (Yuan et al., 2021, ``BARTScorer.score``): encode
the source, feed the target as ``labels`` (decoder inputs are the labels shifted right), sum the
target tokens' log-probabilities and divide by the target's token count. IMHI scores
``score(generated, gold)``: the likelihood of the gold response given the generated one. The default
model is ``facebook/bart-large-cnn``; ``parabank`` loads the ParaBank-tuned weights file (``bart.pth``)
on top (read with ``weights_only=True``). Unlike the reference, pairs are sorted by length so batches
pad little, and a failing batch is retried pair by pair; a pair that still fails scores NaN with a
warning instead of ending the process. This module does not pick which texts to compare.
"""

from __future__ import annotations

import logging
import math
from typing import Sequence

from .errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_CHECKPOINT = "facebook/bart-large-cnn"


class BARTScorer:
    def __init__(self, checkpoint: str = DEFAULT_CHECKPOINT, *, parabank: str | None = None, device: str | None = None,
                 max_length: int = 1024, batch_size: int = 16, model=None, tokenizer=None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(checkpoint)
            self.model = model or AutoModelForSeq2SeqLM.from_pretrained(checkpoint)
        except OSError as e:
            raise UserError(f"cannot load BARTScore model {checkpoint!r}: {str(e).splitlines()[0]}") from None
        if parabank:
            try:
                state = torch.load(parabank, map_location="cpu", weights_only=True)
            except (OSError, RuntimeError) as e:
                raise UserError(f"cannot read ParaBank weights {parabank}: {e}; expected bart.pth from BARTScore") from None
            self.model.load_state_dict(state)
        self.model.eval().to(self.device)
        self.max_length, self.batch_size = max_length, batch_size

    def _batch(self, srcs: list[str], tgts: list[str]) -> list[float]:
        import torch

        tok = self.tokenizer
        src = tok(srcs, max_length=self.max_length, truncation=True, padding=True, return_tensors="pt").to(self.device)
        tgt = tok(tgts, max_length=self.max_length, truncation=True, padding=True, return_tensors="pt").to(self.device)
        labels = tgt["input_ids"]
        mask = labels.ne(tok.pad_token_id)  # the reference ignores pad ids, and divides by the mask length
        with torch.inference_mode():
            # decoder inputs = labels shifted right, as passing labels= would do, minus the model's own
            # (unused) loss: a second log-softmax over the whole vocabulary
            if hasattr(self.model, "prepare_decoder_input_ids_from_labels"):
                dec = {"decoder_input_ids": self.model.prepare_decoder_input_ids_from_labels(labels=labels)}
            else:
                dec = {"labels": labels}
            head = _bart_head(self.model)
            if head is not None and "decoder_input_ids" in dec:
                # BART family: project only the scored (non-pad) target positions onto the vocabulary
                hidden = self.model.model(input_ids=src["input_ids"], attention_mask=src["attention_mask"],
                                          **dec).last_hidden_state
                logp = torch.zeros(labels.shape, dtype=torch.float32, device=labels.device)
                logp[mask] = _token_logprobs(hidden[mask], labels[mask], *head)
            else:
                logits = self.model(input_ids=src["input_ids"], attention_mask=src["attention_mask"], **dec).logits
                # log p(token) = logit - logsumexp(logits): avoids materialising a second vocab-sized tensor
                logp = logits.gather(-1, labels.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits.float(), -1)
            total = (logp * mask).sum(1) / tgt["attention_mask"].sum(1)
        return total.tolist()

    def score(self, srcs: Sequence[str], tgts: Sequence[str], batch_size: int | None = None) -> list[float]:
        """One score (<= 0, higher is better) per (source, target) pair, in input order."""
        if len(srcs) != len(tgts):
            raise UserError(f"BARTScore needs as many sources as targets: got {len(srcs)} and {len(tgts)}")
        srcs = ["" if s is None else str(s) for s in srcs]
        tgts = ["" if t is None else str(t) for t in tgts]
        bs = batch_size or self.batch_size
        tok = self.tokenizer
        src_len = [len(x) for x in tok(srcs, max_length=self.max_length, truncation=True)["input_ids"]]
        tgt_len = [len(x) for x in tok(tgts, max_length=self.max_length, truncation=True)["input_ids"]]
        order = sorted(range(len(srcs)), key=lambda i: -(src_len[i] + tgt_len[i]))
        out = [math.nan] * len(srcs)
        for start in range(0, len(order), bs):
            idx = order[start:start + bs]
            try:
                scores = self._batch([srcs[i] for i in idx], [tgts[i] for i in idx])
            except Exception as e:  # noqa: BLE001 - one bad batch must not end a long scoring run
                logger.warning("BARTScore batch failed (%s); retrying its %d pairs one by one.", e, len(idx))
                scores = []
                for i in idx:
                    try:
                        scores += self._batch([srcs[i]], [tgts[i]])
                    except Exception as e1:  # noqa: BLE001
                        logger.warning("BARTScore pair %d failed (%s); scored NaN.", i, e1)
                        scores.append(math.nan)
            for i, s in zip(idx, scores):
                out[i] = s
        return out


def _bart_head(model):
    """(weight, bias) of a BART-style head (``lm_logits = lm_head(decoder_states) + final_logits_bias``), else None."""
    bias = getattr(model, "final_logits_bias", None)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if bias is None or head is None or getattr(head, "bias", None) is not None or not hasattr(model, "model"):
        return None
    return head.weight, bias.reshape(-1)


def _token_logprobs(hidden, targets, weight, bias, chunk: int = 1024):
    """log p(target) for each row of ``hidden`` [n, d] under ``hidden @ weight.T + bias``, ``chunk`` rows at a time."""
    import torch

    out = []
    for i in range(0, hidden.shape[0], chunk):
        logits = torch.addmm(bias, hidden[i:i + chunk], weight.t()).float()
        t = targets[i:i + chunk]
        out.append(logits.gather(1, t.unsqueeze(1)).squeeze(1) - torch.logsumexp(logits, -1))
    return torch.cat(out) if out else hidden.new_zeros(0, dtype=torch.float32)


def mean(scores: Sequence[float]) -> float | None:
    good = [s for s in scores if not math.isnan(s)]
    return sum(good) / len(good) if good else None
