"""phyassist demo Space: one base model with hot-switched LoRA adapters, counseling chat and IMHI analysis.

Run locally (Gradio's GRADIO_SERVER_NAME / GRADIO_SERVER_PORT apply):

    python space/app.py
    PHYASSIST_ADAPTERS="mine=outputs/my-adapter" python space/app.py

Configuration: ``adapters.yaml`` next to this file (or ``$PHYASSIST_ADAPTERS_CONFIG``), each key overridden
by ``PHYASSIST_<KEY>`` (``PHYASSIST_BASE_MODEL``, ``PHYASSIST_ADAPTERS="name=hub_id_or_path,..."``,
``PHYASSIST_MAX_GENERATION_SECONDS``, ``PHYASSIST_CRISIS_MODEL_TEXT``, ``PHYASSIST_QUEUE_SIZE``).

The conversation lives on the server, one per session: every endpoint takes only the new message (and
the adapter and sampling settings), never a history. Scripted use: ``Client(url).predict("Hi",
api_name="/chat")``; ``/reset`` clears. This file lays out the page; the logic is ``phyassist.serve``'s.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

try:
    import phyassist  # noqa: F401  (installed by requirements.txt on a Space, editable locally)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phyassist.serve.zerogpu import zero_gpu  # noqa: E402

zero_gpu()  # on ZeroGPU, `spaces` is imported before torch so that it can patch CUDA initialisation

import gradio as gr  # noqa: E402

from phyassist.data.tasks import TASKS  # noqa: E402
from phyassist.errors import UserError  # noqa: E402
from phyassist.serve.bank import BASE_CHOICE, AdapterBank, SpaceConfig, load_config  # noqa: E402
from phyassist.serve.chat import BOUNDS, MAX_INPUT_CHARS, Conversation  # noqa: E402
from phyassist.serve.handlers import aspect_update, make_handlers  # noqa: E402
from phyassist.serve.page import CSS, EXAMPLES, POST_EXAMPLES, adapter_status  # noqa: E402
from phyassist.serve.safety import DISCLAIMER  # noqa: E402
from phyassist.serve.sessions import MODEL_QUEUE, SESSIONS_KEPT, SessionGate, queue_options  # noqa: E402


def build_app(bank: AdapterBank, config: SpaceConfig | None = None) -> gr.Blocks:
    """The Blocks app: every generating event in one line of ``config.queue_size``, one request per
    session at a time (``SessionGate``), no queue-skipping REST route."""
    config = config or SpaceConfig()
    gate = SessionGate(MODEL_QUEUE)
    fns = make_handlers(bank, config, gate)
    lo_t, hi_t, def_t = BOUNDS["temperature"]
    lo_p, hi_p, def_p = BOUNDS["top_p"]
    lo_n, hi_n, def_n = BOUNDS["max_new_tokens"]
    with gr.Blocks(title="phyassist: mental-health assistant demo") as demo:
        gr.Markdown("# phyassist\nLoRA adapters for mental-health analysis and counseling, on one base model.")
        gr.Markdown(DISCLAIMER, elem_id="disclaimer")
        gr.Markdown(adapter_status(bank), elem_id="adapter-status")
        adapter = gr.Dropdown(bank.choices, value=bank.names[0] if bank.names else BASE_CHOICE, label="Adapter",
                              elem_id="adapter-choice", info="Switching is instant: all adapters share one base model.")
        with gr.Accordion("Sampling", open=False):
            temperature = gr.Slider(lo_t, hi_t, value=def_t, step=0.05, label="Temperature (0 = greedy)")
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
            shown = textbox.submit(fns.accept, [textbox, conversation], [typed, textbox, chatbot], queue=False,
                                   api_visibility="private")
            reply = shown.then(fns.chat_ui, [typed, *sampling, conversation], [chatbot], api_visibility="private",
                               concurrency_id=MODEL_QUEUE, show_progress="hidden")
            reply.then(lambda: gr.Textbox(interactive=True, submit_btn=True, stop_btn=False), None, [textbox],
                       queue=False, api_visibility="private")
            textbox.stop(None, None, None, cancels=[reply], api_visibility="private")
            new_chat.click(fns.reset, [conversation], [chatbot], api_name="reset",
                           api_description="Clear this session's conversation.")
            api_reply = gr.Textbox(visible=False)
            gr.Button(visible=False).click(
                fns.chat, [textbox, *sampling, conversation], [api_reply], api_name="chat", concurrency_id=MODEL_QUEUE,
                api_description="Send a message; returns the reply text (crisis resources first when needed). "
                                "The session keeps the conversation; /reset clears it.")
        with gr.Tab("IMHI analysis"):
            with gr.Row():
                post = gr.Textbox(lines=6, label="Post", placeholder="Paste a social-media post", elem_id="post")
                with gr.Column():
                    task = gr.Dropdown([(f"{n}: {t.description}", n) for n, t in TASKS.items()],
                                       value="DR", label="Task", elem_id="task")
                    # every task's aspects, so API calls validate; the task's change narrows them in the UI
                    aspect = gr.Dropdown(sorted({a for t in TASKS.values() for a in t.aspects}), value=None,
                                         label="Aspect", visible=False, elem_id="aspect", allow_custom_value=True)
                    with gr.Row():
                        run_btn = gr.Button("Analyze", variant="primary", elem_id="analyze")
                        stop_btn = gr.Button("Stop", variant="stop", elem_id="analyze-stop")
            outputs = [gr.Markdown(elem_id="analysis-crisis"), gr.Markdown(label="Answer", elem_id="analysis-answer"),
                       gr.HTML(elem_id="analysis-badge")]
            task.change(aspect_update, task, aspect, api_visibility="undocumented", queue=False)
            event = run_btn.click(fns.analyze, [post, task, aspect, *sampling], outputs, api_name="analyze",
                                  concurrency_id=MODEL_QUEUE)
            stop_btn.click(None, None, None, cancels=[event], api_visibility="undocumented", queue=False)
            gr.Examples(POST_EXAMPLES, inputs=[post, task, aspect], label="Example posts")
    demo.queue(**queue_options(config.queue_size))
    gate.install(demo)
    return demo


def create(config_path: str | Path | None = Path(__file__).resolve().parent / "adapters.yaml") -> gr.Blocks:
    config = load_config(config_path)
    logging.getLogger("phyassist.space").info("Space config: %s", config)
    return build_app(AdapterBank.load(config.base_model, config.adapters), config)


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
