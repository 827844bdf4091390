"""The one way tests and benchmarks make a small LoRA adapter on a base folder.

``save_lora_adapter`` seeds torch, loads the base, wraps it with peft and, as asked, randomises B,
edits the weights, takes a few AdamW steps and records a Hub id before saving. Benchmarks import it
with the checkout's ``tests/`` folder on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path


def save_lora_adapter(base_dir, out, *, seed: int = 0, r: int = 4, alpha: int | None = None,
                      targets=("q_proj", "v_proj"), random_init: bool = False, task_type: str | None = None,
                      model_kwargs: dict | None = None, edit=None, train_ids=None, steps: int = 0,
                      lr: float = 1e-2, hub_id: str | None = None, tokenizer: bool = False) -> Path:
    """Save a LoRA adapter for the model in ``base_dir`` to ``out`` and return ``out``.

    ``random_init``: peft's ``init_lora_weights=False`` (B non-zero) instead of its zero B.
    ``edit(peft_model)``: changes the weights in place before any training.
    ``train_ids``: token ids (or a function returning them, called after the adapter exists, so that its
    random draws follow the adapter's) for ``steps`` AdamW steps at ``lr`` with the ids as labels.
    ``hub_id``: recorded as the base's name in ``adapter_config.json``. ``tokenizer``: save the base's too.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir, **(model_kwargs or {}))
    extra = {"task_type": task_type} if task_type else {}
    if random_init:
        extra["init_lora_weights"] = False
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha or 2 * r, target_modules=list(targets),
                                                  **extra))
    if edit is not None:
        edit(peft_model)
    if steps:
        ids = train_ids() if callable(train_ids) else train_ids
        optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=lr)
        for _ in range(steps):
            peft_model(input_ids=ids, labels=ids).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    if hub_id is not None:
        peft_model.peft_config["default"].base_model_name_or_path = hub_id
    out = Path(out)
    peft_model.save_pretrained(out)
    if tokenizer:
        AutoTokenizer.from_pretrained(base_dir).save_pretrained(out)
    return out
