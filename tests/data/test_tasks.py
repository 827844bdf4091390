"""The IMHI task registry (phyassist.data.tasks) and the release files on the shared data."""

from __future__ import annotations

import re

import pytest

from phyassist.data.loading import imhi_path, load_imhi
from phyassist.data.tasks import (
    TASKS,
    TRAIN_TASKS,
    VARIANTS,
    get_task,
    normalize,
    split_file,
)
from phyassist.errors import UserError

# Row counts of the public MentalLLaMA release's test files.
RELEASE_TEST_ROWS = {"DR": 405, "dreaddit": 414, "Irf": 2113, "MultiWD": 2441, "SAD": 684,
                     "CAMS": 625, "loneliness": 528, "t-sid": 959}


def test_registry_splits_train_and_test_only_tasks():
    assert TRAIN_TASKS == ["DR", "dreaddit", "Irf", "MultiWD", "SAD"]
    assert {n for n, t in TASKS.items() if not t.has_train} == {"CAMS", "loneliness", "t-sid", "swmh"}
    assert split_file(TASKS["CAMS"], "train") is None
    assert split_file(TASKS["DR"], "train", "complete") == "train_data/complete_data/DR/reddit_train.csv"
    assert split_file(TASKS["SAD"], "test", "complete") == "test_data/test_complete/SAD.csv"


def test_get_task_is_case_insensitive_and_errors_list_choices():
    assert get_task("multiwd").name == "MultiWD"
    with pytest.raises(UserError, match=r"unknown IMHI task 'nope'; expected one of: DR, dreaddit"):
        get_task("nope")
    with pytest.raises(UserError, match=r"`variant` must be one of instruction, complete, got 'chat'"):
        split_file(TASKS["DR"], "test", "chat")


@pytest.mark.parametrize("name", list(TASKS))
def test_label_sentences_are_distinct_and_map_back(name):
    task = TASKS[name]
    assert len({normalize(s) for s in task.sentences.values()}) == len(task.labels)
    for label, sentence in task.sentences.items():
        assert task.gold_label(f"{sentence}. Reasoning: because.") == label
    for label, answer in task.answers.items():
        assert task.gold_label(f"{answer}. Reasoning: because.", "complete") == label
    assert task.gold_label("I cannot tell. Reasoning: unclear.") is None


def _matching_labels(task, response: str) -> set[str]:
    head = normalize(response.split("Reasoning:")[0])
    phrases = {**{normalize(s): k for k, s in task.sentences.items()},
               **{normalize(s): k for k, s in task.answers.items()}}
    for label, extra in task.aliases.items():
        phrases.update({normalize(p): label for p in extra})
    return {label for phrase, label in phrases.items() if head == phrase}


@pytest.mark.parametrize("name, rows", RELEASE_TEST_ROWS.items())
def test_release_test_files_load_with_published_row_counts(data_dir, name, rows):
    for variant in VARIANTS:
        assert len(load_imhi(name, "test", variant, root=data_dir)) == rows


@pytest.mark.parametrize("name", [n for n in TASKS if n != "swmh"])
def test_every_gold_response_maps_to_exactly_one_label(data_dir, name):
    task = TASKS[name]
    checked = 0
    for variant in VARIANTS:
        for split in ("train", "validation", "test"):
            path = imhi_path(name, split, variant, root=data_dir)
            if path is None or not path.exists():
                continue
            for row in load_imhi(name, split, variant, root=data_dir):
                matches = _matching_labels(task, row["response"])
                if variant == "complete" and not matches and task.binary:
                    # the completion style may say "yes, ..." / "no, ..." in its own words: the first word is it
                    matches = set(re.findall(r"^(yes|no)\b", normalize(row["response"])))
                assert len(matches) == 1, (name, split, variant, row["response"][:120])
                assert {row["label"]} == matches, (name, split, variant, row["response"][:120])
                checked += 1
    assert checked >= RELEASE_TEST_ROWS[name]


def test_missing_split_error_names_the_path(data_dir):
    with pytest.raises(UserError, match=r"IMHI MultiWD train file not found: tried .*MultiWD/train\.csv"):
        load_imhi("MultiWD", "train", root=data_dir)
    with pytest.raises(UserError, match="IMHI task CAMS has no train split"):
        load_imhi("CAMS", "train", root=data_dir)
