"""phyassist demo Space: one base model with hot-switched LoRA adapters, counseling chat and IMHI analysis.

Run locally (Gradio's GRADIO_SERVER_NAME / GRADIO_SERVER_PORT apply):

    python space/app.py
    PHYASSIST_ADAPTERS="mine=outputs/my-adapter" python space/app.py

Configuration: ``adapters.yaml`` next to this file (or ``$PHYASSIST_ADAPTERS_CONFIG``), each key overridden
by ``PHYASSIST_<KEY>`` (``PHYASSIST_BASE_MODEL``, ``PHYASSIST_ADAPTERS="name=hub_id_or_path,..."``,
``PHYASSIST_MAX_GENERATION_SECONDS``, ``PHYASSIST_CRISIS_MODEL_TEXT``, ``PHYASSIST_QUEUE_SIZE``).

The conversation lives on the server, one per session: every endpoint takes only the new message (and
the adapter and sampling settings), never a history, so a client cannot forge turns or send a
thousand of them. Scripted use: ``Client(url).predict("Hi", api_name="/chat")``; ``/reset`` clears.
"""

from __future__ import annotations

import html
import logging
import math
import os
import sys
from pathlib import Path


def zero_gpu() -> bool:
    """A ZeroGPU Space: ``SPACES_ZERO_GPU`` is true (as ``spaces.config`` reads it: 1, t or true) and
    the ``spaces`` package imports."""
    if os.environ.get("SPACES_ZERO_GPU", "").strip().lower() not in ("1", "t", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


zero_gpu()  # on ZeroGPU, `spaces` is imported before torch so that it can patch CUDA initialisation

try:
    import phyassist  # noqa: F401  (installed by requirements.txt on a Space, editable locally)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr

from phyassist.data.tasks import TASKS
from phyassist.errors import UserError
from phyassist.evaluation.labels import ClassifiersNotFound, make_labeler
from phyassist.serve.bank import BASE_CHOICE, AdapterBank, SpaceConfig, load_config
from phyassist.serve.chat import (
    BOUNDS,
    MAX_INPUT_CHARS,
    Conversation,
    Sampling,
    analysis_input_ids,
    analysis_query,
    chat_input_ids,
    chat_messages,
    check_input,
    stream_generate,
    task_aspects,
)
from phyassist.serve.safety import (
    DISCLAIMER,
    SAFE_REPLY,
    crisis_notice,
    crisis_reply,
    detect_crisis,
    screen_conversation,
)

logger = logging.getLogger("phyassist.space")
HERE = Path(__file__).resolve().parent
FAILURE = "Sorry, the model could not produce an answer. The error was logged on the server; please try again."
BUSY = "One request at a time: please wait for the answer to your previous message."
MODEL_QUEUE = "model"  # the concurrency group of every event that generates: one first-come line to the model
SESSIONS_KEPT = 2000  # sessions whose conversation the server holds (least recently used dropped first)
GPU_SLACK_SECONDS = 15  # ZeroGPU duration beyond the generation bound: adapter switch, prefill, transfer
EXAMPLES = [
    "I've been feeling really anxious before work every morning. How can I calm down?",
    "My partner and I keep arguing about small things. What can we do?",
    "I can't sleep because I keep overthinking everything I said during the day.",
]
POST_EXAMPLES = [
    ["I haven't left my room in weeks. Nothing feels worth doing and I sleep all day.", "DR", None],
    ["Finals are next week, I have three papers due and my part-time job won't give me time off.", "SAD", None],
    ["I started volunteering at the library and I love helping people find books.", "MultiWD", "social"],
]


def adapter_status(bank: AdapterBank) -> str:
    lines = [f"**Base model:** `{bank.scrub(bank.preset.hub_id)}` · **adapters loaded:** "
             + (", ".join(f"`{n}`" for n in bank.names) or "none")]
    for name, reason in bank.failed.items():
        lines.append(f"- \u26a0\ufe0f adapter `{name}` could not be loaded: {html.escape(bank.scrub(reason))}")
    for name, note in bank.warnings.items():
        lines.append(f"- adapter `{name}`: {html.escape(bank.scrub(note))}")
    return "\n".join(lines)


def _sampling(temperature, top_p, max_new_tokens) -> Sampling:
    return Sampling.clamped(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens)


def on_gpu(fn, seconds: float):
    """``fn`` under ``spaces.GPU(duration=seconds)`` on a ZeroGPU Space (it gets a GPU while it runs), else ``fn``."""
    if not zero_gpu():
        return fn
    import spaces

    return spaces.GPU(duration=math.ceil(seconds))(fn)


def make_generate(bank: AdapterBank, config: SpaceConfig, gate: "SessionGate | None" = None):
    """The one model call of every request: streamed text, bounded by ``config.max_generation_seconds``,
    and ended after ``config.fair_share_seconds`` once another session's request waits (``gate``)."""
    def generate(adapter: str | None, input_ids, sampling: Sampling):
        yield from stream_generate(bank, adapter, input_ids, sampling, max_time=config.max_generation_seconds,
                                   yield_to=gate.others_waiting if gate else None, fair_share=config.fair_share_seconds)

    return on_gpu(generate, config.max_generation_seconds + GPU_SLACK_SECONDS)


class SessionGate:
    """One model request per session at a time, enforced when a request joins the queue.

    Gradio bounds how many events run, not how many one session puts in line, so one client could
    queue dozens of maximal requests ahead of everyone else. ``install`` wraps the queue's ``push``
    (Gradio has no hook there): a session is marked busy as its request joins and released by the
    handler as it ends, before Gradio reports completion, and a second request meanwhile is refused
    with a validation message. A mark is dropped as stale once Gradio holds no event of that session
    in the group (a request cancelled while waiting never reaches its handler). Requests without a
    session hash cannot be told apart and are not gated: the queue's size still bounds them.
    """

    def __init__(self, concurrency_id: str = MODEL_QUEUE):
        self.concurrency_id = concurrency_id
        self.busy: set[str] = set()
        self.joining: set[str] = set()

    def others_waiting(self) -> bool:
        """True while a request of this group waits in Gradio's queue (the running one is not in it)."""
        queue = getattr(self, "queue", None)
        waiting = queue.event_queue_per_concurrency_id.get(self.concurrency_id) if queue is not None else None
        return bool(waiting is not None and waiting.queue)

    def release(self, request: gr.Request | None) -> None:
        if request is not None and request.session_hash:
            self.busy.discard(request.session_hash)

    def _held(self, queue, session: str) -> bool:
        return any(e.session_hash == session and e.concurrency_id == self.concurrency_id
                   for e in list(queue.event_ids_to_events.values()))

    def install(self, demo: gr.Blocks) -> None:
        queue, push = demo._queue, demo._queue.push
        self.queue = queue

        async def push_one_per_session(body, request, username):
            fn = demo.fns.get(body.fn_index) if body.fn_index is not None else None
            session = body.session_hash
            if fn is None or fn.concurrency_id != self.concurrency_id or not session:
                return await push(body=body, request=request, username=username)
            if session in self.busy and (session in self.joining or self._held(queue, session)):
                refusal = {"__type__": "validate", "is_valid": False, "message": BUSY, "parameter_name": "message"}
                return False, [refusal], "validator_error"
            self.busy.add(session)
            self.joining.add(session)
            try:
                result = await push(body=body, request=request, username=username)
            except BaseException:
                self.busy.discard(session)
                raise
            finally:
                self.joining.discard(session)
            if not result[0]:
                self.busy.discard(session)
            return result

        queue.push = push_one_per_session


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
            yield f"\u26a0\ufe0f {bank.scrub(str(error))}"
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
            yield f"{notice}\u26a0\ufe0f {bank.scrub(str(error))}"
            return
        turn = conversation.add(text, notice=notice)  # recorded now: a stopped reply keeps what was shown
        try:
            for reply in generate(adapter, ids, _sampling(temperature, top_p, max_new_tokens)):
                turn["content"] = reply
                yield notice + reply
        except UserError as error:
            yield f"{notice}\u26a0\ufe0f {bank.scrub(str(error))}"
        except Exception:
            logger.exception("Chat generation failed")
            yield notice + FAILURE

    return respond


def make_chat_fns(bank: AdapterBank, config: SpaceConfig, generate, gate: SessionGate):
    """(chat, chat_ui, accept, reset): the /chat endpoint, the UI's streaming handler, the UI's first step
    (keep the typed message, show it, turn the submit button into a stop button) and /reset."""
    respond = make_respond(bank, config, generate)

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

    return chat, chat_ui, accept, reset


def infer_label(task: str, answer: str, query: str | None = None) -> tuple[str | None, str]:
    """(label, how): the published classifiers as the metric uses them; the parser alone, said so on the
    badge, when this Space cannot reach them."""
    try:
        labeler = make_labeler(task, "learned")
    except ClassifiersNotFound:
        labeler = make_labeler(task, "strict")
    return labeler([answer], [query])[0], labeler.method


def _badge(label: str | None, method: str = "learned") -> str:
    how = " (parser only)" if method == "strict" else ""
    if label is None:
        text, kind = f"label: unparsed{how}", "none"
    else:
        text, kind = f"label: {label}{how}", "ok"
    return f'<span class="phy-badge phy-badge-{kind}" id="label-badge">{html.escape(text)}</span>'


def make_analyze_fn(bank: AdapterBank, generate, gate: SessionGate):
    def analyze(post: str, task: str = "DR", aspect: str | None = None, adapter: str = BASE_CHOICE,
                temperature: float = 0.0, top_p: float = BOUNDS["top_p"][2],
                max_new_tokens: int = BOUNDS["max_new_tokens"][2], request: gr.Request = None):
        """IMHI analysis: (crisis notice, "<label>. Reasoning: ..." answer, label badge HTML)."""
        try:
            yield from _analyze(post, task, aspect, adapter, temperature, top_p, max_new_tokens)
        finally:
            gate.release(request)

    def _analyze(post, task, aspect, adapter, temperature, top_p, max_new_tokens):
        try:
            text = check_input(post, "post")
            if text is None:
                yield "", "", ""
                return
            if task_aspects(task) and not aspect:
                aspect = task_aspects(task)[0]
            query = analysis_query(task, text, aspect or None)
            adapter = bank.check(adapter)
        except UserError as error:
            yield "", f"\u26a0\ufe0f {bank.scrub(str(error))}", ""
            return
        notice = crisis_notice() if detect_crisis(text) else ""  # a post is analysed, resources shown above
        if notice:
            logger.info("Crisis screen fired on an analysed post.")
            yield notice, "", ""
        answer = ""
        try:
            ids = analysis_input_ids(bank.tokenizer, query)
            for answer in generate(adapter, ids, _sampling(temperature, top_p, max_new_tokens)):
                yield notice, answer, ""
        except UserError as error:
            yield notice, f"\u26a0\ufe0f {bank.scrub(str(error))}", ""
            return
        except Exception:
            logger.exception("Analysis failed")
            yield notice, FAILURE, ""
            return
        try:
            label, method = infer_label(task, answer, query=query)
            yield notice, answer, _badge(label, method)
        except Exception:  # the answer stands; only the badge is missing
            logger.exception("Label inference failed")
            yield notice, answer, '<span class="phy-badge phy-badge-none" id="label-badge">label: unavailable</span>'

    return analyze


def _aspect_update(task: str):
    aspects = task_aspects(task)
    return gr.update(choices=aspects, value=aspects[0] if aspects else None, visible=bool(aspects))


CSS = """
#disclaimer {border-left: 4px solid #d97706; padding: 0.3em 0.8em; background: rgba(217,119,6,0.08);}
.phy-badge {display: inline-block; padding: 0.25em 0.8em; border-radius: 999px; font-weight: 600;}
.phy-badge-ok {background: #dcfce7; color: #166534;} .phy-badge-none {background: #e5e7eb; color: #374151;}
"""


def build_app(bank: AdapterBank, config: SpaceConfig | None = None) -> gr.Blocks:
    """The Blocks app, its queue set: every generating event in one line of ``config.queue_size``, one
    request per session at a time, no queue-skipping REST route."""
    config = config or SpaceConfig()
    gate = SessionGate(MODEL_QUEUE)
    generate = make_generate(bank, config, gate)
    chat_fn, chat_ui, accept, reset = make_chat_fns(bank, config, generate, gate)
    default_adapter = bank.names[0] if bank.names else BASE_CHOICE
    lo_t, hi_t, _ = BOUNDS["temperature"]
    lo_p, hi_p, def_p = BOUNDS["top_p"]
    lo_n, hi_n, def_n = BOUNDS["max_new_tokens"]
    with gr.Blocks(title="phyassist: mental-health assistant demo") as demo:
        gr.Markdown("# phyassist\nLoRA adapters for mental-health analysis and counseling, on one base model.")
        gr.Markdown(DISCLAIMER, elem_id="disclaimer")
        gr.Markdown(adapter_status(bank), elem_id="adapter-status")
        adapter = gr.Dropdown(bank.choices, value=default_adapter, label="Adapter", elem_id="adapter-choice",
                              info="Switching is instant: all adapters share one base model.")
        with gr.Accordion("Sampling", open=False):
            temperature = gr.Slider(lo_t, hi_t, value=BOUNDS["temperature"][2], step=0.05, label="Temperature (0 = greedy)")
            top_p = gr.Slider(lo_p, hi_p, value=def_p, step=0.05, label="Top-p")
            max_new_tokens = gr.Slider(lo_n, hi_n, value=def_n, step=1, label="Max new tokens")
        sampling = [adapter, temperature, top_p, max_new_tokens]
        conversation = gr.State(Conversation())  # a copy per session, on the server; no client sends it
        with gr.Tab("Counseling chat"):
            chatbot = gr.Chatbot(elem_id="chatbot", height=420, label="Chat")  # an output only
            textbox = gr.Textbox(placeholder=f"Type a message (up to {MAX_INPUT_CHARS:,} characters)", show_label=False,
                                 elem_id="chat-input", submit_btn=True, stop_btn=False)
            typed = gr.State()  # the message between the UI's first step and its generation
            with gr.Row():
                new_chat = gr.Button("New conversation", elem_id="chat-reset", size="sm")
            gr.Examples(EXAMPLES, inputs=[textbox], label="Examples")

            shown = textbox.submit(accept, [textbox, conversation], [typed, textbox, chatbot], queue=False,
                                   api_visibility="private")
            reply = shown.then(chat_ui, [typed, *sampling, conversation], [chatbot], api_visibility="private",
                               concurrency_id=MODEL_QUEUE, show_progress="hidden")
            reply.then(lambda: gr.Textbox(interactive=True, submit_btn=True, stop_btn=False), None, [textbox],
                       queue=False, api_visibility="private")
            textbox.stop(None, None, None, cancels=[reply], api_visibility="private")
            new_chat.click(reset, [conversation], [chatbot], api_name="reset",
                           api_description="Clear this session's conversation.")
            api_reply = gr.Textbox(visible=False)
            gr.Button(visible=False).click(
                chat_fn, [textbox, *sampling, conversation], [api_reply], api_name="chat", concurrency_id=MODEL_QUEUE,
                api_description="Send a message; returns the reply text (crisis resources first when needed). "
                                "The session keeps the conversation; /reset clears it.")
        with gr.Tab("IMHI analysis"):
            with gr.Row():
                post = gr.Textbox(lines=6, label="Post", placeholder="Paste a social-media post", elem_id="post")
                with gr.Column():
                    task = gr.Dropdown([(f"{n}: {t.description}", n) for n, t in TASKS.items()],
                                       value="DR", label="Task", elem_id="task")
                    # every task's aspects, so API calls validate; the task's change narrows them in the UI
                    all_aspects = sorted({a for t in TASKS.values() for a in t.aspects})
                    aspect = gr.Dropdown(all_aspects, value=None, label="Aspect", visible=False, elem_id="aspect",
                                         allow_custom_value=True)
                    with gr.Row():
                        run_btn = gr.Button("Analyze", variant="primary", elem_id="analyze")
                        stop_btn = gr.Button("Stop", variant="stop", elem_id="analyze-stop")
            notice = gr.Markdown(elem_id="analysis-crisis")
            answer = gr.Markdown(label="Answer", elem_id="analysis-answer")
            badge = gr.HTML(elem_id="analysis-badge")
            task.change(_aspect_update, task, aspect, api_visibility="undocumented", queue=False)
            inputs = [post, task, aspect, *sampling]
            event = run_btn.click(make_analyze_fn(bank, generate, gate), inputs, [notice, answer, badge],
                                  api_name="analyze", concurrency_id=MODEL_QUEUE)
            stop_btn.click(None, None, None, cancels=[event], api_visibility="undocumented", queue=False)
            gr.Examples(POST_EXAMPLES, inputs=[post, task, aspect], label="Example posts")
    # api_open=False: no REST route that skips the queue (Gradio opens one by default off Spaces)
    demo.queue(default_concurrency_limit=1, max_size=config.queue_size, api_open=False)
    gate.install(demo)
    return demo


def create(config_path: str | Path | None = HERE / "adapters.yaml") -> gr.Blocks:
    config = load_config(config_path)
    logger.info("Space config: %s", config)
    bank = AdapterBank.load(config.base_model, config.adapters)
    return build_app(bank, config)


def launch(demo: gr.Blocks, **kwargs):
    """Launch with errors hidden from the public (our handlers word their own), no run history kept in
    browsers (conversations about mental health) and a bounded number of sessions held."""
    return demo.launch(show_error=False, css=CSS, run_history=False, mcp_server=False,
                       state_session_capacity=SESSIONS_KEPT, **kwargs)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        demo = create()
    except UserError as error:
        print(f"phyassist: error: {error}", file=sys.stderr)
        return 2
    launch(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
