"""BARTScore: mean per-token log-likelihood of a target text given a source text under a seq2seq model.

Same definition as the reference implementation (Yuan et al., 2021, ``BARTScorer.score``): encode
the source, feed the target as ``labels`` (decoder inputs are the labels shifted right), sum the
target tokens' log-probabilities and divide by the target's token count. IMHI scores
``score(generated, gold)``: the likelihood of the gold response given the generated one. The default
model is ``facebook/bart-large-cnn``; ``parabank`` loads the ParaBank-tuned weights file (``bart.pth``)
on top (read with ``weights_only=True``). Unlike the reference, the encoder runs on batches sorted by
source length and the decoder on batches sorted by target length (so neither side pads much), only
non-pad target positions are projected onto the vocabulary (block by block, with a running
logsumexp, so no vocabulary-sized tensor leaves the cache), and a failing batch is retried pair by
pair; a pair that still fails scores NaN with a warning instead of ending the process. This module
does not pick which texts to compare. ``load_scorer`` turns weights that cannot be loaded (offline, a
missing folder) into a one-line note, so an eval goes on without BARTScore.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Sequence

from ..errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_CHECKPOINT = "facebook/bart-large-cnn"


class BARTScorer:
    def __init__(self, checkpoint: str = DEFAULT_CHECKPOINT, *, parabank: str | None = None, device: str | None = None,
                 max_length: int = 1024, batch_size: int = 16, model=None, tokenizer=None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if model is None and str(checkpoint).startswith(("/", ".", "~")) and not Path(checkpoint).expanduser().is_dir():
            raise UserError(f"cannot load BARTScore model {checkpoint!r}: no such folder")
        try:
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(checkpoint)
            self.model = model or AutoModelForSeq2SeqLM.from_pretrained(checkpoint)
        except (OSError, ValueError) as e:
            raise UserError(f"cannot load BARTScore model {checkpoint!r}: {str(e).splitlines()[0]}") from None
        if parabank:
            try:
                state = torch.load(parabank, map_location="cpu", weights_only=True)
            except (OSError, RuntimeError) as e:
                raise UserError(f"cannot read ParaBank weights {parabank}: {e}; expected bart.pth from BARTScore") from None
            self.model.load_state_dict(state)
        self.model.eval().to(self.device)
        self.max_length, self.batch_size = max_length, batch_size
        self.chunk_batches = 8  # batches per chunk: encoder states of bs * 8 pairs are held at once

    def _batch(self, srcs: list[str], tgts: list[str]) -> list[float]:
        """Scores of a few pairs in one padded forward pass (the slow, simple path used for retries)."""
        tok = self.tokenizer
        src = tok(srcs, max_length=self.max_length, truncation=True)["input_ids"]
        tgt = tok(tgts, max_length=self.max_length, truncation=True)["input_ids"]
        enc, enc_mask = self._encode(src)
        return self._decode(enc, enc_mask, tgt)

    def _pad(self, seqs: Sequence[Sequence[int]]):
        """Right-padded ids [n, longest] and their attention mask (BART's positions count from the left)."""
        import torch

        width = max(1, max(len(x) for x in seqs))
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, x in enumerate(seqs):
            ids[i, :len(x)] = torch.as_tensor(x, dtype=torch.long)
            mask[i, :len(x)] = 1
        return ids.to(self.device), mask.to(self.device)

    def _encode(self, srcs: Sequence[Sequence[int]]):
        import torch

        ids, mask = self._pad(srcs)
        with torch.inference_mode():
            return self.model.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state, mask

    def _decode(self, enc, enc_mask, tgts: Sequence[Sequence[int]]) -> list[float]:
        """Mean log-likelihood of each target given its encoded source (``enc`` [n, s, d], right-padded)."""
        import torch

        labels, tgt_mask = self._pad(tgts)
        mask = labels.ne(self.tokenizer.pad_token_id)  # the reference ignores pad ids and divides by the length
        with torch.inference_mode():
            # decoder inputs = labels shifted right, as passing labels= would do, without the model's own
            # (unused) loss: a second log-softmax over the whole vocabulary
            dec = self.model.prepare_decoder_input_ids_from_labels(labels=labels)
            head = _bart_head(self.model)
            if head is not None:
                # BART family: project only the scored (non-pad) target positions onto the vocabulary
                hidden = self.model.get_decoder()(input_ids=dec, encoder_hidden_states=enc,
                                                  encoder_attention_mask=enc_mask).last_hidden_state
                logp = torch.zeros(labels.shape, dtype=torch.float32, device=labels.device)
                logp[mask] = _token_logprobs(hidden[mask], labels[mask], *head)
            else:
                from transformers.modeling_outputs import BaseModelOutput

                logits = self.model(encoder_outputs=BaseModelOutput(last_hidden_state=enc), attention_mask=enc_mask,
                                    decoder_input_ids=dec).logits
                # log p(token) = logit - logsumexp(logits): no second vocabulary-sized tensor
                logp = logits.gather(-1, labels.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits.float(), -1)
            return ((logp * mask).sum(1) / tgt_mask.sum(1)).tolist()

    def _chunk(self, src: list[list[int]], tgt: list[list[int]], bs: int) -> list[float]:
        """Scores of a chunk of pairs, target-length order in, same order out. The encoder runs on
        batches sorted by source length and the decoder on batches sorted by target length, so neither
        pads much (sorting pairs by one key leaves the other side ragged: ~20% padding on IMHI pairs)."""
        import torch

        states: list = [None] * len(src)
        by_src = sorted(range(len(src)), key=lambda i: -len(src[i]))
        for k in range(0, len(by_src), bs):
            idx = by_src[k:k + bs]
            enc, _ = self._encode([src[i] for i in idx])
            for row, i in enumerate(idx):
                states[i] = enc[row, :len(src[i])]
        out = []
        for k in range(0, len(tgt), bs):
            idx = range(k, min(k + bs, len(tgt)))
            width = max(1, max(states[i].shape[0] for i in idx))
            enc = states[idx[0]].new_zeros((len(idx), width, states[idx[0]].shape[-1]))
            enc_mask = torch.zeros((len(idx), width), dtype=torch.long, device=enc.device)
            for row, i in enumerate(idx):
                enc[row, :states[i].shape[0]] = states[i]
                enc_mask[row, :len(src[i])] = 1
            out += self._decode(enc, enc_mask, [tgt[i] for i in idx])
        return out

    def score(self, srcs: Sequence[str], tgts: Sequence[str], batch_size: int | None = None) -> list[float]:
        """One score (<= 0, higher is better) per (source, target) pair, in input order."""
        if len(srcs) != len(tgts):
            raise UserError(f"BARTScore needs as many sources as targets: got {len(srcs)} and {len(tgts)}")
        srcs = ["" if s is None else str(s) for s in srcs]
        tgts = ["" if t is None else str(t) for t in tgts]
        bs = batch_size or self.batch_size
        tok = self.tokenizer
        src_ids = tok(srcs, max_length=self.max_length, truncation=True)["input_ids"] if srcs else []
        tgt_ids = tok(tgts, max_length=self.max_length, truncation=True)["input_ids"] if tgts else []
        # chunks of pairs in target-length order bound the encoder states kept between the two passes
        order = sorted(range(len(srcs)), key=lambda i: -len(tgt_ids[i]))
        out = [math.nan] * len(srcs)
        step = bs * self.chunk_batches
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            try:
                scores = self._chunk([src_ids[i] for i in idx], [tgt_ids[i] for i in idx], bs)
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


def load_scorer(checkpoint: str = DEFAULT_CHECKPOINT, *, parabank: str | None = None,
                **kwargs) -> tuple[BARTScorer | None, str | None]:
    """``(BARTScorer, None)``, or ``(None, note)`` when the weights cannot be loaded: the one-line note says
    why (logged as a warning too), and the caller goes on without BARTScore."""
    try:
        return BARTScorer(checkpoint, parabank=parabank, **kwargs), None
    except ModuleNotFoundError as e:
        note = (f"BARTScore not computed: it needs torch and transformers (pip install 'phyassist[bartscore]'; "
                f"missing {e.name!r})")
    except UserError as e:
        note = f"BARTScore not computed: {e}"
    logger.warning("%s", note)
    return None, note


def _bart_head(model):
    """(weight, bias) of a BART-style head (``lm_logits = lm_head(decoder_states) + final_logits_bias``), else None."""
    bias = getattr(model, "final_logits_bias", None)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if bias is None or head is None or getattr(head, "bias", None) is not None or not hasattr(model, "model"):
        return None
    return head.weight, bias.reshape(-1)


def _token_logprobs(hidden, targets, weight, bias, rows: int = 1024, block: int = 2048):
    """log p(target) for each row of ``hidden`` [n, d] under ``hidden @ weight.T + bias``.

    ``rows`` rows at a time, the vocabulary ``block`` columns at a time with a running (online)
    logsumexp, so each logits block is reduced while it is still in cache; each target's own logit is
    read from the block that holds it."""
    import torch

    out, with_bias = [], bool(bias.any())  # BART's final_logits_bias is all zeros in released checkpoints
    for i in range(0, hidden.shape[0], rows):
        h, t = hidden[i:i + rows], targets[i:i + rows]
        picked = torch.empty(h.shape[0], dtype=torch.float32, device=h.device)
        top = total = None
        for j in range(0, weight.shape[0], block):
            logits = h @ weight[j:j + block].t()
            if with_bias:
                logits += bias[j:j + block]
            logits = logits.float()
            here = (t >= j) & (t < j + logits.shape[1])
            if here.any():
                picked[here] = logits[here, t[here] - j]
            m = logits.amax(1)
            part = logits.sub_(m[:, None]).exp_().sum(1)
            if top is None:
                top, total = m, part
            else:
                new_top = torch.maximum(top, m)
                total = total * torch.exp(top - new_top) + part * torch.exp(m - new_top)
                top = new_top
        out.append(picked - (total.log() + top))
    return torch.cat(out) if out else hidden.new_zeros(0, dtype=torch.float32)


def mean(scores: Sequence[float]) -> float | None:
    good = [s for s in scores if not math.isnan(s)]
    return sum(good) / len(good) if good else None
