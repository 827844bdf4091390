"""Answer-token NLL (phyassist.evaluation.nll) against cross-entropy computed by hand from a tiny Llama's logits."""

from __future__ import annotations

import pytest
import torch
from tiny_adapters import save_lora_adapter

from phyassist.errors import UserError
from phyassist.evaluation import nll
from phyassist.evaluation.nll import answer_nll, encode

ROWS = [("How do I stop worrying?", "Write your worries down at a set time each day, then close the notebook."),
        ("Why am I always tired?", "Sleep and mood are linked."),
        ("Can I trust my partner again after he lied to me twice?", "Rebuilding trust takes time and honesty " * 6),
        ("Where can I find help?", "A local clinic.")]


@pytest.fixture(scope="module")
def tiny(tiny_llama_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_llama_dir).eval(), AutoTokenizer.from_pretrained(tiny_llama_dir)


def _by_hand(model, tokenizer, query, answer):
    """Sum of -log p(answer token | everything before it): the whole answer turn as training renders it
    (the prompt with the generation prompt, then the answer and the template's end-of-turn tokens)."""
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": query}], tokenize=False,
                                           add_generation_prompt=True)
    turns = [{"role": "user", "content": query}, {"role": "assistant", "content": answer}]
    whole = tokenizer.apply_chat_template(turns, tokenize=False)
    assert whole.startswith(prompt)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(whole[len(prompt):], add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + answer_ids])
    with torch.no_grad():
        logits = model(ids).logits[0]
    n = len(answer_ids)
    ce = torch.nn.functional.cross_entropy(logits[-n - 1:-1], ids[0, -n:], reduction="sum")
    return float(ce), n


def _sums(rows):
    return [s for s, _ in rows]


def test_the_nll_of_a_row_is_the_cross_entropy_of_its_answer_tokens(tiny):
    model, tokenizer = tiny
    encoded = [encode(tokenizer, q, a) for q, a in ROWS]
    ids, start = encoded[1]
    assert tokenizer.decode(ids[start:]) == "Sleep and mood are linked.<|im_end|>\n"
    want = [_by_hand(model, tokenizer, q, a) for q, a in ROWS]
    for batch_size in (1, 3):  # left-padded batches of rows of other lengths give each row's own value
        got = answer_nll(model, tokenizer, encoded, batch_size=batch_size)
        assert [n for _, n in got] == [n for _, n in want]
        assert _sums(got) == pytest.approx(_sums(want), rel=1e-5)


def test_batches_hold_a_bounded_number_of_answer_positions(tiny, monkeypatch):
    model, tokenizer = tiny
    encoded = [encode(tokenizer, q, a) for q, a in ROWS]
    want = answer_nll(model, tokenizer, encoded, batch_size=4)
    sizes = [len(i) - s for i, s in encoded]
    monkeypatch.setattr(nll, "MAX_BATCH_ANSWER_TOKENS", max(sizes))  # the longest row fills a batch alone
    batches = nll._batches([2, 0, 1, 3], sizes, 4)
    assert batches[0] == [2] and sorted(i for b in batches for i in b) == [0, 1, 2, 3]
    assert all(len(b) * max(sizes[i] for i in b) <= max(sizes) for b in batches)
    assert _sums(answer_nll(model, tokenizer, encoded, batch_size=4)) == pytest.approx(_sums(want), rel=1e-5)


def test_the_adapter_changes_the_nll_and_disabling_it_gives_the_base(tiny, tiny_llama_dir, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model, tokenizer = tiny
    folder = save_lora_adapter(tiny_llama_dir, tmp_path / "adapter", seed=1, random_init=True)
    peft = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama_dir), folder).eval()
    encoded = [encode(tokenizer, q, a) for q, a in ROWS]
    with peft.disable_adapter():
        base = answer_nll(peft, tokenizer, encoded, batch_size=2)
    adapted = answer_nll(peft, tokenizer, encoded, batch_size=2)
    assert _sums(base) == pytest.approx(_sums([_by_hand(model, tokenizer, q, a) for q, a in ROWS]), rel=1e-5)
    assert _sums(adapted) == pytest.approx(_sums([_by_hand(peft, tokenizer, q, a) for q, a in ROWS]), rel=1e-5)
    assert _sums(adapted) != pytest.approx(_sums(base), rel=1e-4)


def test_bad_input(tiny):
    model, tokenizer = tiny
    with pytest.raises(UserError, match="`batch_size` must be positive, got 0"):
        answer_nll(model, tokenizer, [encode(tokenizer, *ROWS[0])], batch_size=0)
