"""The one patch of Gradio's private queue: a check run as a request joins it, and reads of who waits.

Gradio bounds how many events run, not how many one session puts in line, and has no hook where a
request joins the queue. ``gate_push`` wraps one app's ``Queue.push`` for that; ``waiting`` and
``holds`` read the queue's private state. Every use of Gradio's queue internals in phyassist is
here, and ``tests/serve/test_gradio_queue.py`` fails when they change underneath it.
"""

from __future__ import annotations

from typing import Callable

REFUSED = "validator_error"  # the push outcome Gradio answers with HTTP 422 and a validation message


def refusal(message: str, parameter: str) -> tuple:
    """What ``Queue.push`` returns for a request refused before it joins: shown as a validation error."""
    return False, [{"__type__": "validate", "is_valid": False, "message": message, "parameter_name": parameter}], REFUSED


def waiting(queue, concurrency_id: str) -> bool:
    """True while a request of the group waits in ``queue`` (the running ones are not in it)."""
    line = queue.event_queue_per_concurrency_id.get(concurrency_id)
    return bool(line is not None and line.queue)


def holds(queue, session: str, concurrency_id: str) -> bool:
    """True while ``queue`` holds an event (waiting or running) of ``session`` in the group."""
    return any(e.session_hash == session and e.concurrency_id == concurrency_id
               for e in list(queue.event_ids_to_events.values()))


def gate_push(demo, concurrency_id: str, admit: Callable[[str], str | None], settle: Callable[[str, bool], None],
              parameter: str = "message"):
    """Wrap ``demo``'s queue push: a request of group ``concurrency_id`` with a session hash joins only when
    ``admit(session)`` returns None (else it is refused with that message, shown on input ``parameter``),
    and ``settle(session, joined)`` runs once its push is over. Other requests pass untouched. Returns the queue.

    Call it after ``demo.queue(...)``, on an app whose queue is configured.
    """
    queue, push = demo._queue, demo._queue.push

    async def gated(body, request, username):
        fn = demo.fns.get(body.fn_index) if body.fn_index is not None else None
        session = body.session_hash
        if fn is None or fn.concurrency_id != concurrency_id or not session:
            return await push(body=body, request=request, username=username)
        message = admit(session)
        if message is not None:
            return refusal(message, parameter)
        joined = False
        try:
            result = await push(body=body, request=request, username=username)
            joined = bool(result[0])
            return result
        finally:
            settle(session, joined)

    queue.push = gated
    return queue

