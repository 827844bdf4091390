"""The Space end to end: the app on loopback with the embedded SmolLM2 and two tiny adapters, via gradio_client."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import one_torch_thread

REPO = Path(__file__).resolve().parents[2]
SPACE = REPO / "space"
pytestmark = pytest.mark.slow


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_space_module():
    spec = importlib.util.spec_from_file_location("phyassist_space_app", SPACE / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def space(smol_adapters, tmp_path_factory):
    """(url, module) of the app on 127.0.0.1 with calm, coach and one adapter that cannot load."""
    from gradio_client import Client

    app = load_space_module()
    config = tmp_path_factory.mktemp("space-config") / "adapters.yaml"
    config.write_text(
        "base_model: smollm2-135m-instruct\nadapters:\n"
        f"  calm: {smol_adapters['calm']}\n  coach: {smol_adapters['coach']}\n"
        "  broken: phyassist-tests/not-downloadable\n"
    )
    with one_torch_thread():
        demo = app.create(config)
        app.launch(demo, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
        client = Client(demo.local_url, verbose=False)
        yield client, app, demo
        demo.close()


@pytest.fixture(autouse=True)
def fresh_session(request):
    """/chat keeps each session's history in a gr.State: start every test with an empty conversation."""
    if "space" in request.fixturenames:
        request.getfixturevalue("space")[0].reset_session()


def test_chat_endpoint_needs_only_a_message(space):
    client, _, _ = space
    reply = client.predict("Hello, I had a stressful day at work.", api_name="/chat")
    assert isinstance(reply, str) and reply.strip()
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/chat"]
    params = info["parameters"]
    assert params[0]["parameter_name"] == "message"
    assert all(p["parameter_has_default"] for p in params[1:])


def test_chat_with_each_adapter_and_the_base(space):
    client, app, _ = space
    replies = {}
    for adapter in ["calm", "coach", app.BASE_CHOICE]:
        replies[adapter] = client.predict("How can I relax?", adapter, 0.0, 0.9, 6, api_name="/chat")
        assert replies[adapter].strip()
        assert "⚠" not in replies[adapter]


def test_crisis_notice_comes_before_model_text(space):
    client, _, _ = space
    reply = client.predict("I want to kill myself", "calm", 0.0, 0.9, 4, api_name="/chat")
    assert reply.startswith("> ### ⚠️ Crisis support")
    assert "988" in reply and len(reply) > len(reply.split("---")[0]) + 5  # model text follows the notice
    plain = client.predict("I feel a bit tired today", "calm", 0.0, 0.9, 4, api_name="/chat")
    assert "Crisis support" not in plain


def test_input_cap_and_empty_input(space):
    from phyassist.serve.chat import MAX_INPUT_CHARS

    client, _, _ = space
    long_reply = client.predict("a" * (MAX_INPUT_CHARS + 1), api_name="/chat")
    assert "the limit is 4,000" in long_reply and "Traceback" not in long_reply
    assert not client.predict("   ", api_name="/chat")


def test_analysis_mode_streams_answer_and_badge(space):
    client, app, _ = space
    notice, answer, badge = client.predict(
        "I haven't left my room in weeks and nothing feels worth doing.", "DR", None, "calm", 0.0, 0.9, 8,
        api_name="/analyze",
    )
    assert answer.strip() and notice == ""
    assert 'id="label-badge"' in badge
    if app.infer_label is not None:
        assert "label inference unavailable" not in badge
    notice, answer, _ = client.predict("I want to end my life. Everyone would be better off without me.",
                                       "MultiWD", "emotional", app.BASE_CHOICE, 0.0, 0.9, 4, api_name="/analyze")
    assert "Crisis support" in notice and answer.strip()
    _, answer, _ = client.predict("x" * 5000, "DR", None, "calm", 0.0, 0.9, 4, api_name="/analyze")
    assert "limit is 4,000" in answer


def test_failed_adapter_is_reported_and_unknown_adapter_is_a_clear_message(space):
    client, app, demo = space
    config = demo.get_config_file() if hasattr(demo, "get_config_file") else demo.config
    status = next(c["props"]["value"] for c in config["components"] if c["props"].get("elem_id") == "adapter-status")
    assert "broken" in status and "could not be loaded" in status and "`calm`" in status
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="broken is not in the list of choices") as caught:
        client.predict("Hello", "broken", 0.0, 0.9, 4, api_name="/chat")  # Gradio validates the dropdown
    assert "Traceback" not in str(caught.value)
    assert client.predict("Hello", "coach", 0.0, 0.9, 3, api_name="/chat").strip()  # the others still work


def test_twenty_concurrent_requests_through_the_queue(space):
    from gradio_client import Client

    _, app, demo = space
    url = demo.local_url
    adapters = ["calm", "coach", app.BASE_CHOICE]

    def ask(i):  # one client per request: 20 users, each with its own session (and chat history)
        return Client(url, verbose=False).predict(f"Request {i}: any tip for sleeping better?", adapters[i % 3], 0.0, 0.9, 1,
                              api_name="/chat")

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(ask, range(20)))
    assert len(replies) == 20 and all(isinstance(r, str) and r.strip() for r in replies)
    assert not any("could not produce" in r for r in replies)


def test_readme_front_matter_lists_base_and_default_adapters():
    import yaml

    text = (SPACE / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    config = yaml.safe_load((SPACE / "adapters.yaml").read_text())
    assert front["sdk"] == "gradio" and front["app_file"] == "app.py"
    assert front["models"] == ["HuggingFaceTB/SmolLM2-135M-Instruct", *config["adapters"].values()]
    requirements = (SPACE / "requirements.txt").read_text()
    assert "phyassist" in requirements


def test_python_space_app_py_runs_with_no_configuration(smol_dir, tmp_path):
    """`python space/app.py` on loopback: embedded base, default Hub adapters reported (offline), /chat works."""
    import os
    import subprocess
    import time
    import urllib.request

    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "OMP_NUM_THREADS": "1"}  # see conftest.one_torch_thread
    env.pop("PHYASSIST_ADAPTERS", None)
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, str(SPACE / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.time() + 180
        while time.time() < deadline:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()[-2000:]
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        reply = Client(url, verbose=False).predict("Hi there", "base model (no adapter)", 0.0, 0.9, 3, api_name="/chat")
        assert reply.strip()
        text = (tmp_path / "app.log").read_text()
        assert "imhi-final" in text and "could not be loaded" in text and "Traceback" not in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
