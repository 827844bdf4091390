"""Prompts and streaming generation for the demo: counseling chat and IMHI analysis.

- ``Conversation``: one session's chat, kept on the server (the client sends only its new message),
  capped at the last ``MAX_HISTORY_MESSAGES`` messages.
- ``chat_input_ids``: the conversation through the tokenizer's chat template within ``MAX_PROMPT_TOKENS``:
  the system prompt and the latest message always stay, earlier turns are added newest first while
  they fit, each tokenized once; a latest message too long on its own is refused with one line.
- ``analysis_query``: the IMHI instruction query for a post and a task, in the release's style
  ``Consider this post: "..." Question: ...`` (questions from ``phyassist.data.tasks``).
- ``stream_generate``: tokens from a ``TextIteratorStreamer`` fed by ``generate`` in a thread,
  stoppable through an event and bounded by ``max_time``; sampling settings are clamped to ``BOUNDS``.

Models come from ``phyassist.serve.bank``.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

from ..data.tasks import get_task
from ..errors import UserError

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 4000
MAX_PROMPT_TOKENS = 1536
MAX_HISTORY_MESSAGES = 16  # the last 8 exchanges of a session
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
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        return None
    if len(text) > MAX_INPUT_CHARS:
        raise UserError(f"Your {what} is {len(text):,} characters long; the limit is {MAX_INPUT_CHARS:,}. "
                        "Please shorten it and send it again.")
    return text


@dataclass
class Conversation:
    """One session's chat on the server: user and assistant messages, oldest dropped past ``max_messages``.

    An assistant message's ``notice`` (crisis resources) is shown to the person before its ``content``
    but never given to the model as its own words.
    """

    max_messages: int = MAX_HISTORY_MESSAGES
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if self.max_messages < 2 or self.max_messages % 2:
            raise UserError(f"`max_messages` must be an even number >= 2, got {self.max_messages}.")

    def add(self, user: str, reply: str = "", notice: str = "") -> dict:
        """Record an exchange; returns the assistant message, whose ``content`` streaming then updates."""
        self.messages += [{"role": "user", "content": user},
                          {"role": "assistant", "content": reply, "notice": notice}]
        del self.messages[:-self.max_messages]
        return self.messages[-1]

    def user_turns(self) -> list[str]:
        return [m["content"] for m in self.messages if m["role"] == "user"]

    def display(self) -> list[dict]:
        """The messages as the Chatbot shows them (notice first)."""
        return [{"role": m["role"], "content": m.get("notice", "") + m["content"]} for m in self.messages]

    def clear(self) -> None:
        self.messages.clear()


def chat_messages(history: list[dict] | None, message: str, system: str | None = SYSTEM_PROMPT) -> list[dict]:
    """OpenAI-style messages for the chat template: system, past user/assistant turns, the new message.

    Any other role (a forged system or tool turn) and empty turns are left out.
    """
    messages = [{"role": "system", "content": system}] if system else []
    for turn in history or []:
        role = turn.get("role") if isinstance(turn, dict) else None
        text = turn.get("content") if role in ("user", "assistant") else None
        if isinstance(text, str) and text.strip():
            messages.append({"role": role, "content": text})
    messages.append({"role": "user", "content": message})
    return messages


def defuse(tokenizer, text: str) -> str:
    """``text`` with the tokenizer's special and added tokens replaced by a space: a message containing
    ``<|im_start|>system`` would otherwise open a real system turn once the template is tokenized."""
    specials = sorted({*tokenizer.all_special_tokens, *tokenizer.get_added_vocab()}, key=len, reverse=True)
    specials = [s for s in specials if s.strip()]
    return re.sub("|".join(map(re.escape, specials)), " ", text) if specials else text


def _render(tokenizer, messages: list[dict]):
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)["input_ids"]


def _n_tokens(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def chat_input_ids(tokenizer, messages: list[dict], max_tokens: int = MAX_PROMPT_TOKENS, what: str = "message"):
    """Token ids of the conversation with a generation prompt, at most ``max_tokens`` long.

    The system prompt and the latest message always stay; a latest message that cannot fit beside the
    system prompt is a UserError (cutting it would change what the person said). Earlier turns are
    added newest first while they fit: each is tokenized once, with the template's per-turn cost
    measured once, and the template renders at most four times, so the time is linear in what is kept.
    """
    system = [messages[0]] if messages and messages[0]["role"] == "system" else []
    *past, latest = messages[len(system):]
    latest = {"role": latest["role"], "content": defuse(tokenizer, latest["content"])}
    fixed = _render(tokenizer, system + [latest])
    if fixed.shape[-1] > max_tokens:
        n_latest = _n_tokens(tokenizer, latest["content"])
        limit = max(max_tokens - (fixed.shape[-1] - n_latest), 0)
        raise UserError(f"Your {what} is {n_latest:,} tokens long for this model; the limit is {limit:,}. "
                        "Please shorten it and send it again.")
    if not past:
        return fixed
    # the template's tokens around one user + assistant pair (whose texts "x" and "y" are a token each),
    # halved and rounded up per turn, plus one for tokens that merge differently inside the template
    probe = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    pair = _render(tokenizer, system + probe + [latest]).shape[-1] - fixed.shape[-1] - 2
    per_turn = -(-pair // 2) + 1
    budget, kept, costs = max_tokens - fixed.shape[-1], [], []
    for turn in reversed(past):
        turn = {"role": turn["role"], "content": defuse(tokenizer, turn["content"])}
        cost = _n_tokens(tokenizer, turn["content"]) + per_turn
        if cost > budget:
            break
        budget -= cost
        kept.append(turn)
        costs.append(cost)
    kept.reverse()
    costs.reverse()
    while kept and kept[0]["role"] != "user":  # the kept history starts on a user turn
        kept.pop(0)
        costs.pop(0)
    if not kept:
        return fixed
    ids = _render(tokenizer, system + kept + [latest])
    if ids.shape[-1] > max_tokens:  # the estimate was short: drop enough of the oldest turns, render once more
        excess = ids.shape[-1] - max_tokens
        while kept and excess > 0:
            excess -= costs.pop(0)
            kept.pop(0)
        while kept and kept[0]["role"] != "user":
            kept.pop(0)
        ids = _render(tokenizer, system + kept + [latest]) if kept else fixed
    return ids if ids.shape[-1] <= max_tokens else fixed


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
    """The query as one user turn (how IMHI adapters are trained); a UserError when over ``max_tokens``."""
    return chat_input_ids(tokenizer, [{"role": "user", "content": query}], max_tokens, what="post")


class GenerationFailed(RuntimeError):
    """``generate`` raised in its thread; the original error is logged and chained."""


PREEMPTED_NOTE = "\n\n*(Cut short because other people are waiting; ask me to go on.)*"


def stream_generate(bank, adapter: str | None, input_ids, sampling: Sampling, stop: threading.Event | None = None,
                    max_time: float | None = None, yield_to=None, fair_share: float | None = None):
    """Yield the reply text so far, token by token, with ``adapter`` active; setting ``stop`` ends it early.

    ``max_time`` bounds the seconds ``generate`` runs once it holds the model (its ``MaxTimeCriteria``):
    the reply then ends where it got to. Closing the generator (Gradio's stop button) also stops the
    generation thread. ``yield_to()`` (true while someone else waits for the model) ends a reply that
    has generated for ``fair_share`` seconds, with ``PREEMPTED_NOTE``: a long answer cannot hold up others.
    """
    import time

    import torch
    from transformers import (
        StoppingCriteria,
        StoppingCriteriaList,
        TextIteratorStreamer,
    )

    stop = stop or threading.Event()
    adapter = bank.check(adapter)

    started: list[float] = []
    preempted = threading.Event()

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            if stop.is_set():
                return True
            if yield_to is not None and fair_share is not None and started \
                    and time.monotonic() - started[0] > fair_share and yield_to():
                preempted.set()
                return True
            return False

    streamer = TextIteratorStreamer(bank.tokenizer, skip_prompt=True, skip_special_tokens=True)
    errors: list[BaseException] = []

    def work():
        try:
            with bank.use(adapter) as model, torch.inference_mode():
                started.append(time.monotonic())
                ids = input_ids.to(model.device)
                model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids), streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_Stop()]),
                    pad_token_id=bank.tokenizer.pad_token_id, eos_token_id=bank.tokenizer.eos_token_id,
                    max_time=max_time, **sampling.generate_kwargs(),
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
    if preempted.is_set() and not errors:
        yield text + PREEMPTED_NOTE
    if errors:
        logger.error("Generation failed", exc_info=errors[0])
        raise GenerationFailed("generation failed; see the server log") from errors[0]
