"""The Space's chat reply: the model call every request makes, and ``respond``, one chat turn.

``make_generate`` bounds the model call (``SpaceConfig.max_generation_seconds``), ends it after the
fair share once another session waits, and puts it on a GPU on ZeroGPU. ``make_respond`` screens the
conversation for a crisis before the model is called and records each exchange on the server.
"""

from __future__ import annotations

import logging

from ..errors import UserError
from .bank import AdapterBank, SpaceConfig
from .chat import Conversation, Sampling, chat_input_ids, chat_messages, check_input, stream_generate
from .safety import SAFE_REPLY, crisis_notice, crisis_reply, screen_conversation
from .zerogpu import GPU_SLACK_SECONDS, on_gpu, outside_worker

logger = logging.getLogger("phyassist.space")  # the Space's log lines, under one name
FAILURE = "Sorry, the model could not produce an answer. The error was logged on the server; please try again."
WARNING = "\u26a0\ufe0f "  # before a one-line error the person can act on


def clamped_sampling(temperature, top_p, max_new_tokens) -> Sampling:
    """The sampling settings of a request, clamped into ``BOUNDS``."""
    return Sampling.clamped(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens)


def make_generate(bank: AdapterBank, config: SpaceConfig, gate=None):
    """The one model call of every request, ``generate(adapter, input_ids, sampling)``: streamed text,
    bounded by ``config.max_generation_seconds`` and ended after ``config.fair_share_seconds`` once
    another session's request waits (``gate.others_waiting``). Whether one waits is read here, outside the
    GPU call, and passed in: on ZeroGPU that call runs in a forked worker whose copy of the queue is stale."""
    def generate_on_gpu(adapter: str | None, input_ids, sampling: Sampling, others_waiting=False):
        """``others_waiting``: as the caller read it (a bool, on ZeroGPU), or how to read it as the reply runs."""
        ask = others_waiting if callable(others_waiting) else (lambda: others_waiting)
        yield from stream_generate(bank, adapter, input_ids, sampling, max_time=config.max_generation_seconds,
                                   yield_to=ask if gate else None, fair_share=config.fair_share_seconds)

    on_device = on_gpu(generate_on_gpu, config.max_generation_seconds + GPU_SLACK_SECONDS)

    def generate(adapter: str | None, input_ids, sampling: Sampling):
        waiting = outside_worker(gate.others_waiting) if gate else False  # read as the reply starts
        yield from on_device(adapter, input_ids, sampling, others_waiting=waiting)

    return generate


def make_respond(bank: AdapterBank, config: SpaceConfig, generate):
    def respond(conversation: Conversation, message, adapter, temperature, top_p, max_new_tokens):
        """Yield the reply as shown so far, recording the exchange in the session's ``conversation``.

        When the crisis screen fires on the recent user turns plus this message, the answer is the
        crisis resources and a fixed supportive reply, and the model is not called (with
        ``config.crisis_model_text``, model text follows the resources instead).
        """
        try:
            text = check_input(message)
            if text is None:  # empty input is ignored
                yield ""
                return
            adapter = bank.check(adapter)
        except UserError as error:
            yield WARNING + bank.scrub(str(error))
            return
        notice = ""
        if screen_conversation([*conversation.user_turns(), text]):
            notice = crisis_notice()
            logger.info("Crisis screen fired on a chat message (%s).",
                        "model text follows" if config.crisis_model_text else "fixed reply, model not called")
            if not config.crisis_model_text:
                conversation.add(text, SAFE_REPLY, notice)
                yield crisis_reply()
                return
            yield notice  # resources first, before any model text
        try:
            ids = chat_input_ids(bank.tokenizer, chat_messages(conversation.messages, text))
        except UserError as error:
            if notice:  # a crisis turn stays in the history the screen reads
                conversation.add(text, "", notice)
            yield notice + WARNING + bank.scrub(str(error))
            return
        turn = conversation.add(text, notice=notice)  # recorded now: a stopped reply keeps what was shown
        try:
            for reply in generate(adapter, ids, clamped_sampling(temperature, top_p, max_new_tokens)):
                turn["content"] = reply
                yield notice + reply
        except UserError as error:
            yield notice + WARNING + bank.scrub(str(error))
        except Exception:
            logger.exception("Chat generation failed")
            yield notice + FAILURE

    return respond
