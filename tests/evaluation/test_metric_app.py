"""The metric Space metrics/imhi/app.py on loopback, via gradio_client: text boxes, CSV upload, hostile input."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
METRIC_DIR = REPO / "metrics" / "imhi"
IMHI_TASKS = ["DR", "dreaddit", "Irf", "MultiWD", "SAD", "CAMS", "loneliness", "t-sid", "swmh"]
# DR answers, the labels they state (None: states none) and gold answers in both accepted forms
DR_PREDICTIONS = ["Yes, the poster suffers from depression. Reasoning: they sleep all day.",
                  "No, the poster does not suffer from depression.", "Yes.", "No. Reasoning: a good week.",
                  "I cannot tell from this post."]
DR_PRED_LABELS = ["yes", "no", "yes", "no", None]
DR_REFERENCES = ["yes", "Yes, the poster suffers from depression. Reasoning: ...", "no",
                 "No, the poster does not suffer from depression. Reasoning: ...", "yes"]
DR_GOLD_LABELS = ["yes", "yes", "no", "no", "yes"]
SCORE_KEYS = {"weighted_f1", "accuracy", "macro_f1", "micro_f1", "unparsed", "rouge_l", "rouge_l_rows", "explained_rate"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_app(path: Path = METRIC_DIR / "app.py", name: str = "phyassist_metric_app"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def app():
    """(client, module) of the app on 127.0.0.1, as `python app.py` builds it."""
    from gradio_client import Client

    module = load_app()
    module.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield Client(module.demo.local_url, verbose=False), module
    module.demo.close()


def expected_scores(golds, preds):
    from sklearn.metrics import f1_score

    preds = [p or "unparsed" for p in preds]
    return (f1_score(golds, preds, labels=["no", "yes"], average="weighted") * 100,
            sum(g == p for g, p in zip(golds, preds)) / len(golds) * 100)


def app_error(client, api_name, **kwargs) -> str:
    """The message of the one-line error a call ends in."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as caught:
        client.predict(api_name=api_name, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def test_source_is_our_own_app_not_evaluates_widget():
    source = (METRIC_DIR / "app.py").read_text()
    assert "launch_gradio_widget" not in source and "gr.inputs" not in source
    assert "def build_demo(" in source and "\ndemo = build_demo()" in source
    assert 'if __name__ == "__main__":' in source and "demo.launch(" in source


def test_task_choices_are_the_imhi_tasks(app):
    from phyassist.data.tasks import TASKS

    _, module = app
    assert list(TASKS) == IMHI_TASKS
    config = module.demo.get_config_file() if hasattr(module.demo, "get_config_file") else module.demo.config
    task = next(c for c in config["components"] if c["props"].get("elem_id") == "task")
    assert [value for _, value in task["props"]["choices"]] == IMHI_TASKS


def test_text_boxes_strict_scores_match_sklearn(app):
    client, _ = app
    scores = client.predict(task="DR", labels="strict", predictions="\n".join(DR_PREDICTIONS) + "\n\n",
                            references="\n".join(DR_REFERENCES), api_name="/score_text")
    weighted_f1, accuracy = expected_scores(DR_GOLD_LABELS, DR_PRED_LABELS)
    assert SCORE_KEYS <= set(scores) and "bart_score" not in scores
    assert scores["weighted_f1"] == pytest.approx(weighted_f1) and scores["accuracy"] == pytest.approx(accuracy)
    assert scores["unparsed"] == 1
    assert all(isinstance(v, str) for k, v in scores.items() if k not in SCORE_KEYS)  # label_method and the like
    assert (scores["label_method"], scores["label_classifier"]) == ("strict", "none")


def test_json_lists_carry_multi_line_answers(app):
    client, _ = app
    predictions = ["Yes, the poster suffers from depression.\nReasoning: line one.\nline two.",
                   "No.\n\nReasoning: fine."]
    scores = client.predict(task="DR", labels="strict", predictions=json.dumps(predictions),
                            references=json.dumps(["yes", "no"]), queries=json.dumps(["q1\nmore", "q2"]),
                            api_name="/score_text")
    assert scores["accuracy"] == 100.0 and scores["unparsed"] == 0


@pytest.mark.parametrize("columns", [("predictions", "references", "queries"), ("generated_text", "goldens", "query")])
def test_csv_upload(app, tmp_path, columns):
    import csv

    from gradio_client import handle_file

    client, _ = app
    path = tmp_path / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for pred, ref in zip(DR_PREDICTIONS, DR_REFERENCES):
            writer.writerow([pred + "\nsecond line, with a comma", ref, "Post: ...\nQuestion: Does the poster suffer?"])
    scores = client.predict(task="DR", labels="strict", file=handle_file(str(path)), api_name="/score_csv")
    weighted_f1, _ = expected_scores(DR_GOLD_LABELS, DR_PRED_LABELS)
    assert scores["weighted_f1"] == pytest.approx(weighted_f1) and scores["unparsed"] == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"predictions": "yes\nno", "references": "yes"},
     "predictions and references: 2 predictions but 1 references; expected one reference per prediction"),
    ({"predictions": "yes\n" * 2001, "references": "yes\n" * 2001}, "predictions: 2,001 lines; the limit is 2,000"),
    ({"predictions": "yes\n" + "y" * 10_001, "references": "yes\nyes"},
     "predictions line 2: 10,001 characters; the limit is 10,000"),
    ({"predictions": '["yes", ', "references": "yes"}, "predictions: starts with '[' but is not valid JSON"),
    ({"predictions": '["yes", 3]', "references": "yes\nno"}, "predictions item 2: expected a string, got JSON int"),
    ({"predictions": "", "references": ""}, "predictions: empty; expected at least one answer"),
    ({"predictions": "yes", "references": "yes", "queries": "a\nb"}, "queries: 2 queries for 1 predictions"),
    ({"task": "PHQ-9", "predictions": "yes", "references": "yes"},
     "task: 'PHQ-9' is not an IMHI task; expected one of DR, dreaddit, "),
], ids=["count-mismatch", "too-many-rows", "too-long", "bad-json", "json-not-strings", "empty", "queries-count",
        "unknown-task"])
def test_bad_text_input_is_one_line(app, kwargs, message):
    client, _ = app
    got = app_error(client, "/score_text", **{"task": "DR", "labels": "strict", **kwargs})
    assert got.startswith(message), got


def test_unknown_label_method_is_gradios_one_line(app):
    client, _ = app
    got = app_error(client, "/score_text", task="DR", labels="bart", predictions="yes", references="yes")
    assert "not in the list of choices: ['learned', 'strict']" in got


def test_metric_errors_pass_through_escaped(app):
    client, _ = app
    got = app_error(client, "/score_text", task="DR", labels="strict", predictions="yes", references="<b>maybe</b>")
    assert got.startswith("reference 0: states none of the DR labels") and "&lt;b&gt;maybe&lt;/b&gt;" in got
    assert "<b>" not in got


@pytest.mark.parametrize("content, message", [
    (b"predictions,gold\nyes,yes\n", "CSV file: no 'references' or 'goldens' column; found 'predictions', 'gold'"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "bad.csv: looks like a binary file (NUL byte at byte 8, line 3); expected a UTF-8 CSV text file"),
    (b"predictions;references\nyes;yes\n", "bad.csv: columns look separated by semicolons"),
    (b"predictions,references\n" + b"yes,yes\n" * 2001, "CSV file: 2,001 data rows; the limit is 2,000"),
    (b"predictions,references,queries\nyes,yes,q\nno\n", "CSV data row 2: no 'references' value"),
], ids=["missing-column", "binary", "semicolons", "too-many-rows", "short-row"])
def test_bad_csv_is_one_line(app, tmp_path, content, message):
    from gradio_client import handle_file

    client, _ = app
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    got = app_error(client, "/score_csv", task="DR", labels="strict", file=handle_file(str(path)))
    assert got.startswith(message) and str(tmp_path) not in got, got


def test_upload_size_cap(app, tmp_path, monkeypatch):
    from gradio_client import handle_file

    client, module = app
    monkeypatch.setattr(module, "MAX_TOTAL", 100)
    path = tmp_path / "big.csv"
    path.write_text("predictions,references\n" + "yes,yes\n" * 20)
    got = app_error(client, "/score_csv", task="DR", labels="strict", file=handle_file(str(path)))
    assert got == "CSV file: 183 bytes; the limit is 100"
    assert app_error(client, "/score_text", predictions="x" * 60, references="y" * 60) == \
        "text boxes: 120 characters in all; the limit is 100"


def test_space_root_layout_loads_the_metric_beside_the_app(tmp_path):
    """On the Space the folder is the repo root: app.py must find imhi.py beside itself."""
    for name in ("app.py", "imhi.py"):
        shutil.copy(METRIC_DIR / name, tmp_path / name)
    module = load_app(tmp_path / "app.py", "phyassist_metric_app_copy")
    assert module.HERE == tmp_path
    assert module.load_metric().compute(predictions=["No."], references=["no"], task="DR",
                                        labels="strict")["accuracy"] == 100.0


def test_python_app_py_starts(tmp_path):
    """`python metrics/imhi/app.py` as a Space runs it, on the port Gradio reads from the environment."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1"}
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, str(METRIC_DIR / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp_path)
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.time() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()[-2000:]
            assert time.time() < deadline, "app did not answer within 90 s"
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        scores = Client(url, verbose=False).predict(task="DR", labels="strict", predictions="No.", references="no",
                                                    api_name="/score_text")
        assert scores["accuracy"] == 100.0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
