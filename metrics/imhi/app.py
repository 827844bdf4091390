"""The IMHI metric Space: paste or upload generated and gold answers, get IMHI's scores.

Run locally (Gradio's GRADIO_SERVER_NAME / GRADIO_SERVER_PORT apply):

    python metrics/imhi/app.py

Scripted use: ``Client(url).predict(predictions="Yes...", references="yes", task="DR", labels="strict",
api_name="/score_text")``, or ``api_name="/score_csv"`` with ``file=handle_file("answers.csv")``.
Every input comes from strangers: sizes are capped and each mistake is one escaped line in a gr.Error.
"""

from __future__ import annotations

import html
import json
import logging
import os
import sys
from pathlib import Path

try:
    import phyassist  # noqa: F401  (installed by requirements.txt on a Space, editable locally)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import evaluate
import gradio as gr

from phyassist.data.tasks import TASKS
from phyassist.errors import UserError
from phyassist.io import read_csv

logger = logging.getLogger("phyassist.metric_space")
HERE = Path(__file__).resolve().parent
# the metric also takes "mentalbert" or any model path / Hub id: never let strangers pick a download
LABEL_METHODS = ["learned", "strict"]
MAX_ROWS = 2_000
MAX_CELL_CHARS = 10_000  # one answer or query; IMHI answers are a few hundred characters
MAX_TOTAL = 5_000_000  # bytes of an upload, characters of the text boxes together
# first name found wins; MentalLLaMA's result files use generated_text/goldens/query
COLUMNS = {"predictions": ("predictions", "generated_text"), "references": ("references", "goldens"),
           "queries": ("queries", "query")}
FAILURE = "Scoring failed on the server; the error was logged. Please check the input and try again."

INPUT_RULE = f"""\
- **Text boxes:** one answer per line; line *n* of predictions is scored against line *n* of references
  (an empty line is an empty answer; blank lines at the end are ignored). For answers that span lines,
  paste a JSON list of strings instead: a box whose text starts with `[` is read as JSON.
- **CSV:** UTF-8, comma-separated, a header row with `predictions,references` (or MentalLLaMA's
  `generated_text,goldens`) and optionally `queries` (or `query`).
- **Limits:** {MAX_ROWS:,} rows, {MAX_CELL_CHARS:,} characters per answer or query, {MAX_TOTAL // 1_000_000} MB in all.
- References are gold answers (`<label sentence>. Reasoning: ...`) or bare labels. Queries are optional;
  the learned classifier uses them to tell which wellness dimension or risk was asked (MultiWD, Irf).
- BARTScore is not offered here (it downloads a 1.6 GB model); run the metric locally for it.
"""


def fail(message: str) -> gr.Error:
    """A one-line error for the modal, escaped: Gradio renders gr.Error messages as HTML."""
    line = " ".join(str(message).split())
    return gr.Error(html.escape(line, quote=False), print_exception=False)


def _check_rows(name: str, values: list[str], unit: str) -> list[str]:
    if len(values) > MAX_ROWS:
        raise fail(f"{name}: {len(values):,} {unit}s; the limit is {MAX_ROWS:,}")
    for i, value in enumerate(values, 1):
        if len(value) > MAX_CELL_CHARS:
            raise fail(f"{name} {unit} {i}: {len(value):,} characters; the limit is {MAX_CELL_CHARS:,}")
    return values


def parse_box(name: str, text: str | None) -> list[str]:
    """The answers in one text box: a JSON list of strings when it starts with '[', else one per line."""
    text = (text or "").replace("\r\n", "\n").rstrip()
    if text.lstrip().startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as e:
            raise fail(f"{name}: starts with '[' but is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); "
                       "expected a JSON list of strings or one answer per line") from None
        if not isinstance(values, list):
            raise fail(f"{name}: expected a JSON list of strings, got a JSON {type(values).__name__}")
        for i, value in enumerate(values, 1):
            if not isinstance(value, str):
                raise fail(f"{name} item {i}: expected a string, got JSON {type(value).__name__}")
        return _check_rows(name, values, "item")
    return _check_rows(name, text.split("\n") if text else [], "line")


def read_upload(path: str | None) -> dict[str, list[str]]:
    """The predictions, references and (optional) queries columns of an uploaded CSV."""
    if not path:
        raise fail("CSV file: no file uploaded; expected a CSV with columns predictions,references")
    name = Path(path).name
    size = os.path.getsize(path)
    if size > MAX_TOTAL:
        raise fail(f"CSV file: {size:,} bytes; the limit is {MAX_TOTAL:,}")
    try:
        rows = read_csv(path)
    except UserError as e:  # its message starts with the server's temporary path
        raise fail(str(e).replace(str(path), name)) from None
    if len(rows) > MAX_ROWS:
        raise fail(f"CSV file: {len(rows):,} data rows; the limit is {MAX_ROWS:,}")
    header = {k.lower(): k for k in rows[0]}
    found = {field: next((header[c] for c in names if c in header), None) for field, names in COLUMNS.items()}
    for field in ("predictions", "references"):
        if found[field] is None:
            seen = [repr(k[:40]) for k in list(rows[0])[:10]] + (["..."] if len(rows[0]) > 10 else [])
            raise fail(f"CSV file: no {' or '.join(repr(c) for c in COLUMNS[field])} column; "
                       f"found {', '.join(seen) or 'none'}")
    out = {}
    for field, column in found.items():
        if column is None:
            continue
        values = []
        for i, row in enumerate(rows, 1):
            if row[column] is None:  # csv.DictReader's filler for a short row
                raise fail(f"CSV data row {i}: no {column!r} value; the row has fewer fields than the header")
            values.append(row[column])
        out[field] = _check_rows(f"CSV column {column!r}", values, "row")
    return out


def make_scorer(metric: evaluate.EvaluationModule):
    def score(task: str, labels: str, predictions: list[str], references: list[str],
              queries: list[str] | None) -> dict:
        if task not in TASKS:
            raise fail(f"task: {task!r} is not an IMHI task; expected one of {', '.join(TASKS)}")
        if labels not in LABEL_METHODS:
            raise fail(f"label method: {labels!r}; expected one of {', '.join(LABEL_METHODS)}")
        if not predictions:
            raise fail("predictions: empty; expected at least one answer")
        if len(predictions) != len(references):
            raise fail(f"predictions and references: {len(predictions):,} predictions but {len(references):,} "
                       "references; expected one reference per prediction")
        if queries is not None and len(queries) != len(predictions):
            raise fail(f"queries: {len(queries):,} queries for {len(predictions):,} predictions; "
                       "expected one per prediction, or none")
        try:
            result = metric.compute(predictions=predictions, references=references, task=task,
                                    queries=queries, labels=labels)
        except UserError as e:
            raise fail(str(e)) from None
        except Exception:
            logger.exception("IMHI scoring failed (task=%s, labels=%s, %d rows)", task, labels, len(predictions))
            raise fail(FAILURE) from None
        return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in result.items()}

    def score_text(task: str = "DR", labels: str = "learned", predictions: str = "", references: str = "",
                   queries: str = "") -> dict:
        """Score answers pasted one per line (or as JSON lists of strings); returns the metric's scores."""
        boxes = [predictions or "", references or "", queries or ""]
        total = sum(len(b) for b in boxes)
        if total > MAX_TOTAL:
            raise fail(f"text boxes: {total:,} characters in all; the limit is {MAX_TOTAL:,}")
        preds, refs = parse_box("predictions", boxes[0]), parse_box("references", boxes[1])
        qs = parse_box("queries", boxes[2]) if boxes[2].strip() else None
        return score(task, labels, preds, refs, qs)

    def score_csv(task: str = "DR", labels: str = "learned", file: str | None = None) -> dict:
        """Score an uploaded CSV (predictions,references[,queries]); returns the metric's scores."""
        columns = read_upload(file)
        return score(task, labels, columns["predictions"], columns["references"], columns.get("queries"))

    return score_text, score_csv


def load_metric() -> evaluate.EvaluationModule:
    # the script's path, not the folder: on a Space the folder is the repo root, named after nothing
    return evaluate.load(str(HERE / "imhi.py"), keep_in_memory=True)


def build_demo(metric: evaluate.EvaluationModule | None = None) -> gr.Blocks:
    score_text, score_csv = make_scorer(metric or load_metric())
    with gr.Blocks(title="IMHI metric") as demo:
        gr.Markdown("# IMHI metric\nWeighted F1 of the labels inferred from generated mental-health answers "
                    "(MentalLLaMA's IMHI benchmark), against the labels of the gold answers. "
                    "See the metric card for the method.")
        with gr.Row():
            # custom values reach score(), whose error names the field (Gradio's own check does not)
            task = gr.Dropdown([(f"{n}: {t.description}", n) for n, t in TASKS.items()], value="DR", label="Task",
                               elem_id="task", allow_custom_value=True)
            labels = gr.Radio(LABEL_METHODS, value="learned", label="Label method", elem_id="labels",
                              info="learned: parser, then a per-task classifier; strict: parser only")
        gr.Markdown(INPUT_RULE, elem_id="input-rule")
        with gr.Tab("Paste answers"):
            with gr.Row():
                predictions = gr.Textbox(lines=8, label="Predictions (generated answers)", elem_id="predictions")
                references = gr.Textbox(lines=8, label="References (gold answers or labels)", elem_id="references")
            queries = gr.Textbox("", lines=3, label="Queries (optional, same rule)", elem_id="queries")
            text_btn = gr.Button("Score", variant="primary", elem_id="score-text")
        with gr.Tab("Upload CSV"):
            upload = gr.File(file_types=[".csv"], type="filepath", label="CSV file", elem_id="csv")
            csv_btn = gr.Button("Score CSV", variant="primary", elem_id="score-csv")
        scores = gr.JSON(label="Scores", elem_id="scores")
        # one worker for both buttons: scoring is CPU-bound and shares one metric object
        text_btn.click(score_text, [task, labels, predictions, references, queries], scores, api_name="score_text",
                       concurrency_id="score")
        csv_btn.click(score_csv, [task, labels, upload], scores, api_name="score_csv", concurrency_id="score")
    demo.queue(default_concurrency_limit=1, max_size=16)
    return demo


demo = build_demo()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo.launch(max_file_size=MAX_TOTAL)
