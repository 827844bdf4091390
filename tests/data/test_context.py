"""The base model's context as a row-length limit (phyassist.data.context): tokens, or characters offline."""

from __future__ import annotations

import pytest

from phyassist.data.context import ASSUMED_CONTEXT, CHARS_PER_TOKEN, ContextLimit, context_limit
from phyassist.errors import UserError


def test_embedded_base_counts_tokens_up_to_its_context(smol_tokenizer):
    limit = context_limit("smollm2-135m-instruct", tokenizer=smol_tokenizer)
    assert (limit.max_tokens, limit.source) == (8192, "max_position_embeddings in the base's config.json")
    source = "max_position_embeddings in the base's config.json"
    assert limit.describe() == {"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "max_tokens": 8192,
                                "source": source, "counted_in": "tokens", "max_chars": None,
                                "limit": f"8192 tokens ({source})"}
    assert limit.fits("How do I sleep better?", "Keep a regular schedule.")


def test_fits_is_the_exact_token_count_with_the_chat_template(smol_tokenizer):
    prompt, answer = "I worry " * 40, "Write worries down. " * 10
    n = context_limit(max_tokens=10_000, tokenizer=smol_tokenizer).tokens(prompt, answer)
    rendered = smol_tokenizer.apply_chat_template([{"role": "user", "content": prompt},
                                                   {"role": "assistant", "content": answer}], tokenize=False)
    assert n == len(smol_tokenizer(rendered, add_special_tokens=False)["input_ids"]) and n < len(rendered)
    # counted near the limit, and taken as fitting without counting far below it (no more bytes than tokens)
    for m in (n - 1, n, 2 * n, 10 * n):
        assert context_limit(max_tokens=m, tokenizer=smol_tokenizer).fits(prompt, answer) == (n <= m), m


def test_without_an_offline_tokenizer_a_character_bound(caplog):
    # a Hub id that is not in the local cache: nothing is downloaded (HF_HUB_OFFLINE in conftest)
    limit = context_limit("nobody-here/not-a-cached-model")
    assert limit.tokenizer is None and limit.max_tokens == ASSUMED_CONTEXT
    assert limit.source == "assumed: the base's config.json is not available offline"
    assert limit.max_chars == ASSUMED_CONTEXT * CHARS_PER_TOKEN
    assert "not available offline" in caplog.text
    small = ContextLimit(10, "test")
    assert small.fits("q" * 40, "a" * 40) and not small.fits("q" * 41, "a" * 40)
    assert str(small) == "80 characters (8 per token of 10, test; the base's tokenizer is not available offline)"


def test_limit_arguments():
    assert context_limit(max_tokens=0) is None  # no limit
    with pytest.raises(UserError, match=r"`context_tokens` must be 0 \(no limit\) or positive, got -5"):
        context_limit(max_tokens=-5)
    with pytest.raises(UserError, match="unknown base model 'nope'"):
        context_limit("nope")
