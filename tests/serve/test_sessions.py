"""Sharing the model between sessions (phyassist.serve.sessions) on a tiny Gradio app with no model: one
request per session at a time, released as its handler ends, and the signal that another session waits."""

from __future__ import annotations

import pytest
from test_gradio_queue import GROUP, HoldApp, wait_for

from phyassist.serve.sessions import BUSY, SessionGate, queue_options


@pytest.fixture
def gated():
    """(app, gate): a HoldApp whose /hold group is gated, its handler releasing the session as it ends."""
    gate = SessionGate(GROUP)
    app = HoldApp(on_end=gate.release)
    gate.install(app.demo)
    yield app.launch(), gate
    app.close()


def test_one_request_per_session_at_a_time(gated):
    from gradio_client.exceptions import ValidationError

    app, gate = gated
    alice, bob = app.client(), app.client()
    first = alice.submit("a", api_name="/hold")
    assert app.running.wait(30) and gate.busy == {alice.session_hash}
    with pytest.raises(ValidationError, match=BUSY):
        alice.predict("again", api_name="/hold")
    assert alice.predict("echo", api_name="/echo") == "echo"  # events outside the group are not gated
    waiting = bob.submit("b", api_name="/hold")  # another session queues behind
    assert wait_for(gate.others_waiting)
    app.go.set()
    assert first.result(timeout=60) == "a" and waiting.result(timeout=60) == "b"
    assert wait_for(lambda: not gate.busy)  # released by the handlers as they ended
    assert alice.predict("later", api_name="/hold") == "later" and not gate.others_waiting()


def test_a_stale_mark_is_dropped_once_the_queue_holds_nothing_of_the_session(gated):
    _, gate = gated
    gate.busy.add("gone")  # e.g. a request cancelled while it waited never reached its handler
    assert gate.admit("gone") is None and "gone" in gate.busy and "gone" in gate.joining
    assert gate.admit("gone") == BUSY  # while its push is still under way
    gate.settle("gone", joined=False)
    assert "gone" not in gate.busy and "gone" not in gate.joining


def test_release_without_a_session_changes_nothing():
    gate = SessionGate()
    gate.busy.add("s")
    gate.release(None)
    assert gate.busy == {"s"} and not gate.others_waiting()  # not installed: nobody waits


def test_queue_options_bound_the_line_and_close_the_rest_route():
    import gradio as gr

    assert queue_options(7) == {"default_concurrency_limit": 1, "max_size": 7, "api_open": False}
    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, None, None)
    demo.queue(**queue_options(7))
    assert demo._queue.max_size == 7 and demo._queue.default_concurrency_limit == 1
