"""Sharing one model between sessions: one request per session at a time, a fair share, bounded queues.

Every generating event of the Space is in one concurrency group (``MODEL_QUEUE``), one first-come
line to the model of at most ``SpaceConfig.queue_size`` requests (``queue_options``). ``SessionGate``
lets each session have one request in that line at a time and tells a running reply when another
session waits (``others_waiting``), so that it can end after its fair share.
"""

from __future__ import annotations

from . import gradio_queue

BUSY = "One request at a time: please wait for the answer to your previous message."
MODEL_QUEUE = "model"  # the concurrency group of every event that generates: one first-come line to the model
SESSIONS_KEPT = 2000  # sessions whose conversation the server holds (least recently used dropped first)


def queue_options(queue_size: int) -> dict:
    """``Blocks.queue`` settings: one event of a group at a time, ``queue_size`` waiting at most, and no
    REST route that skips the queue (``api_open=False``; Gradio opens one by default off Spaces)."""
    return {"default_concurrency_limit": 1, "max_size": queue_size, "api_open": False}


class SessionGate:
    """One model request per session at a time, enforced when a request joins the queue.

    A session is marked busy as its request joins and released by the handler as it ends
    (``release``), before Gradio reports completion; a second request meanwhile is refused with
    ``BUSY``. A mark is dropped as stale once the queue holds no event of that session in the group
    (a request cancelled while waiting never reaches its handler). Requests without a session hash
    cannot be told apart and are not gated: the queue's size still bounds them.
    """

    def __init__(self, concurrency_id: str = MODEL_QUEUE):
        self.concurrency_id = concurrency_id
        self.busy: set[str] = set()
        self.joining: set[str] = set()
        self.queue = None

    def install(self, demo) -> None:
        """Gate ``demo``'s queue (after ``demo.queue(...)``)."""
        self.queue = gradio_queue.gate_push(demo, self.concurrency_id, self.admit, self.settle)

    def admit(self, session: str) -> str | None:
        """None when ``session`` may queue a request (it is then marked busy), else the refusal."""
        if session in self.busy and (session in self.joining
                                     or gradio_queue.holds(self.queue, session, self.concurrency_id)):
            return BUSY
        self.busy.add(session)
        self.joining.add(session)
        return None

    def settle(self, session: str, joined: bool) -> None:
        """After the push: a request that did not join (queue full, error) leaves the session free."""
        self.joining.discard(session)
        if not joined:
            self.busy.discard(session)

    def release(self, request) -> None:
        """The handler of ``request`` (a ``gr.Request``, or None) has ended."""
        if request is not None and request.session_hash:
            self.busy.discard(request.session_hash)

    def others_waiting(self) -> bool:
        """True while a request of this group waits in the queue (the running one is not in it)."""
        return self.queue is not None and gradio_queue.waiting(self.queue, self.concurrency_id)
