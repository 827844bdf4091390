"""One chat turn (phyassist.serve.respond) on a tiny random Llama with two adapters: the adapter chosen
answers, the conversation is kept, the crisis screen answers instead of the model, errors are one line."""

from __future__ import annotations

import pytest
from test_bank import two_adapter_bank

from phyassist.serve.bank import BASE_CHOICE, SpaceConfig
from phyassist.serve.chat import Conversation, chat_input_ids, chat_messages, stream_generate
from phyassist.serve.respond import FAILURE, clamped_sampling, make_generate, make_respond
from phyassist.serve.safety import SAFE_REPLY, crisis_notice, crisis_reply

GREEDY = (0.0, 0.9, 8)  # temperature, top_p, max_new_tokens
MESSAGE = "How can I relax before an exam?"


@pytest.fixture(scope="module")
def bank(tiny_llama_dir, tmp_path_factory):
    return two_adapter_bank(tiny_llama_dir, tmp_path_factory.mktemp("respond"))


def respond_fn(bank, **config):
    config = SpaceConfig(**config)
    return make_respond(bank, config, make_generate(bank, config))


def direct(bank, adapter, history, message, settings=GREEDY):
    """The adapter's own greedy reply to ``message`` after ``history``: no Space in between."""
    ids = chat_input_ids(bank.tokenizer, chat_messages(history, message))
    return list(stream_generate(bank, adapter, ids, clamped_sampling(*settings)))[-1]


def last(replies):
    return list(replies)[-1]


def test_the_adapter_chosen_is_the_one_that_answers(bank):
    respond = respond_fn(bank)
    expected = {name: direct(bank, name, [], MESSAGE) for name in ("one", "two", None)}
    assert len(set(expected.values())) == 3, expected  # the three answer differently
    for choice, name in (("one", "one"), ("two", "two"), (BASE_CHOICE, None), (None, None)):
        reply = last(respond(Conversation(), MESSAGE, choice, *GREEDY))
        assert reply == expected[name], choice
        assert all(reply != other for key, other in expected.items() if key != name), choice


def test_the_conversation_is_kept_and_continued(bank):
    respond, conversation = respond_fn(bank), Conversation()
    first = last(respond(conversation, MESSAGE, "one", *GREEDY))
    second = last(respond(conversation, "And tomorrow?", "one", *GREEDY))
    assert conversation.messages == [{"role": "user", "content": MESSAGE},
                                     {"role": "assistant", "content": first, "notice": ""},
                                     {"role": "user", "content": "And tomorrow?"},
                                     {"role": "assistant", "content": second, "notice": ""}]
    history = [{"role": "user", "content": MESSAGE}, {"role": "assistant", "content": first}]
    assert second == direct(bank, "one", history, "And tomorrow?")


def test_a_crisis_is_answered_with_the_fixed_reply_and_read_across_turns(bank, caplog):
    import logging

    respond, conversation = respond_fn(bank), Conversation()
    with caplog.at_level(logging.INFO, logger="phyassist.space"):
        assert list(respond(conversation, "I want to kill myself", "one", *GREEDY)) == [crisis_reply()]
    assert "fixed reply, model not called" in caplog.text and "kill myself" not in caplog.text
    assert conversation.messages[-1] == {"role": "assistant", "content": SAFE_REPLY, "notice": crisis_notice()}
    assert last(respond(conversation, "yes, tonight", "one", *GREEDY)) == crisis_reply()  # a short follow-up
    conversation.clear()
    assert not last(respond(conversation, "yes, tonight", "one", *GREEDY)).startswith(crisis_notice())


def test_with_crisis_model_text_the_model_answers_after_the_resources(bank):
    respond = respond_fn(bank, crisis_model_text=True)
    replies = list(respond(Conversation(), "I want to kill myself", "two", *GREEDY))
    assert replies[0] == crisis_notice()  # the resources come first, before any model text
    assert replies[-1] == crisis_notice() + direct(bank, "two", [], "I want to kill myself")


def test_the_generation_bound_applies(bank):
    full = last(respond_fn(bank)(Conversation(), MESSAGE, "one", 0.0, 0.9, 64))
    bounded = last(respond_fn(bank, max_generation_seconds=1e-6)(Conversation(), MESSAGE, "one", 0.0, 0.9, 64))
    assert len(bank.tokenizer(bounded)["input_ids"]) <= 2 < len(bank.tokenizer(full)["input_ids"])


def test_input_errors_are_one_line_and_empty_input_is_ignored(bank):
    respond, conversation = respond_fn(bank), Conversation()
    assert list(respond(conversation, "   ", "one", *GREEDY)) == [""]
    too_long = last(respond(conversation, "a" * 4001, "one", *GREEDY))
    assert too_long == ("\u26a0\ufe0f Your message is 4,001 characters long; the limit is 4,000. "
                        "Please shorten it and send it again.")
    unknown = last(respond(conversation, MESSAGE, "nope", *GREEDY))
    assert unknown == f"\u26a0\ufe0f unknown adapter 'nope'; expected one of: {BASE_CHOICE}, one, two"
    assert conversation.messages == []


def test_a_failed_generation_says_so_and_keeps_the_turn(bank):
    def broken(adapter, input_ids, sampling):
        yield "partial"
        raise RuntimeError("the device fell over")

    conversation = Conversation()
    replies = list(make_respond(bank, SpaceConfig(), broken)(conversation, MESSAGE, "one", *GREEDY))
    assert replies == ["partial", FAILURE] and conversation.messages[-1]["content"] == "partial"
