"""Chat and analysis prompts (phyassist.serve.chat): sampling bounds, history through the template, IMHI queries."""

from __future__ import annotations

import pytest

from phyassist.errors import UserError
from phyassist.serve.chat import (
    MAX_INPUT_CHARS,
    Sampling,
    analysis_query,
    chat_input_ids,
    chat_messages,
    check_input,
    task_aspects,
)
from phyassist.serve.safety import crisis_notice


def test_sampling_is_clamped():
    s = Sampling.clamped(temperature=99, top_p=-1, max_new_tokens=10**9, repetition_penalty=float("nan"))
    assert (s.temperature, s.top_p, s.max_new_tokens, s.repetition_penalty) == (1.5, 0.05, 512, 1.1)
    assert Sampling.clamped(temperature=0).generate_kwargs()["do_sample"] is False
    assert Sampling.clamped(temperature="abc").temperature == 0.7


def test_chat_history_goes_through_the_template_without_crisis_notices(smol_tokenizer):
    history = [{"role": "user", "content": "first question"},
               {"role": "assistant", "content": crisis_notice() + "first answer"},
               {"role": "user", "content": [{"type": "text", "text": "second"}]}, {"role": "assistant", "content": "ok"}]
    messages = chat_messages(history, "third")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    prompt = smol_tokenizer.decode(chat_input_ids(smol_tokenizer, messages)[0])
    assert "first answer" in prompt and "Crisis support" not in prompt and prompt.index("second") < prompt.index("third")
    assert prompt.rstrip().endswith("<|im_start|>assistant")
    short = smol_tokenizer.decode(chat_input_ids(smol_tokenizer, messages, max_tokens=60)[0])
    assert "third" in short and "first question" not in short


def test_input_checks():
    assert check_input("   ") is None and check_input(" hi ") == "hi"
    with pytest.raises(UserError, match=f"the limit is {MAX_INPUT_CHARS:,}"):
        check_input("x" * (MAX_INPUT_CHARS + 1))


def test_analysis_query_matches_the_imhi_style(data_dir):
    from phyassist.data.loading import load_imhi

    for task in ["DR", "dreaddit", "Irf", "MultiWD", "SAD", "CAMS", "loneliness", "t-sid"]:
        row = load_imhi(task, "test", root=data_dir)[0]
        post = row["query"].split('Consider this post: "', 1)[1].rsplit('" Question:', 1)[0]
        aspects = task_aspects(task) or [None]
        expected = row["query"].replace(f'"{post}"', f'"{post.strip()}"')  # we strip the post
        assert expected in {analysis_query(task, post, a) for a in aspects}, task
    with pytest.raises(UserError, match="task Irf needs an aspect"):
        analysis_query("Irf", "post")
