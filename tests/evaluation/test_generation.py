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
    from phyassist.models import load_model_and_tokenizer

    return load_model_and_tokenizer(str(tiny_llama_dir))


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
    # another model id or length bound is another cache key
    other = generate(model, tok, QUERIES[:2], batch_size=2, max_new_tokens=4, cache_path=cache, model_id="n", progress=False)
    assert other == first


def test_bad_settings(tiny):
    model, tok = tiny
    with pytest.raises(UserError, match="`batch_size` must be positive, got 0"):
        generate(model, tok, QUERIES, batch_size=0)
    with pytest.raises(UserError, match="`max_new_tokens` must be between 1 and 4096, got 0"):
        generate(model, tok, QUERIES, max_new_tokens=0)
