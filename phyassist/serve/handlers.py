"""The Space's event handlers: the functions Gradio calls, each releasing the session gate as it ends.

``make_handlers(bank, config, gate)`` gives the /chat, /reset and /analyze endpoints and the chat
UI's two steps. The conversation is the session's server-side ``gr.State``: no endpoint takes a history.
Gradio reads the handlers' signatures: their parameter names, defaults and docstrings are the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gradio as gr

from .analyze import make_analyze
from .bank import BASE_CHOICE, AdapterBank, SpaceConfig
from .chat import BOUNDS, Conversation, task_aspects
from .respond import make_generate, make_respond
from .sessions import SessionGate


@dataclass(frozen=True)
class Handlers:
    chat: Callable  # /chat: one message in, the reply out
    chat_ui: Callable  # the UI's streaming step: the Chatbot's messages
    accept: Callable  # the UI's first step: keep the typed message, show it, make the submit button a stop button
    reset: Callable  # /reset
    analyze: Callable  # /analyze


def make_handlers(bank: AdapterBank, config: SpaceConfig, gate: SessionGate) -> Handlers:
    generate = make_generate(bank, config, gate)
    respond = make_respond(bank, config, generate)
    analysis = make_analyze(bank, generate)

    def chat(message: str, adapter: str = BASE_CHOICE, temperature: float = BOUNDS["temperature"][2],
             top_p: float = BOUNDS["top_p"][2], max_new_tokens: int = BOUNDS["max_new_tokens"][2],
             conversation: Conversation | None = None, request: gr.Request = None):
        """Counseling chat: send one message; returns the reply (crisis resources first when needed). The
        session keeps the conversation: later calls of the same client continue it."""
        try:
            yield from respond(conversation, message, adapter, temperature, top_p, max_new_tokens)
        finally:
            gate.release(request)

    def accept(message: str, conversation: Conversation):
        shown = conversation.display() + [{"role": "user", "content": message or ""}]
        return message, gr.Textbox(value="", interactive=False, submit_btn=False, stop_btn=True), shown

    def chat_ui(message: str, adapter: str, temperature: float, top_p: float, max_new_tokens: int,
                conversation: Conversation, request: gr.Request = None):
        try:
            before = conversation.display()
            for reply in respond(conversation, message, adapter, temperature, top_p, max_new_tokens):
                if not (message or "").strip():
                    yield before
                    continue
                yield before + [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        finally:
            gate.release(request)

    def reset(conversation: Conversation):
        """Start a new conversation in this session."""
        conversation.clear()
        return []

    def analyze(post: str, task: str = "DR", aspect: str | None = None, adapter: str = BASE_CHOICE,
                temperature: float = 0.0, top_p: float = BOUNDS["top_p"][2],
                max_new_tokens: int = BOUNDS["max_new_tokens"][2], request: gr.Request = None):
        """IMHI analysis: (crisis notice, "<label>. Reasoning: ..." answer, label badge HTML)."""
        try:
            yield from analysis(post, task, aspect, adapter, temperature, top_p, max_new_tokens)
        finally:
            gate.release(request)

    return Handlers(chat, chat_ui, accept, reset, analyze)


def aspect_update(task: str):
    """The aspect dropdown for ``task``: its aspects, the first chosen, hidden when it has none."""
    aspects = task_aspects(task)
    return gr.update(choices=aspects, value=aspects[0] if aspects else None, visible=bool(aspects))
