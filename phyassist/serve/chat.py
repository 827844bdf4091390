"""Prompts and streaming generation for the demo: counseling chat and IMHI analysis.

- ``chat_input_ids``: a multi-turn conversation rendered through the tokenizer's chat template,
  oldest turns dropped when the prompt would exceed ``MAX_PROMPT_TOKENS``.
- ``analysis_query``: the IMHI instruction query for a post and a task, in the release's style
  ``Consider this post: "..." Question: ...`` (questions from ``phyassist.data.tasks``).
- ``stream_generate``: tokens from a ``TextIteratorStreamer`` fed by ``generate`` in a thread,
  stoppable through an event; sampling settings are clamped to ``BOUNDS``.

Models come from ``phyassist.serve.bank``; crisis screening is ``phyassist.serve.safety``'s.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ..data.tasks import get_task
from ..errors import UserError
from .safety import strip_crisis_notice

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 4000
MAX_PROMPT_TOKENS = 1536
SYSTEM_PROMPT = (
    "You are a supportive, careful counseling assistant. Listen, reflect the person's feelings, offer "
    "practical coping ideas, and encourage professional help when it would help. You are not a "
    "therapist and you do not diagnose."
)
# name -> (low, high, default)
BOUNDS = {
    "temperature": (0.0, 1.5, 0.7),
    "top_p": (0.05, 1.0, 0.9),
    "max_new_tokens": (1, 512, 256),
    "repetition_penalty": (1.0, 2.0, 1.1),
}
@dataclass(frozen=True)
class Sampling:
    temperature: float = BOUNDS["temperature"][2]
    top_p: float = BOUNDS["top_p"][2]
    max_new_tokens: int = BOUNDS["max_new_tokens"][2]
    repetition_penalty: float = BOUNDS["repetition_penalty"][2]

    @classmethod
    def clamped(cls, **values) -> "Sampling":
        """Settings from any user input: None means the default, numbers are clipped into ``BOUNDS``."""
        out = {}
        for name, (low, high, default) in BOUNDS.items():
            value = values.get(name)
            try:
                value = default if value is None else float(value)
            except (TypeError, ValueError):
                value = default
            value = default if value != value else min(max(value, low), high)  # NaN -> default
            out[name] = int(round(value)) if name == "max_new_tokens" else value
        return cls(**out)

    def generate_kwargs(self) -> dict:
        if self.temperature < 0.01:  # a temperature this low means greedy decoding
            return {"do_sample": False, "max_new_tokens": self.max_new_tokens,
                    "repetition_penalty": self.repetition_penalty}
        return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p,
                "max_new_tokens": self.max_new_tokens, "repetition_penalty": self.repetition_penalty}


def check_input(text: str | None, what: str = "message") -> str | None:
    """The stripped text, None when empty; a UserError naming the limit when too long."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_INPUT_CHARS:
        raise UserError(f"Your {what} is {len(text):,} characters long; the limit is {MAX_INPUT_CHARS:,}. "
                        "Please shorten it and send it again.")
    return text


def message_text(content) -> str:
    """Plain text of a Gradio message content (a string, or a list of text parts / files)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return " ".join(filter(None, (message_text(part) for part in content)))
    return ""


def chat_messages(history: list[dict] | None, message: str, system: str | None = SYSTEM_PROMPT) -> list[dict]:
    """OpenAI-style messages for the chat template: system, past turns (crisis notices removed), message."""
    messages = [{"role": "system", "content": system}] if system else []
    for turn in history or []:
        role = turn.get("role") if isinstance(turn, dict) else None
        text = message_text(turn.get("content")) if role else ""
        if role == "assistant":
            text = strip_crisis_notice(text)
        if role in ("user", "assistant") and text.strip():
            messages.append({"role": role, "content": text})
    messages.append({"role": "user", "content": message})
    return messages


def chat_input_ids(tokenizer, messages: list[dict], max_tokens: int = MAX_PROMPT_TOKENS):
    """Token ids of the conversation with a generation prompt; drops the oldest turns to fit ``max_tokens``."""
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    turns = messages[len(system):]
    while True:
        ids = tokenizer.apply_chat_template(system + turns, add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)["input_ids"]
        if ids.shape[-1] <= max_tokens or len(turns) <= 1:
            return ids[:, -max_tokens:]
        turns = turns[2:] if len(turns) > 2 else turns[-1:]


def task_aspects(task: str) -> list[str]:
    """The aspects a task asks about separately (Irf's risks, MultiWD's dimensions); [] for the others."""
    return get_task(task).aspects


def analysis_query(task: str, post: str, aspect: str | None = None) -> str:
    """The IMHI instruction query: ``Consider this post: "<post>" Question: <task question>``."""
    spec = get_task(task)
    question = spec.question
    if isinstance(question, dict):
        if aspect not in question:
            aspect = aspect or "(none)"
            raise UserError(f"task {spec.name} needs an aspect: one of {', '.join(question)}; got {aspect}")
        question = question[aspect]
    return f'Consider this post: "{post.strip()}" Question: {question}'


def analysis_input_ids(tokenizer, query: str, max_tokens: int = MAX_PROMPT_TOKENS):
    """The query as one user turn (how IMHI adapters are trained), cut from the left to ``max_tokens``."""
    return chat_input_ids(tokenizer, [{"role": "user", "content": query}], max_tokens)


class GenerationFailed(RuntimeError):
    """``generate`` raised in its thread; the original error is logged and chained."""


def stream_generate(bank, adapter: str | None, input_ids, sampling: Sampling, stop: threading.Event | None = None):
    """Yield the reply text so far, token by token, with ``adapter`` active; setting ``stop`` ends it early.

    Closing the generator (Gradio's stop button) also stops the generation thread.
    """
    import torch
    from transformers import (
        StoppingCriteria,
        StoppingCriteriaList,
        TextIteratorStreamer,
    )

    stop = stop or threading.Event()
    adapter = bank.check(adapter)

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return stop.is_set()

    streamer = TextIteratorStreamer(bank.tokenizer, skip_prompt=True, skip_special_tokens=True)
    errors: list[BaseException] = []

    def work():
        try:
            with bank.use(adapter) as model, torch.inference_mode():
                ids = input_ids.to(model.device)
                model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids), streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_Stop()]),
                    pad_token_id=bank.tokenizer.pad_token_id, eos_token_id=bank.tokenizer.eos_token_id,
                    **sampling.generate_kwargs(),
                )
        except BaseException as error:  # reported to the caller; never leave the streamer hanging
            errors.append(error)
            streamer.end()

    thread = threading.Thread(target=work, name="phyassist-generate", daemon=True)
    thread.start()
    text = ""
    try:
        for piece in streamer:
            text += piece
            yield text
    finally:
        stop.set()  # a consumer that stopped early (Gradio's stop button) ends generate at the next token
    thread.join()  # the streamer ended, so generate has returned or is returning
    if errors:
        logger.error("Generation failed", exc_info=errors[0])
        raise GenerationFailed("generation failed; see the server log") from errors[0]
