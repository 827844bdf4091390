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
