"""The dataset registry and raw loading (phyassist.data.loading)."""

from __future__ import annotations

import pytest

from phyassist.data.loading import DATASETS, counsel_prompt, load_counsel_chat, resolve_dataset
from phyassist.data.prepare import prepare_dataset
from phyassist.errors import UserError


def test_registry_and_resolve():
    assert DATASETS["final"].components == ("Irf", "MultiWD", "SAD")
    assert DATASETS["all"].components == ("DR", "dreaddit", "Irf", "MultiWD", "SAD", "counsel-chat")
    assert resolve_dataset("multiwd").name == "MultiWD"
    with pytest.raises(UserError, match="IMHI task t-sid is test-only .* cannot be prepared for training"):
        resolve_dataset("T-SID")
    with pytest.raises(UserError, match="unknown dataset 'x'; expected one of: DR, dreaddit"):
        resolve_dataset("x")


def test_counsel_chat_top_answer_and_all(tiny_root):
    top = load_counsel_chat("train", root=tiny_root)
    assert [r["response"] for r in top] == ["Try writing your worries down at a set time each day.",
                                           "See https://example.org for a list."]
    assert len(load_counsel_chat("train", answers="all", root=tiny_root)) == 3
    assert counsel_prompt("Why am I always tired?", "Why am I always tired?") == "Why am I always tired?"
    dsd, report = prepare_dataset("counsel-chat", root=tiny_root, counsel_answers="all")
    assert report["rows"] == {"train": 2, "validation": 1, "test": 1} and report["dropped"] == {"link": 1}
    assert set(dsd["train"]["label"]) == {""} and set(dsd["train"]["task"]) == {"counsel-chat"}
    with pytest.raises(UserError, match="`counsel_answers` must be 'top' or 'all', got 'best'"):
        prepare_dataset("counsel-chat", root=tiny_root, counsel_answers="best")
