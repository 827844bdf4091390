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


def test_a_counsel_question_asked_in_two_splits_stays_in_the_later_one(tmp_path):
    """The release splits by questionID; a question posted twice (another ID, same text up to case and
    spacing) or an ID listed in two splits is held out where the test (then validation) split asks it."""
    from conftest import write_csv_rows

    header = ["questionID", "questionTitle", "questionText", "answerText", "upvotes", "views", "split"]
    rows = [
        ("1", "Nervous in therapy?", "I get shaky before   every session.", "Nerves are normal.", "3", "9", "train"),
        ("1", "Nervous in therapy?", "I get shaky before   every session.", "Tell your therapist.", "1", "9", "train"),
        ("2", "How do I sleep?", "I wake at 3am.", "Keep a routine.", "1", "5", "train"),
        ("3", "Crying in therapy?", "Is it ok to cry?", "Yes, it is.", "1", "5", "train"),
        ("4", "Why so tired?", "Why so tired?", "See a doctor.", "1", "5", "val"),
        ("5", "Therapy nerves", "I get SHAKY before every session.", "It gets easier.", "2", "5", "test"),
        ("3", "Crying in therapy?", "Is it ok to cry?", "Crying is fine.", "1", "5", "val"),
        ("6", "Tired", "why so  tired?", "Rest.", "1", "5", "train"),
    ]
    write_csv_rows(tmp_path / "counsel-chat/20200325_counsel_chat.csv", header, rows)
    train = load_counsel_chat("train", answers="all", root=tmp_path)
    assert [(r["question_id"], r["question_in"]) for r in train] == [
        ("1", "test"), ("1", "test"), ("2", None), ("3", "validation"), ("6", "validation")]
    assert [r["question_in"] for r in load_counsel_chat("test", answers="all", root=tmp_path)] == [None]
    assert [r["question_in"] for r in load_counsel_chat("validation", answers="all", root=tmp_path)] == [None, None]
    dsd, report = prepare_dataset("counsel-chat", root=tmp_path, counsel_answers="all", decontaminate=False)
    assert [m[0]["content"] for m in dsd["train"]["messages"]] == ["How do I sleep?\n\nI wake at 3am."]
    assert report["dropped_by_split"]["train"] == {"question_in_test": 2, "question_in_validation": 2}
    test_questions = {m[0]["content"].split("\n\n")[-1].lower() for m in dsd["test"]["messages"]}
    assert not test_questions & {m[0]["content"].split("\n\n")[-1].lower() for m in dsd["train"]["messages"]}
