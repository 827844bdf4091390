"""phyassist demo Space: one base model with hot-switched LoRA adapters, counseling chat and IMHI analysis.

Run locally (Gradio's GRADIO_SERVER_NAME / GRADIO_SERVER_PORT apply):

    python space/app.py
    PHYASSIST_ADAPTERS="mine=outputs/my-adapter" python space/app.py

Configuration: ``adapters.yaml`` next to this file (or ``$PHYASSIST_ADAPTERS_CONFIG``), overridden by
``PHYASSIST_BASE_MODEL`` and ``PHYASSIST_ADAPTERS="name=hub_id_or_path,..."``. Adapters that fail to
load are listed in the UI; the others work. Scripted use: ``Client(url).predict("Hi", api_name="/chat")``.
"""

from __future__ import annotations

import html
import logging
import sys
from pathlib import Path

try:
    import phyassist  # noqa: F401  (installed by requirements.txt on a Space, editable locally)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr

from phyassist.data.tasks import TASKS
from phyassist.errors import UserError
from phyassist.evaluation.classifiers import ClassifiersNotFound
from phyassist.evaluation.labeler import make_labeler
from phyassist.serve.bank import BASE_CHOICE, AdapterBank, load_config
from phyassist.serve.chat import (
    BOUNDS,
    MAX_INPUT_CHARS,
    Sampling,
    analysis_input_ids,
    analysis_query,
    chat_input_ids,
    chat_messages,
    check_input,
    stream_generate,
    task_aspects,
)
from phyassist.serve.safety import DISCLAIMER, crisis_notice, detect_crisis

logger = logging.getLogger("phyassist.space")
HERE = Path(__file__).resolve().parent
FAILURE = "Sorry, the model could not produce an answer. The error was logged on the server; please try again."
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
    lines = [f"**Base model:** `{bank.preset.hub_id}` · **adapters loaded:** "
             + (", ".join(f"`{n}`" for n in bank.names) or "none")]
    for name, reason in bank.failed.items():
        lines.append(f"- \u26a0\ufe0f adapter `{name}` could not be loaded: {html.escape(reason)}")
    for name, note in bank.warnings.items():
        lines.append(f"- adapter `{name}`: {html.escape(note)}")
    return "\n".join(lines)


def _sampling(temperature, top_p, max_new_tokens) -> Sampling:
    return Sampling.clamped(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens)


def make_chat_fn(bank: AdapterBank):
    def chat(message: str, history: list, adapter: str = BASE_CHOICE, temperature: float = BOUNDS["temperature"][2],
             top_p: float = BOUNDS["top_p"][2], max_new_tokens: int = BOUNDS["max_new_tokens"][2]):
        """Counseling chat: the reply text, preceded by crisis resources when the message suggests a crisis."""
        try:
            text = check_input(message)
        except UserError as error:
            yield f"\u26a0\ufe0f {error}"
            return
        if text is None:  # empty input is ignored
            return
        prefix = ""
        if detect_crisis(text):
            logger.info("Crisis detector fired on a chat message.")
            prefix = crisis_notice()
            yield prefix  # resources first, before any model text
        try:
            ids = chat_input_ids(bank.tokenizer, chat_messages(history, text))
            for reply in stream_generate(bank, adapter, ids, _sampling(temperature, top_p, max_new_tokens)):
                yield prefix + reply
        except UserError as error:
            yield f"{prefix}\u26a0\ufe0f {error}"
        except Exception:
            logger.exception("Chat generation failed")
            yield prefix + FAILURE

    return chat


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


def make_analyze_fn(bank: AdapterBank):
    def analyze(post: str, task: str = "DR", aspect: str | None = None, adapter: str = BASE_CHOICE,
                temperature: float = 0.0, top_p: float = BOUNDS["top_p"][2],
                max_new_tokens: int = BOUNDS["max_new_tokens"][2]):
        """IMHI analysis: (crisis notice, "<label>. Reasoning: ..." answer, label badge HTML)."""
        try:
            text = check_input(post, "post")
            if text is None:
                yield "", "", ""
                return
            if task_aspects(task) and not aspect:
                aspect = task_aspects(task)[0]
            query = analysis_query(task, text, aspect or None)
        except UserError as error:
            yield "", f"\u26a0\ufe0f {error}", ""
            return
        notice = crisis_notice() if detect_crisis(text) else ""
        if notice:
            yield notice, "", ""
        answer = ""
        try:
            ids = analysis_input_ids(bank.tokenizer, query)
            for answer in stream_generate(bank, adapter, ids, _sampling(temperature, top_p, max_new_tokens)):
                yield notice, answer, ""
        except UserError as error:
            yield notice, f"\u26a0\ufe0f {error}", ""
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


def build_app(bank: AdapterBank) -> gr.Blocks:
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
        with gr.Tab("Counseling chat"):
            chat = gr.ChatInterface(
                make_chat_fn(bank),
                additional_inputs=[adapter, temperature, top_p, max_new_tokens],
                chatbot=gr.Chatbot(elem_id="chatbot", height=420, label="Chat"),
                textbox=gr.Textbox(placeholder=f"Type a message (up to {MAX_INPUT_CHARS:,} characters)",
                                   elem_id="chat-input", submit_btn=True, stop_btn=True),
                api_name="chat",
                api_description="Send a message; returns the reply text (crisis resources first when needed).",
                fill_height=False,
            )
            gr.Examples(EXAMPLES, inputs=[chat.textbox], label="Examples")
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
            inputs = [post, task, aspect, adapter, temperature, top_p, max_new_tokens]
            event = run_btn.click(make_analyze_fn(bank), inputs, [notice, answer, badge], api_name="analyze")
            stop_btn.click(None, None, None, cancels=[event], api_visibility="undocumented", queue=False)
            gr.Examples(POST_EXAMPLES, inputs=[post, task, aspect], label="Example posts")
    return demo


def create(config_path: str | Path | None = HERE / "adapters.yaml") -> gr.Blocks:
    config = load_config(config_path)
    logger.info("Space config: base=%s adapters=%s", config.base_model, config.adapters)
    bank = AdapterBank.load(config.base_model, config.adapters)
    return build_app(bank)


def launch(demo: gr.Blocks, **kwargs):
    """Queue every event (one generation at a time per event; the bank's lock serialises the model)."""
    demo.queue(default_concurrency_limit=1, max_size=256)
    return demo.launch(show_error=False, css=CSS, **kwargs)


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
