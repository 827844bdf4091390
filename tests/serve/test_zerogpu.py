"""ZeroGPU (phyassist.serve.zerogpu): the model call runs under spaces.GPU with a duration that covers
the generation bound on a ZeroGPU Space, and unwrapped everywhere else."""

from __future__ import annotations

import math
import sys
import types

import pytest

from phyassist.serve.zerogpu import GPU_SLACK_SECONDS, on_gpu, zero_gpu


@pytest.fixture
def spaces_package(monkeypatch):
    """A stand-in for Hugging Face's ``spaces`` package (not installed here): records each GPU duration."""
    durations = []

    def gpu(fn=None, *, duration=None):
        def wrap(f):
            def wrapped(*args, **kwargs):
                durations.append(duration)
                yield from f(*args, **kwargs)
            return wrapped
        return wrap(fn) if fn is not None else wrap

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    return durations


def test_off_zero_gpu_nothing_is_wrapped(monkeypatch, spaces_package):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    assert not zero_gpu() and on_gpu(len, 10) is len
    monkeypatch.setenv("SPACES_ZERO_GPU", "false")
    assert not zero_gpu()


def test_without_the_spaces_package_nothing_is_wrapped(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # import spaces -> ImportError
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    assert not zero_gpu() and on_gpu(len, 10) is len


@pytest.mark.parametrize("flag", ["1", "t", "True", " true "])
def test_on_zero_gpu_the_call_holds_a_gpu_for_its_bound(monkeypatch, spaces_package, flag):
    monkeypatch.setenv("SPACES_ZERO_GPU", flag)
    assert zero_gpu()

    def generate(n):
        yield from range(n)

    wrapped = on_gpu(generate, 20.2 + GPU_SLACK_SECONDS)
    assert wrapped is not generate and list(wrapped(3)) == [0, 1, 2]
    assert spaces_package == [math.ceil(20.2 + GPU_SLACK_SECONDS)]


def test_the_space_generation_is_wrapped_for_the_configured_bound(monkeypatch, spaces_package, tiny_llama_dir):
    from phyassist.serve.bank import AdapterBank, SpaceConfig
    from phyassist.serve.chat import chat_input_ids, chat_messages
    from phyassist.serve.respond import clamped_sampling, make_generate

    monkeypatch.setenv("SPACES_ZERO_GPU", "1")
    bank = AdapterBank.load(str(tiny_llama_dir), {})
    generate = make_generate(bank, SpaceConfig(max_generation_seconds=7.5))
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "hello"))
    assert list(generate(None, ids, clamped_sampling(0.0, 0.9, 2)))
    assert spaces_package == [math.ceil(7.5 + GPU_SLACK_SECONDS)]


class ForkedGPU:
    """``spaces.GPU`` as ZeroGPU runs a generator: in a worker process forked at its first call and kept for
    the later ones, the arguments pickled to it and each yield pickled back (spaces' ``generator_function_wrapper``)."""

    def __init__(self):
        import multiprocessing

        self.fork = multiprocessing.get_context("fork")
        self.workers = []

    def __call__(self, fn=None, *, duration=None):
        def wrap(task):
            worker = {}

            def handler(*args, **kwargs):
                if not worker:
                    calls, results = self.fork.Queue(), self.fork.Queue()

                    def serve():
                        while True:
                            a, k = calls.get()
                            for item in task(*a, **k):
                                results.put(("item", item))
                            results.put(("end", None))

                    process = self.fork.Process(target=serve, daemon=True)
                    process.start()
                    self.workers.append(process)
                    worker.update(calls=calls, results=results)
                worker["calls"].put((args, kwargs))
                while True:
                    kind, item = worker["results"].get(timeout=20)
                    if kind == "end":
                        return
                    yield item
            return handler
        return wrap(fn) if fn is not None else wrap


@pytest.fixture
def forked_spaces(monkeypatch):
    gpu = ForkedGPU()
    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    yield gpu
    for process in gpu.workers:
        process.terminate()
        process.join(timeout=10)


def test_on_zero_gpu_whether_others_wait_is_read_outside_the_worker(forked_spaces, monkeypatch):
    """The GPU worker is forked at the first request and keeps its copy of the queue: a session that starts
    waiting later is seen only by the Space's process, which must read it and pass it in."""
    from phyassist.serve import respond
    from phyassist.serve.bank import SpaceConfig

    def stream_generate(bank, adapter, input_ids, sampling, max_time=None, yield_to=None, fair_share=None):
        yield f"others waiting: {yield_to()}"  # what the fair-share decision sees, inside the worker

    monkeypatch.setattr(respond, "stream_generate", stream_generate)
    gate = types.SimpleNamespace(waiting=False)
    gate.others_waiting = lambda: gate.waiting
    generate = respond.make_generate(object(), SpaceConfig(), gate)
    assert list(generate(None, [[1, 2]], None)) == ["others waiting: False"]  # the worker is forked here
    gate.waiting = True  # another session joins the queue: only this process sees it
    assert list(generate(None, [[1, 2]], None)) == ["others waiting: True"]
    gate.waiting = False
    assert list(generate(None, [[1, 2]], None)) == ["others waiting: False"]
    assert len(forked_spaces.workers) == 1 and forked_spaces.workers[0].is_alive()


def test_off_zero_gpu_the_reply_asks_whether_others_wait_as_it_runs(monkeypatch):
    """No fork: the fair share is decided on the queue as it is while the reply runs, not as it started."""
    from phyassist.serve import respond
    from phyassist.serve.bank import SpaceConfig

    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def stream_generate(bank, adapter, input_ids, sampling, max_time=None, yield_to=None, fair_share=None):
        yield f"others waiting: {yield_to()}"
        gate.waiting = True  # someone joins mid-reply
        yield f"others waiting: {yield_to()}"

    monkeypatch.setattr(respond, "stream_generate", stream_generate)
    gate = types.SimpleNamespace(waiting=False)
    gate.others_waiting = lambda: gate.waiting
    generate = respond.make_generate(object(), SpaceConfig(), gate)
    assert list(generate(None, [[1, 2]], None)) == ["others waiting: False", "others waiting: True"]
