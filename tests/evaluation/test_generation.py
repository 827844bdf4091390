"""Batched generation: same greedy output as one-by-one, input order kept, bounded length, resumable."""

from __future__ import annotations

import json

import pytest

from phyassist.errors import UserError
from phyassist.evaluation.generation import chat_prompt, generate

QUERIES = ["Consider this post: \"I can't sleep before exams.\" Question: Does the poster suffer from stress?",
           "Hi",
           "Consider this post: \"Work is fine, my family is great and I love my dog, honestly life is good.\" "
           "Question: What is the stress cause of this post?",
           "Question: Does the post show risk of perceived burdensomeness?",
           "ok then"]


@pytest.fixture(scope="module")
def tiny(tiny_llama_dir):
    """conftest's tiny Llama with weights 10x larger: its greedy answers differ from prompt to prompt (with
    conftest's scale it answers everything with blank lines, and equal answers would prove nothing)."""
    import torch
    from transformers import AutoConfig, LlamaForCausalLM

    from phyassist.models import load_tokenizer

    config = AutoConfig.from_pretrained(tiny_llama_dir)
    config.initializer_range = 0.2
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval(), load_tokenizer(str(tiny_llama_dir))


def test_batched_equals_one_by_one_in_input_order(tiny):
    import torch

    model, tok = tiny
    batched = generate(model, tok, QUERIES, batch_size=3, max_new_tokens=6, progress=False)
    assert len(batched) == len(QUERIES)
    for q, text in zip(QUERIES, batched):
        ids = tok(chat_prompt(tok, q), return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**ids, do_sample=False, max_new_tokens=6, eos_token_id=tok.eos_token_id,
                                 pad_token_id=tok.pad_token_id)
        assert text == tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()


def test_new_tokens_are_bounded(tiny):
    model, tok = tiny
    for text in generate(model, tok, QUERIES[:2], batch_size=2, max_new_tokens=3, progress=False):
        assert len(tok(text, add_special_tokens=False)["input_ids"]) <= 4  # 3 tokens, re-tokenised


def test_resumes_from_the_cache(tiny, tmp_path):
    model, tok = tiny
    cache = tmp_path / "gen.jsonl"
    first = generate(model, tok, QUERIES[:2], batch_size=2, max_new_tokens=4, cache_path=cache, model_id="m", progress=False)
    lines = [json.loads(l) for l in cache.read_text().splitlines()]
    assert len(lines) == 2
    # mark the cached rows: a resumed run must return them as they are, and generate only the new ones
    cache.write_text("".join(json.dumps({"key": l["key"], "text": f"CACHED {i}"}) + "\n" for i, l in enumerate(lines))
                     + '{"key": "cut sho')
    again = generate(model, tok, QUERIES[:3], batch_size=2, max_new_tokens=4, cache_path=cache, model_id="m", progress=False)
    assert sorted(again[:2]) == ["CACHED 0", "CACHED 1"] and again[2] not in ("CACHED 0", "CACHED 1")
    assert len(cache.read_text().splitlines()) == 4  # 2 cached + the cut line + 1 new
    # another model id is another cache key
    other = generate(model, tok, QUERIES[:2], batch_size=2, max_new_tokens=4, cache_path=cache, model_id="n", progress=False)
    assert other == first


def test_bad_settings(tiny):
    model, tok = tiny
    with pytest.raises(UserError, match="`batch_size` must be positive, got 0"):
        generate(model, tok, QUERIES, batch_size=0)
    with pytest.raises(UserError, match="`max_new_tokens` must be between 1 and 4096, got 0"):
        generate(model, tok, QUERIES, max_new_tokens=0)


def test_cache_keys_follow_tokenizer_and_settings(tiny):
    from phyassist.evaluation.generation import settings_identity

    model, tok = tiny
    kw = dict(max_new_tokens=8, max_prompt=100, chat_template=True)
    first = settings_identity(model, tok, **kw)
    assert settings_identity(model, tok, **kw) == first
    assert settings_identity(model, tok, **{**kw, "max_new_tokens": 9}) != first
    template, penalty = tok.chat_template, model.generation_config.repetition_penalty
    try:
        tok.chat_template = template.replace("<|im_start|>", "<|im_start|> ")
        assert settings_identity(model, tok, **kw) != first
        tok.chat_template = template
        model.generation_config.repetition_penalty = 1.3
        assert settings_identity(model, tok, **kw) != first
    finally:
        tok.chat_template, model.generation_config.repetition_penalty = template, penalty


def test_model_identity_is_by_content(tiny_llama_dir, tmp_path):
    import shutil

    from phyassist.evaluation.generation import adapter_identity, base_identity, model_identity

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"r": 4}')
    (adapter / "adapter_model.safetensors").write_bytes(b"weights one")
    first = model_identity(str(tiny_llama_dir), "phyassist-tests/tiny-llama", str(adapter))
    (adapter / "adapter_model.safetensors").write_bytes(b"weights one")  # re-saved, same bytes
    assert model_identity(str(tiny_llama_dir), "phyassist-tests/tiny-llama", str(adapter)) == first
    (adapter / "adapter_model.safetensors").write_bytes(b"weights two")  # retrained into the same folder
    assert model_identity(str(tiny_llama_dir), "phyassist-tests/tiny-llama", str(adapter)) != first
    assert model_identity(str(tiny_llama_dir), "phyassist-tests/tiny-llama") != first
    base = base_identity(str(tiny_llama_dir), "phyassist-tests/tiny-llama")
    assert {"config.json", "model.safetensors"} <= set(base["files"]) and base["hub_id"] == "phyassist-tests/tiny-llama"
    copy = shutil.copytree(tiny_llama_dir, tmp_path / "base")
    (copy / "config.json").write_text((copy / "config.json").read_text().replace('"hidden_act"', '"hidden_act" '))
    assert base_identity(str(copy))["files"]["config.json"] != base["files"]["config.json"]
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(UserError, match="expected adapter_config.json and adapter_model.safetensors"):
        adapter_identity(str(adapter))


def test_shared_plan_generates_each_batch_once_as_one_process_would(tiny, tmp_path):
    """``share=(k, n)``: process k runs batches k, k + n, ... of one process's plan; together they give what
    one process gives, and ``cached`` answers are neither generated nor written."""
    from phyassist.evaluation.generation import cache_keys, read_cache

    model, tok = tiny
    whole = generate(model, tok, QUERIES, batch_size=2, max_new_tokens=4, model_id="m", progress=False)
    parts = [generate(model, tok, QUERIES, batch_size=2, max_new_tokens=4, model_id="m", progress=False,
                      cache_path=tmp_path / f"{k}.jsonl", share=(k, 2)) for k in range(2)]
    assert [a if a is not None else b for a, b in zip(*parts)] == whole
    assert [sum(p is not None for p in part) for part in parts] == [3, 2]  # batches 0 and 2 (2 + 1 rows); batch 1
    assert len(set(whole)) == len(QUERIES) and all(whole)
    keys = cache_keys(model, tok, QUERIES, max_new_tokens=4, model_id="m")
    assert set(read_cache(tmp_path / "0.jsonl")) | set(read_cache(tmp_path / "1.jsonl")) == set(keys)
    known = {keys[0]: "KNOWN"}
    again = generate(model, tok, QUERIES, batch_size=2, max_new_tokens=4, model_id="m", progress=False,
                     cache_path=tmp_path / "again.jsonl", cached=known)
    assert again == ["KNOWN", *whole[1:]] and keys[0] not in read_cache(tmp_path / "again.jsonl")
