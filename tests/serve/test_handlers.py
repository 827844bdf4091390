"""The Space's handlers (phyassist.serve.handlers) on a tiny random Llama with two adapters: what Gradio
reads of them, the session gate released however a handler ends, and the chat UI's steps."""

from __future__ import annotations

import gradio as gr
import pytest
from test_bank import two_adapter_bank

from phyassist.serve.bank import BASE_CHOICE, SpaceConfig
from phyassist.serve.chat import Conversation
from phyassist.serve.handlers import aspect_update, make_handlers
from phyassist.serve.sessions import SessionGate

GREEDY = (0.0, 0.9, 4)


@pytest.fixture(scope="module")
def bank(tiny_llama_dir, tmp_path_factory):
    return two_adapter_bank(tiny_llama_dir, tmp_path_factory.mktemp("handlers"))


@pytest.fixture
def gate():
    return SessionGate()


@pytest.fixture
def handlers(bank, gate):
    return make_handlers(bank, SpaceConfig(), gate)


def busy(gate, session="s1") -> gr.Request:
    gate.busy.add(session)
    return gr.Request(session_hash=session)


def test_gradio_injects_the_request_and_reads_the_api_from_the_signatures(handlers):
    """A hint Gradio cannot resolve would leave ``request`` None, and the gate would never release a session."""
    import inspect

    from gradio.utils import get_type_hints

    for fn in (handlers.chat, handlers.chat_ui, handlers.analyze):
        assert get_type_hints(fn)["request"] is gr.Request, fn.__name__
    chat = inspect.signature(handlers.chat).parameters
    assert list(chat)[:5] == ["message", "adapter", "temperature", "top_p", "max_new_tokens"]
    assert chat["adapter"].default == BASE_CHOICE and handlers.chat.__doc__.startswith("Counseling chat")
    analyze = inspect.signature(handlers.analyze).parameters
    assert [(n, p.default) for n, p in list(analyze.items())[1:5]] == [
        ("task", "DR"), ("aspect", None), ("adapter", BASE_CHOICE), ("temperature", 0.0)]


def test_chat_answers_continues_the_session_and_releases_it(handlers, gate):
    conversation = Conversation()
    reply = list(handlers.chat("Hello there.", "one", *GREEDY, conversation, busy(gate)))[-1]
    assert reply.strip() and not gate.busy
    assert conversation.messages[-1]["content"] == reply
    assert handlers.reset(conversation) == [] and conversation.messages == []


def test_a_stopped_or_failed_handler_still_releases_the_session(handlers, gate):
    stream = handlers.chat("Tell me a story.", "one", 0.0, 0.9, 64, Conversation(), busy(gate))
    next(stream)
    stream.close()  # Gradio's stop button closes the generator
    assert not gate.busy
    assert list(handlers.chat("Hi", "nope", *GREEDY, Conversation(), busy(gate)))[-1].startswith("\u26a0\ufe0f")
    assert not gate.busy
    notice, answer, badge = list(handlers.analyze("I feel low.", "DR", None, "two", *GREEDY, busy(gate)))[-1]
    assert answer.strip() and 'id="label-badge"' in badge and not gate.busy


def test_the_chat_ui_shows_the_typed_message_then_the_streamed_reply(handlers, gate):
    conversation = Conversation()
    conversation.add("Earlier", "Answer")
    typed, box, shown = handlers.accept("How are you?", conversation)
    assert typed == "How are you?" and shown[-1] == {"role": "user", "content": "How are you?"}
    assert box.value == "" and box.interactive is False and box.stop_btn is True  # the submit button stops
    steps = list(handlers.chat_ui(typed, "one", *GREEDY, conversation, busy(gate)))
    assert steps[-1][:3] == shown and steps[-1][3]["role"] == "assistant" and steps[-1][3]["content"].strip()
    assert conversation.display() == steps[-1] and not gate.busy
    assert list(handlers.chat_ui("  ", "one", *GREEDY, conversation, None)) == [conversation.display()]


def test_the_aspect_dropdown_follows_the_task():
    multiwd = aspect_update("MultiWD")
    assert multiwd["visible"] is True and multiwd["value"] == multiwd["choices"][0]
    assert aspect_update("DR") == gr.update(choices=[], value=None, visible=False)
