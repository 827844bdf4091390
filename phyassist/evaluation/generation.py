"""Batched greedy generation for IMHI prompts: left-padded, length-sorted, resumable.

Prompts go through the tokenizer's chat template (as the adapters were trained), are sorted by token
length so each batch pads little, padded on the left so every row's new tokens start at the same
position, and decoded greedily until EOS or ``max_new_tokens``. Finished rows are appended to a
JSON-lines cache after every batch, so an interrupted run resumes where it stopped; several processes
can share one plan of batches (``share``, see ``distributed``). A row's key
hashes what decides its answer, by content: the weights (``model_identity``: the adapter's weight
file and adapter_config.json by sha256; the base's Hub id and revision, or a local base's
config.json and its weight files' safetensors headers, sizes and mtimes), the tokenizer (vocabulary,
chat template, special tokens), every generation setting and the prompt. An adapter retrained into
the same folder therefore generates again. This module does not load models (``phyassist.models``),
infer labels or score.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import UserError
from ..io import sha256_file

logger = logging.getLogger(__name__)


def chat_prompt(tokenizer, query: str) -> str:
    return tokenizer.apply_chat_template([{"role": "user", "content": query}], tokenize=False, add_generation_prompt=True)


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _hub_snapshot(repo_id: str, filename: str) -> Path | None:
    """The local snapshot folder (named by its commit) that ``from_pretrained`` read a Hub repo from."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, filename)
    except Exception:  # noqa: BLE001 - not a valid repo id: no snapshot to name
        return None
    return Path(found).parent if isinstance(found, str) else None


def _safetensors_header(path: Path) -> str:
    # tensor names, dtypes, shapes and offsets: cheap to read where hashing GBs of weights is not
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        return hashlib.sha256(f.read(min(size, 100 << 20))).hexdigest()


def base_identity(path_or_id: str, hub_id: str | None = None) -> dict:
    """A base model by content: Hub id and revision (commit), and for a local copy (a folder, or the
    Hub snapshot it was read from) config.json and friends by sha256 and each weight file by name,
    size, mtime and safetensors header. Re-saved weights get a new mtime, hence a new identity."""
    out = {"hub_id": hub_id or path_or_id}
    folder = Path(path_or_id).expanduser()
    if not folder.is_dir():
        folder = _hub_snapshot(path_or_id, "config.json")
        if folder is None:
            logger.warning("No local snapshot of %s found: generations are keyed by its id alone.", path_or_id)
            return {**out, "revision": "unknown"}
        out["revision"] = folder.name
    files = {}
    for f in sorted(folder.iterdir()):
        if f.suffix == ".json" and (f.name in ("config.json", "generation_config.json", "phyassist_base.json")
                                    or f.name.endswith(".index.json")):
            files[f.name] = sha256_file(f)
        elif f.suffix in (".safetensors", ".bin", ".pt", ".pth", ".gguf"):
            stat = f.stat()
            files[f.name] = [stat.st_size, stat.st_mtime_ns] + (
                [_safetensors_header(f)] if f.suffix == ".safetensors" else [])
    return {**out, "files": files}


ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


def adapter_identity(adapter: str) -> dict:
    """An adapter by content: the sha256 of its weight file(s) and adapter_config.json."""
    folder = Path(adapter).expanduser()
    if not folder.is_dir():
        folder = _hub_snapshot(adapter, "adapter_config.json")
        if folder is None:
            raise UserError(f"adapter {adapter!r}: no local copy to key the generation cache by; "
                            "expected a folder or a Hub id that PEFT has downloaded")
    files = {name: sha256_file(folder / name) for name in ADAPTER_FILES if (folder / name).is_file()}
    if len(files) < 2 or "adapter_config.json" not in files:
        raise UserError(f"{folder}: expected adapter_config.json and adapter_model.safetensors (or .bin)")
    return files


def model_identity(base: str, hub_id: str | None = None, adapter: str | None = None) -> str:
    """The ``model_id`` of ``generate`` for a base model folder or Hub id plus an optional adapter."""
    return _digest({"base": base_identity(base, hub_id), "adapter": adapter_identity(adapter) if adapter else None})


def _backend_content(backend) -> str:
    """A fast tokenizer's JSON without its truncation and padding: transformers sets both anew on every
    call (``generate``'s own call turns them off), and a tokenizer.json saved after a call that truncated
    or padded keeps them, so they are what the last call left, not content. Keyed with them, one process
    computed other keys before its first call than after it."""
    if backend.truncation is None and backend.padding is None:
        return backend.to_str()
    import copy

    backend = copy.deepcopy(backend)  # the caller's tokenizer stays as it is
    backend.no_truncation()
    backend.no_padding()
    return backend.to_str()


def tokenizer_identity(tokenizer) -> dict:
    """What of a tokenizer can change a prompt's token ids: vocabulary and merges, chat template,
    special tokens and their ids; not the truncation or padding the last call left set."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    vocab = _backend_content(backend) if backend is not None else sorted(tokenizer.get_vocab().items())
    return {"class": type(tokenizer).__name__, "vocab": _digest(vocab), "chat_template": tokenizer.chat_template,
            "special_tokens": getattr(tokenizer, "special_tokens_map", None),
            "ids": [tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id]}


def settings_identity(model, tokenizer, *, max_new_tokens: int, max_prompt: int, chat_template: bool) -> str:
    """The tokenizer and every setting ``generate`` decodes with, as one digest."""
    config = model.generation_config.to_dict() if getattr(model, "generation_config", None) else {}
    config.pop("transformers_version", None)
    quant = getattr(model.config, "quantization_config", None)
    return _digest({
        "tokenizer": tokenizer_identity(tokenizer), "chat_template": chat_template, "padding_side": "left",
        "max_new_tokens": max_new_tokens, "max_prompt_tokens": max_prompt, "do_sample": False, "num_beams": 1,
        "generation_config": config, "dtype": str(getattr(model, "dtype", None)),
        "quantization": quant.to_dict() if hasattr(quant, "to_dict") else quant,
        "decode": "skip_special_tokens, strip",
    })


def _key(model_id: str, settings: str, prompt: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{settings}\x00{prompt}".encode()).hexdigest()[:24]


def read_cache(path: Path | None) -> dict[str, str]:
    """{key: answer} of a cache file; lines without a key (a shard's header, a line cut short) are skipped."""
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


def _plan(model, tokenizer, queries, max_new_tokens: int, model_id: str, chat_template: bool):
    prompts = [chat_prompt(tokenizer, q) if chat_template else q for q in queries]
    limit = getattr(model.config, "max_position_embeddings", None) or 8192
    max_prompt = max(16, limit - max_new_tokens)
    settings = settings_identity(model, tokenizer, max_new_tokens=max_new_tokens, max_prompt=max_prompt,
                                 chat_template=chat_template)
    return prompts, [_key(model_id, settings, p) for p in prompts], max_prompt


def cache_keys(model, tokenizer, queries: Sequence[str], *, max_new_tokens: int = 256, model_id: str = "",
               chat_template: bool = True) -> list[str]:
    """The cache key of each query's answer, as ``generate`` with the same arguments looks it up."""
    return _plan(model, tokenizer, queries, max_new_tokens, model_id, chat_template)[1]


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
    cached: Mapping[str, str] | None = None,
    share: tuple[int, int] = (0, 1),
) -> list[str | None]:
    """Greedy responses to ``queries``, in input order.

    ``model_id`` names the weights in the cache keys: pass ``model_identity(...)`` (by content), not
    a path. The tokenizer and generation settings are added to the keys here. ``cached``: answers by
    key known from elsewhere (not written to ``cache_path``). ``share=(k, n)``: generate only batches
    k, k + n, k + 2n, ... of the plan one process would run (the rows not in ``cached`` or the cache,
    longest first), so each row is generated in the same batch, padded alike; the other rows are None.
    """
    import torch

    if batch_size < 1:
        raise UserError(f"`batch_size` must be positive, got {batch_size}")
    if not 1 <= max_new_tokens <= 4096:
        raise UserError(f"`max_new_tokens` must be between 1 and 4096, got {max_new_tokens}")
    prompts, keys, max_prompt = _plan(model, tokenizer, queries, max_new_tokens, model_id, chat_template)
    cache_path = Path(cache_path) if cache_path else None
    done = {**(cached or {}), **read_cache(cache_path)}
    todo = sorted({k: i for i, k in enumerate(keys) if k not in done}.values())
    if len(todo) < len(keys):
        logger.info("Reusing %d of %d generations from %s.", len(keys) - len(todo), len(keys), cache_path)
    if todo:
        ids = tokenizer([prompts[i] for i in todo], add_special_tokens=False)["input_ids"]
        cut = sum(len(x) > max_prompt for x in ids)
        if cut:
            logger.warning("%d prompts longer than %d tokens were cut to their last %d tokens.", cut, max_prompt, max_prompt)
        ids = [x[-max_prompt:] for x in ids]
        # longest first: an out-of-memory error shows up in the first batch, not after an hour
        order = sorted(range(len(todo)), key=lambda j: -len(ids[j]))
        rank, processes = share
        batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)][rank::processes]
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        device = next(model.parameters()).device
        bar = _bar(sum(map(len, batches)), progress)
        model.eval()
        if cache_path:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
        out_file = open(cache_path, "a", encoding="utf-8") if cache_path else None
        if out_file and out_file.tell() > 0 and not cache_path.read_bytes().endswith(b"\n"):
            out_file.write("\n")  # end a line an interruption cut short, so the next row starts clean
        try:
            for batch in batches:
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
    return [done.get(k) for k in keys]


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="generating", unit="row", disable=not enabled)
