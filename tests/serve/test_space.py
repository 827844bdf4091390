"""The Space end to end: the app on loopback with the embedded SmolLM2 and two tiny adapters, via gradio_client."""

from __future__ import annotations

import importlib.util
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import one_torch_thread

from phyassist.serve.bank import BASE_CHOICE, AdapterBank, load_config

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
    """The app on 127.0.0.1 with adapters calm and coach, one Hub id that cannot load and one local folder
    that is not an adapter: .client, .app (the module), .demo, .bank, .config (tests may patch it), .url."""
    from gradio_client import Client

    app = load_space_module()
    root = tmp_path_factory.mktemp("space-config")
    (root / "not-an-adapter").mkdir()
    (root / "not-an-adapter" / "README.md").write_text("no adapter here\n")
    path = root / "adapters.yaml"
    path.write_text(
        "base_model: smollm2-135m-instruct\nadapters:\n"
        f"  calm: {smol_adapters['calm']}\n  coach: {smol_adapters['coach']}\n"
        f"  broken: phyassist-tests/not-downloadable\n  broken-local: {root / 'not-an-adapter'}\n"
    )
    with one_torch_thread():
        config = load_config(path, environ={})
        bank = AdapterBank.load(config.base_model, config.adapters)
        demo = app.build_app(bank, config)
        app.launch(demo, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
        yield SimpleNamespace(client=Client(demo.local_url, verbose=False), app=app, demo=demo, bank=bank,
                              config=config, url=demo.local_url, root=root)
        demo.close()


@pytest.fixture(autouse=True)
def fresh_session(request):
    """/chat keeps each session's conversation on the server: start every test with an empty one."""
    if "space" in request.fixturenames:
        request.getfixturevalue("space").client.reset_session()


class PromptLog(list):
    """The prompts the model was given, decoded, in order; ``max_times``: each generation's time bound."""

    def __init__(self):
        super().__init__()
        self.max_times = []


@pytest.fixture
def prompts(space, monkeypatch):
    """A PromptLog of the model's calls: empty when the model was not called."""
    from phyassist.serve import respond

    seen = PromptLog()
    real = respond.stream_generate

    def spy(bank, adapter, input_ids, sampling, stop=None, max_time=None, **fairness):
        seen.append(bank.tokenizer.decode(input_ids[0]))
        seen.max_times.append(max_time)
        seen.fairness = fairness
        yield from real(bank, adapter, input_ids, sampling, stop, max_time, **fairness)

    monkeypatch.setattr(respond, "stream_generate", spy)  # the Space's one model call goes through it
    return seen


@pytest.fixture
def unscreened(space, monkeypatch):
    """The crisis screen off, for tests of other things whose messages it might flag (tested on its own)."""
    from phyassist.serve import respond

    monkeypatch.setattr(respond, "screen_conversation", lambda turns: None)


def test_chat_endpoint_needs_only_a_message(space):
    reply = space.client.predict("Hello, I had a stressful day at work.", api_name="/chat")
    assert isinstance(reply, str) and reply.strip()
    info = space.client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/chat"]
    params = info["parameters"]
    assert [p["parameter_name"] for p in params] == ["message", "adapter", "temperature", "top_p", "max_new_tokens"]
    assert all(p["parameter_has_default"] for p in params[1:])


def test_no_endpoint_accepts_a_history(space):
    """Every event the app defines (public, undocumented and private: the UI's own calls) takes only a
    message, a post, settings or example indices from the client; the Chatbot is never an input."""
    import json
    import urllib.request

    config = json.load(urllib.request.urlopen(space.url + "config"))
    types = {c["id"]: c["type"] for c in config["components"]}
    inputs = {(d.get("api_name") or d["id"], types[i]) for d in config["dependencies"] for i in d["inputs"]}
    assert {t for _, t in inputs} <= {"textbox", "dropdown", "slider", "dataset", "state"}, inputs
    # a State input is the session's server-side value: Gradio never reads it from the request
    assert any(t == "chatbot" for d in config["dependencies"] for t in map(types.get, d["outputs"]))
    info = json.load(urllib.request.urlopen(space.url + "gradio_api/info?all_endpoints=true"))
    params = {name: [p["component"] for p in endpoint["parameters"]]
              for kind in ("named_endpoints", "unnamed_endpoints") for name, endpoint in info[kind].items()}
    assert "Chatbot" not in {c for components in params.values() for c in components}, params
    assert params["/chat"] == ["Textbox", "Dropdown", "Slider", "Slider", "Slider"] and params["/reset"] == []
    public = space.client.view_api(return_format="dict", print_info=False)
    assert set(public["named_endpoints"]) == {"/chat", "/reset", "/analyze"} and not public["unnamed_endpoints"]


def test_session_history_is_kept_per_client_and_reset_clears_it(space, prompts, unscreened):
    from gradio_client import Client

    alice = space.client
    alice.predict("My name is Alice-7 and I feel tense.", "calm", 0.0, 0.9, 3, api_name="/chat")
    alice.predict("What should I do tonight?", "calm", 0.0, 0.9, 3, api_name="/chat")
    assert "Alice-7" in prompts[1] and prompts[1].index("Alice-7") < prompts[1].index("What should I do tonight?")
    Client(space.url, verbose=False).predict("Hello there.", "calm", 0.0, 0.9, 3, api_name="/chat")
    assert "Alice-7" not in prompts[2]  # another client, another session
    assert alice.predict(api_name="/reset") == []
    alice.predict("Hello again.", "calm", 0.0, 0.9, 3, api_name="/chat")
    assert "Alice-7" not in prompts[3]


def test_crisis_answer_is_the_fixed_reply_and_the_model_is_not_called(space, prompts, monkeypatch, caplog):
    import logging

    from phyassist.serve.safety import crisis_notice, crisis_reply

    client = space.client
    with caplog.at_level(logging.INFO, logger="phyassist.space"):
        reply = client.predict("I want to kill myself", "calm", 0.0, 0.9, 4, api_name="/chat")
    assert reply == crisis_reply() and prompts == []
    assert "Crisis screen fired" in caplog.text and "kill myself" not in caplog.text
    # the screen reads the session's recent user turns: a short follow-up still gets the fixed reply
    assert client.predict("yes, tonight", "calm", 0.0, 0.9, 4, api_name="/chat") == crisis_reply() and prompts == []
    client.reset_session()
    assert "Crisis support" not in client.predict("I feel a bit tired today", "calm", 0.0, 0.9, 4, api_name="/chat")
    assert len(prompts) == 1

    monkeypatch.setattr(space.config, "crisis_model_text", True)  # PHYASSIST_CRISIS_MODEL_TEXT=1
    client.reset_session()
    reply = client.predict("I want to kill myself", "calm", 0.0, 0.9, 4, api_name="/chat")
    assert reply.startswith(crisis_notice()) and reply != crisis_reply() and len(reply) > len(crisis_notice())
    assert len(prompts) == 2 and "kill myself" in prompts[1]


def test_generation_time_is_bounded(space, prompts, unscreened, monkeypatch):
    import time

    monkeypatch.setattr(space.config, "max_generation_seconds", 0.3)  # PHYASSIST_MAX_GENERATION_SECONDS=0.3
    start = time.perf_counter()
    reply = space.client.predict("Tell me a long story about the sea.", "calm", 1.0, 0.9, 512, api_name="/chat")
    elapsed = time.perf_counter() - start
    assert elapsed < 5, elapsed  # far less than 512 tokens take on a CPU
    assert len(space.bank.tokenizer(reply)["input_ids"]) < 100 and prompts.max_times == [0.3]


def test_one_request_per_session_at_a_time(space, prompts, unscreened, monkeypatch):
    import time

    from gradio_client import Client
    from gradio_client.exceptions import ValidationError

    monkeypatch.setattr(space.config, "max_generation_seconds", 3)
    client = space.client
    first = client.submit("Tell me a long story.", "calm", 1.0, 0.9, 512, api_name="/chat")
    deadline = time.time() + 60
    while not prompts and time.time() < deadline:  # the first request is generating
        time.sleep(0.05)
    second = client.submit("And another one.", "calm", 0.0, 0.9, 3, api_name="/chat")
    with pytest.raises(ValidationError, match="One request at a time"):
        second.result(timeout=60)
    assert Client(space.url, verbose=False).predict("Hi", "calm", 0.0, 0.9, 2, api_name="/chat").strip()
    assert isinstance(first.result(timeout=120), str)
    assert client.predict("Thanks.", "calm", 0.0, 0.9, 2, api_name="/chat").strip()  # released when done
    assert space.demo._queue.max_size == space.config.queue_size


def test_a_long_reply_yields_to_another_session_after_its_fair_share(space, prompts, unscreened, monkeypatch):
    import time

    from gradio_client import Client

    from phyassist.serve.chat import PREEMPTED_NOTE

    monkeypatch.setattr(space.config, "max_generation_seconds", 120)
    monkeypatch.setattr(space.config, "fair_share_seconds", 0.5)
    hog = space.client.submit("Tell me a very long story about the sea.", "calm", 1.0, 0.9, 512, api_name="/chat")
    deadline = time.time() + 60
    while not prompts and time.time() < deadline:  # the long request holds the model
        time.sleep(0.05)
    start = time.perf_counter()
    other = Client(space.url, verbose=False).predict("Hi", "calm", 0.0, 0.9, 2, api_name="/chat")
    waited = time.perf_counter() - start
    assert other.strip() and hog.result(timeout=120).endswith(PREEMPTED_NOTE)
    assert waited < 30, waited  # far less than the hog's 512 tokens take on a CPU
    assert prompts.fairness["fair_share"] == 0.5


def test_no_rest_route_skips_the_queue(space):
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(space.url + "gradio_api/run/chat", data=json.dumps({"data": ["hi"]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 404


def test_the_adapter_picked_in_the_dropdown_is_the_one_that_answers(space):
    """Each choice's reply is that adapter's own greedy generation, and differs from the others'."""
    from phyassist.serve.chat import chat_input_ids, chat_messages, stream_generate
    from phyassist.serve.respond import clamped_sampling

    message = "I feel stressed. What should I do?"
    ids = chat_input_ids(space.bank.tokenizer, chat_messages([], message))
    expected = {name: list(stream_generate(space.bank, name, ids, clamped_sampling(0.0, 0.9, 6)))[-1]
                for name in ("calm", "coach", None)}
    assert len(set(expected.values())) == 3, expected  # the adapters answer differently
    for choice, name in (("calm", "calm"), ("coach", "coach"), (BASE_CHOICE, None)):
        space.client.reset_session()  # the same one-message conversation each time
        assert space.client.predict(message, choice, 0.0, 0.9, 6, api_name="/chat") == expected[name], choice


def test_input_cap_and_empty_input(space, prompts):
    from phyassist.serve.chat import MAX_INPUT_CHARS

    client = space.client
    long_reply = client.predict("a" * (MAX_INPUT_CHARS + 1), api_name="/chat")
    assert "the limit is 4,000" in long_reply and "Traceback" not in long_reply
    emoji = client.predict("\U0001F600" * 3900, api_name="/chat")  # within the characters, over the tokens
    assert "tokens long for this model" in emoji
    assert not client.predict("   ", api_name="/chat")
    assert prompts == []


def test_analysis_mode_streams_answer_and_badge(space):
    from phyassist.serve.analyze import infer_label, label_badge
    from phyassist.serve.chat import analysis_query

    client, post = space.client, "I haven't left my room in weeks and nothing feels worth doing."
    notice, answer, badge = client.predict(post, "DR", None, "calm", 0.0, 0.9, 8, api_name="/analyze")
    assert answer.strip() and notice == ""
    assert badge == label_badge(*infer_label("DR", answer, analysis_query("DR", post)))  # the answer's own label
    notice, answer, _ = client.predict("I want to end my life. Everyone would be better off without me.",
                                       "MultiWD", "emotional", BASE_CHOICE, 0.0, 0.9, 4, api_name="/analyze")
    assert "Crisis support" in notice and answer.strip()  # resources above the analysis of the post
    _, answer, _ = client.predict("x" * 5000, "DR", None, "calm", 0.0, 0.9, 4, api_name="/analyze")
    assert "limit is 4,000" in answer


def test_failed_adapters_are_reported_by_name_without_server_paths(space):
    from gradio_client.exceptions import AppError

    config = space.demo.get_config_file() if hasattr(space.demo, "get_config_file") else space.demo.config
    status = next(c["props"]["value"] for c in config["components"] if c["props"].get("elem_id") == "adapter-status")
    assert "broken" in status and "could not be loaded" in status and "`calm`" in status
    assert "`broken-local` could not be loaded" in status and "not-an-adapter" not in status
    assert str(space.root) not in status and "/tmp" not in status
    with pytest.raises(AppError, match="broken-local is not in the list of choices") as caught:
        space.client.predict("Hello", "broken-local", 0.0, 0.9, 4, api_name="/chat")  # Gradio validates the dropdown
    assert "Traceback" not in str(caught.value) and str(space.root) not in str(caught.value)
    assert space.client.predict("Hello", "coach", 0.0, 0.9, 3, api_name="/chat").strip()  # the others still work


def test_twenty_concurrent_requests_through_the_queue(space):
    from gradio_client import Client

    adapters = ["calm", "coach", BASE_CHOICE]

    def ask(i):  # one client per request: 20 users, each with its own session (and chat history)
        return Client(space.url, verbose=False).predict(f"Request {i}: any tip for sleeping better?", adapters[i % 3],
                                                        0.0, 0.9, 1, api_name="/chat")

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(ask, range(20)))
    assert len(replies) == 20 and all(isinstance(r, str) and r.strip() for r in replies)
    assert not any("could not produce" in r for r in replies)


def test_generation_runs_under_spaces_gpu_on_zero_gpu(space, monkeypatch):
    """On ZeroGPU (SPACES_ZERO_GPU set, `spaces` importable) the app's model call is wrapped in spaces.GPU with
    a duration that covers the generation bound (tests/serve/test_zerogpu.py: elsewhere nothing is wrapped)."""
    import types

    from phyassist.serve.chat import Conversation
    from phyassist.serve.zerogpu import GPU_SLACK_SECONDS

    calls = []

    def gpu(fn=None, *, duration=None):
        def wrap(f):
            def wrapped(*args, **kwargs):
                calls.append(duration)
                yield from f(*args, **kwargs)
            return wrapped
        return wrap(fn) if fn is not None else wrap

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    demo = space.app.build_app(space.bank, space.config)
    chat = next(fn.fn for fn in demo.fns.values() if fn.api_name == "chat")
    reply = list(chat("Hello", "calm", 0.0, 0.9, 2, Conversation(), None))[-1]
    assert reply.strip() and calls == [math.ceil(space.config.max_generation_seconds + GPU_SLACK_SECONDS)]


def test_readme_front_matter_lists_base_and_default_adapters():
    """models and preload_from_hub name the base and every adapter of adapters.yaml; the hardware is a
    real Spaces flavour; the Gradio the Space runs (sdk_version) and the one installed here meet
    requirements.txt."""
    import gradio
    import yaml
    from huggingface_hub import SpaceHardware
    from packaging.requirements import Requirement

    from phyassist.models import resolve_base

    text = (SPACE / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    config = yaml.safe_load((SPACE / "adapters.yaml").read_text())
    expected = [resolve_base(config["base_model"]).hub_id, *config["adapters"].values()]
    assert expected[0] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert front["sdk"] == "gradio" and front["app_file"] == "app.py"
    assert front["models"] == expected and front["preload_from_hub"] == expected
    assert front["suggested_hardware"] in {h.value for h in SpaceHardware}
    lines = [line.split("#")[0].strip() for line in (SPACE / "requirements.txt").read_text().splitlines()]
    requirements = {Requirement(line).name: Requirement(line) for line in lines if line}
    assert "phyassist" in requirements
    assert requirements["gradio"].specifier.contains(str(front["sdk_version"]))
    assert requirements["gradio"].specifier.contains(gradio.__version__)


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
        assert "Adapter imhi (phyassist/phyassist-smollm2-135m-instruct-imhi) could not be loaded" in text and "could not be loaded" in text and "Traceback" not in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
