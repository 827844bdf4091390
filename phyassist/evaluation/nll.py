"""Negative log-likelihood of chat answers: the answer tokens only, rendered as training renders them.

``encode(tokenizer, query, answer)`` splits a conversation as trl's SFTTrainer splits a prompt/completion
pair: the prompt rendered with the generation prompt, the answer from where that and the whole
conversation's rendering diverge (so it ends with the template's end-of-turn tokens, as trained).
``answer_nll(model, tokenizer, encoded)`` sums -log p of each answer token given everything before it,
row by row, in length-sorted, left-padded batches, without gradients.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import UserError

# Answer positions per batch (rows x longest answer): bounds the logits kept, rows x positions x vocabulary.
MAX_BATCH_ANSWER_TOKENS = 2048


def encode(tokenizer, query: str, answer: str) -> tuple[list[int], int]:
    """(token ids of the whole conversation, index of the answer's first token)."""
    prompt = [{"role": "user", "content": query}]
    prompt_ids = tokenizer.apply_chat_template(prompt, tokenize=True, return_dict=True,
                                               add_generation_prompt=True)["input_ids"]
    ids = list(tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": answer}], tokenize=True,
                                             return_dict=True)["input_ids"])
    start = 0
    for a, b in zip(prompt_ids, ids):
        if a != b:
            break
        start += 1
    if start == 0 or start >= len(ids):
        raise UserError(f"chat template: the answer {answer[:40]!r} gives no answer tokens after a prompt; "
                        "expected the assistant turn to follow the user turn")
    return ids, start


def context_length(model) -> int | None:
    """The longest sequence the model's positions cover (``max_position_embeddings``), or None when unknown."""
    return getattr(model.config, "max_position_embeddings", None)


def _batches(order: list[int], answer_tokens: list[int], batch_size: int) -> list[list[int]]:
    """Consecutive rows of ``order`` (longest first), at most ``batch_size`` and ``MAX_BATCH_ANSWER_TOKENS``
    answer positions each (a longer row goes alone)."""
    out, current = [], []
    for i in order:
        width = max([answer_tokens[j] for j in current] + [answer_tokens[i]])
        if current and (len(current) == batch_size or width * (len(current) + 1) > MAX_BATCH_ANSWER_TOKENS):
            out.append(current)
            current = []
        current.append(i)
    return out + ([current] if current else [])


def answer_nll(model, tokenizer, encoded: Sequence[tuple[list[int], int]], *, batch_size: int = 8,
               progress: bool = False) -> list[tuple[float, int]]:
    """Per row, (sum of -log p over its answer tokens, number of answer tokens), in input order."""
    import torch

    if batch_size < 1:
        raise UserError(f"`batch_size` must be positive, got {batch_size}")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    answer_tokens = [len(ids) - start for ids, start in encoded]
    order = sorted(range(len(encoded)), key=lambda i: (-len(encoded[i][0]), i))
    device = next(model.parameters()).device
    out: list[tuple[float, int] | None] = [None] * len(encoded)
    batches = _batches(order, answer_tokens, batch_size)
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="answer NLL", unit="batch")
    for batch in batches:
        length = max(len(encoded[i][0]) for i in batch)
        keep = max(answer_tokens[i] for i in batch)
        ids = torch.full((len(batch), length), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.long)
        for row, i in enumerate(batch):  # left padding: every row's answer ends at the last position
            seq = encoded[i][0]
            ids[row, length - len(seq):] = torch.tensor(seq)
            mask[row, length - len(seq):] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)  # each row's own positions, as if it were alone
        with torch.no_grad():
            # the last `keep` + 1 positions: their first `keep` predict the last `keep` tokens
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                           logits_to_keep=keep + 1).logits[:, :-1].float()
            targets = ids[:, length - keep:].to(device)
            logp = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        for row, i in enumerate(batch):
            n = answer_tokens[i]
            out[i] = (float(-logp[row, keep - n:].sum()), n)
    return out
