"""Batched greedy generation for IMHI prompts: left-padded, length-sorted, resumable.

Prompts go through the tokenizer's chat template (as the adapters were trained), are sorted by token
length so each batch pads little, padded on the left so every row's new tokens start at the same
position, and decoded greedily until EOS or ``max_new_tokens``. Finished rows are appended to a
JSON-lines cache after every batch, keyed by a hash of (model id, prompt, settings), so an
interrupted run resumes where it stopped. This module does not load models (``phyassist.models``),
infer labels or score.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Sequence

from ..errors import UserError

logger = logging.getLogger(__name__)


def chat_prompt(tokenizer, query: str) -> str:
    return tokenizer.apply_chat_template([{"role": "user", "content": query}], tokenize=False, add_generation_prompt=True)


def _key(model_id: str, prompt: str, max_new_tokens: int) -> str:
    return hashlib.sha256(f"{model_id}\x00{max_new_tokens}\x00{prompt}".encode()).hexdigest()[:24]


def _read_cache(path: Path | None) -> dict[str, str]:
    done: dict[str, str] = {}
    if path is None or not path.exists():
        return done
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
                done[row["key"]] = row["text"]
            except (ValueError, KeyError):
                continue  # a line cut short by an interruption: regenerate that row
    return done


def generate(
    model,
    tokenizer,
    queries: Sequence[str],
    *,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    cache_path: str | os.PathLike | None = None,
    model_id: str = "",
    chat_template: bool = True,
    progress: bool = True,
) -> list[str]:
    """Greedy responses to ``queries``, in input order."""
    import torch

    if batch_size < 1:
        raise UserError(f"`batch_size` must be positive, got {batch_size}")
    if not 1 <= max_new_tokens <= 4096:
        raise UserError(f"`max_new_tokens` must be between 1 and 4096, got {max_new_tokens}")
    prompts = [chat_prompt(tokenizer, q) if chat_template else q for q in queries]
    keys = [_key(model_id, p, max_new_tokens) for p in prompts]
    cache_path = Path(cache_path) if cache_path else None
    done = _read_cache(cache_path)
    todo = sorted({k: i for i, k in enumerate(keys) if k not in done}.values())
    if len(todo) < len(keys):
        logger.info("Reusing %d of %d generations from %s.", len(keys) - len(todo), len(keys), cache_path)
    if todo:
        ids = tokenizer([prompts[i] for i in todo], add_special_tokens=False)["input_ids"]
        limit = getattr(model.config, "max_position_embeddings", None) or 8192
        max_prompt = max(16, limit - max_new_tokens)
        cut = sum(len(x) > max_prompt for x in ids)
        if cut:
            logger.warning("%d prompts longer than %d tokens were cut to their last %d tokens.", cut, max_prompt, max_prompt)
        ids = [x[-max_prompt:] for x in ids]
        # longest first: an out-of-memory error shows up in the first batch, not after an hour
        order = sorted(range(len(todo)), key=lambda j: -len(ids[j]))
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        device = next(model.parameters()).device
        bar = _bar(len(order), progress)
        model.eval()
        if cache_path:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
        out_file = open(cache_path, "a", encoding="utf-8") if cache_path else None
        if out_file and out_file.tell() > 0 and not cache_path.read_bytes().endswith(b"\n"):
            out_file.write("\n")  # end a line an interruption cut short, so the next row starts clean
        try:
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                width = max(len(ids[j]) for j in batch)
                input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, j in enumerate(batch):
                    input_ids[r, width - len(ids[j]):] = torch.tensor(ids[j])
                    mask[r, width - len(ids[j]):] = 1
                with torch.inference_mode():
                    gen = model.generate(input_ids=input_ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                         max_new_tokens=max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                                         pad_token_id=pad)
                for r, j in enumerate(batch):
                    text = tokenizer.decode(gen[r, width:], skip_special_tokens=True).strip()
                    done[keys[todo[j]]] = text
                    if out_file:
                        out_file.write(json.dumps({"key": keys[todo[j]], "text": text}, ensure_ascii=False) + "\n")
                if out_file:
                    out_file.flush()
                bar.update(len(batch))
        finally:
            bar.close()
            if out_file:
                out_file.close()
    return [done[k] for k in keys]


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="generating", unit="row", disable=not enabled)
