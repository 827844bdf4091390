"""The patch of Gradio's private queue (phyassist.serve.gradio_queue), against the Gradio installed.

These tests fail when the internals the patch uses change underneath it: ``Queue.push``'s signature
and result, ``Blocks.fns`` and a function's ``concurrency_id``, the queue's ``event_ids_to_events``
and ``event_queue_per_concurrency_id``, and a refusal reaching the client as a validation error.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time

import gradio as gr
import pytest

from phyassist.serve import gradio_queue

GROUP = "gated"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.02)
    return condition()


class HoldApp:
    """A tiny Gradio app on loopback: /hold (group ``GROUP``) runs until ``go`` is set, /echo (its own group)
    answers at once. ``on_end(request)`` runs as /hold's handler ends; ``client()`` is a new session."""

    def __init__(self, max_size: int | None = None, on_end=lambda request: None):
        self.go, self.running = threading.Event(), threading.Event()

        def hold(text: str, request: gr.Request = None):  # gr must be a module global: Gradio reads the hint
            try:
                self.running.set()
                self.go.wait(60)
                return text
            finally:
                on_end(request)

        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Textbox()
            gr.Button().click(hold, box, out, api_name="hold", concurrency_id=GROUP)
            gr.Button().click(lambda text: text, box, out, api_name="echo")
        demo.queue(default_concurrency_limit=1, max_size=max_size, api_open=False)
        self.demo = demo

    def launch(self) -> "HoldApp":
        self.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
        return self

    def client(self):
        from gradio_client import Client

        return Client(self.demo.local_url, verbose=False)

    def close(self):
        self.go.set()
        self.demo.close()


@pytest.fixture
def make_app():
    apps = []

    def make(**kwargs) -> HoldApp:
        apps.append(HoldApp(**kwargs))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


def test_the_internals_the_patch_uses_exist():
    from gradio.queueing import Event, EventQueue, Queue

    assert list(inspect.signature(Queue.push).parameters) == ["self", "body", "request", "username"]
    assert inspect.iscoroutinefunction(Queue.push)
    assert "validator_error" in str(inspect.signature(Queue.push).return_annotation)
    assert list(inspect.signature(Event.__init__).parameters)[1] == "session_hash"
    assert "queue" in vars(EventQueue("x", 1))
    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, None, None, concurrency_id=GROUP)
    demo.queue()
    queue = demo._queue
    assert isinstance(queue, Queue) and isinstance(queue.event_ids_to_events, dict)
    assert isinstance(queue.event_queue_per_concurrency_id, dict)
    assert [fn.concurrency_id for fn in demo.fns.values()] == [GROUP] and list(demo.fns) == [0]
    event = Event("s1", demo.fns[0], None, None)
    assert (event.session_hash, event.concurrency_id) == ("s1", GROUP)


def test_a_refused_request_reaches_the_client_as_a_validation_error(make_app):
    from gradio_client.exceptions import ValidationError

    app = make_app()
    admitted, settled = [], []

    def admit(session):
        admitted.append(session)
        return "Not now, please." if len(admitted) == 1 else None

    gradio_queue.gate_push(app.demo, GROUP, admit, lambda session, joined: settled.append((session, joined)))
    app.go.set()
    client = app.launch().client()
    with pytest.raises(ValidationError, match="Not now, please."):
        client.predict("a", api_name="/hold")
    assert settled == []  # a refused request never reached the queue
    assert client.predict("b", api_name="/hold") == "b"
    assert settled == [(client.session_hash, True)] and admitted == [client.session_hash] * 2
    assert client.predict("c", api_name="/echo") == "c" and len(admitted) == 2  # other groups pass untouched


def test_waiting_and_holds_read_the_queue(make_app):
    app = make_app()
    gradio_queue.gate_push(app.demo, GROUP, lambda session: None, lambda session, joined: None)
    queue = app.launch().demo._queue
    first, second = app.client(), app.client()
    running = first.submit("a", api_name="/hold")
    assert app.running.wait(30)
    assert gradio_queue.holds(queue, first.session_hash, GROUP)  # a running event is held
    assert not gradio_queue.holds(queue, second.session_hash, GROUP) and not gradio_queue.holds(queue, first.session_hash, "other")
    assert not gradio_queue.waiting(queue, GROUP)  # the running one is not waiting
    waiting = second.submit("b", api_name="/hold")
    assert wait_for(lambda: gradio_queue.waiting(queue, GROUP))
    assert gradio_queue.holds(queue, second.session_hash, GROUP)
    app.go.set()
    assert running.result(timeout=60) == "a" and waiting.result(timeout=60) == "b"
    assert wait_for(lambda: not gradio_queue.holds(queue, first.session_hash, GROUP))
    assert not gradio_queue.waiting(queue, GROUP)


def test_settle_hears_that_a_request_did_not_join_a_full_queue(make_app):
    app = make_app(max_size=1)
    settled = []
    gradio_queue.gate_push(app.demo, GROUP, lambda session: None, lambda session, joined: settled.append((session, joined)))
    queue = app.launch().demo._queue
    clients = [app.client() for _ in range(3)]
    running = clients[0].submit("a", api_name="/hold")
    assert app.running.wait(30)
    waiting = clients[1].submit("b", api_name="/hold")
    assert wait_for(lambda: gradio_queue.waiting(queue, GROUP))
    with pytest.raises(Exception, match="Queue is full"):
        clients[2].predict("c", api_name="/hold")
    app.go.set()
    assert running.result(timeout=60) == "a" and waiting.result(timeout=60) == "b"
    assert sorted(settled) == sorted([(clients[0].session_hash, True), (clients[1].session_hash, True),
                                      (clients[2].session_hash, False)])
