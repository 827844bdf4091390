"""Preparation (phyassist.data.prepare): splits, cleaning, the report, determinism, saving."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import write_csv_rows

from phyassist.data.prepare import prepare_dataset, save_prepared
from phyassist.errors import UserError


def test_prepare_carves_validation_cleans_and_reports(tiny_root, caplog):
    with caplog.at_level(logging.WARNING, logger="phyassist.data"):
        dsd, report = prepare_dataset("MultiWD", root=tiny_root, max_chars=300)
    assert set(dsd) == {"train", "validation", "test"}
    # 47 val rows: 41 kept (40 plain + the repaired one) minus the one in the test file, 4 validation, rest train.
    assert report["rows"] == {"train": 36, "validation": 4, "test": 6}
    assert report["dropped_by_split"]["test"] == {}
    dropped = report["dropped"]
    assert dropped == {"duplicate": 1, "empty": 1, "link": 1, "mojibake": 1, "no_label": 1, "test_overlap": 1,
                       "too_long": 1}
    assert report["repaired_mojibake_rows"] == 1
    assert any("no train.csv" in n and "carved out as validation" in n for n in report["notes"])
    assert any("carved out as validation" in r.message for r in caplog.records)
    row = dsd["train"][0]
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    assert row["task"] == "MultiWD" and row["label"] in ("yes", "no")
    contents = [r["messages"][0]["content"] for r in dsd["train"]] + [r["messages"][0]["content"] for r in dsd["validation"]]
    assert any("I can’t sleep" in c for c in contents)
    assert not set(contents) & {r["messages"][0]["content"] for r in dsd["test"]}
    assert report["char_length"]["train"]["max"] <= 300


def test_prepare_is_deterministic_and_seeded(tiny_root):
    a, ra = prepare_dataset("MultiWD", root=tiny_root)
    b, rb = prepare_dataset("MultiWD", root=tiny_root)
    c, _ = prepare_dataset("MultiWD", root=tiny_root, seed=7)
    assert a["train"].to_list() == b["train"].to_list() and ra == rb
    assert a["validation"].to_list() != c["validation"].to_list()


def test_prepare_uses_train_file_when_present_and_mixtures(tiny_root):
    dsd, report = prepare_dataset("DR", root=tiny_root)
    assert report["rows"] == {"train": 6, "validation": 3, "test": 1} and report["notes"] == []
    with pytest.raises(UserError, match="IMHI Irf test file not found"):
        prepare_dataset("final", root=tiny_root)
    irf = 'Consider this post: "{}" Question: Does the post show risk of thwarted belongingness?'
    sad = 'Consider this post: "{}" Question: What stress cause does this post show?'
    for task, q, ans in (("Irf", irf, "Yes, the post shows this risk"),
                         ("SAD", sad, "This post shows the stress cause related to work")):
        for split in ("val", "train") if task == "SAD" else ("val",):
            write_csv_rows(tiny_root / f"imhi/train_data/instruction_data/{task}/{split}.csv", ["query", "gpt-3.5-turbo"],
                   [(q.format(f"{task} {split} {i}"), f"{ans}. Reasoning: x.") for i in range(10)])
        write_csv_rows(tiny_root / f"imhi/test_data/test_instruction/{task}.csv", ["query", "gpt-3.5-turbo"],
               [(q.format(f"{task} test"), f"{ans}. Reasoning: x.")])
    dsd, report = prepare_dataset("final", root=tiny_root)
    alone = prepare_dataset("MultiWD", root=tiny_root)[1]["rows"]["train"]
    assert report["rows_by_task"]["train"] == {"Irf": 9, "MultiWD": alone, "SAD": 10}
    assert report["labels"]["train"]["work"] == 10 and len(report["notes"]) == 2
    assert [r["task"] for r in dsd["train"]][:20] != sorted(r["task"] for r in dsd["train"])[:20]  # shuffled


def test_prepare_validates_arguments(tiny_root):
    with pytest.raises(UserError, match="`val_fraction` must be between 0 and 1, got 1.5"):
        prepare_dataset("MultiWD", root=tiny_root, val_fraction=1.5)
    with pytest.raises(UserError, match="`variant` must be one of"):
        prepare_dataset("MultiWD", root=tiny_root, variant="chat")


def test_save_prepared_round_trips(tiny_root, tmp_path):
    from datasets import load_from_disk

    dsd, report = prepare_dataset("MultiWD", root=tiny_root)
    out = save_prepared(dsd, report, tmp_path / "out")
    assert load_from_disk(str(out))["train"].to_list() == dsd["train"].to_list()
    assert json.loads((out / "data_report.json").read_text())["rows"] == report["rows"]
    save_prepared(dsd, report, out)  # an earlier output is replaced
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(UserError, match="folder exists and is not a prepared dataset"):
        save_prepared(dsd, report, other)
    assert (other / "mine.txt").read_text() == "keep me"


def test_prepare_multiwd_on_shared_data(data_dir):
    dsd, report = prepare_dataset("MultiWD", root=data_dir)
    again, _ = prepare_dataset("MultiWD", root=data_dir)
    assert dsd["train"].to_list() == again["train"].to_list()
    assert report["rows"]["test"] == 2441
    assert report["rows"]["train"] + report["rows"]["validation"] + sum(report["dropped"].values()) == 1500
    # 10% of the 1500 val rows are carved out as validation, before cleaning.
    assert report["rows"]["validation"] + sum(report["dropped_by_split"]["validation"].values()) == 150
    assert report["repaired_mojibake_rows"] > 0
    text = " ".join(m["content"] for r in dsd["train"] for m in r["messages"])
    assert "‚Äô" not in text and "http://" not in text


def test_prepare_drops_rows_whose_post_is_in_any_test_set(tmp_path):
    """dreaddit train/val posts found in Irf's and CAMS's test files (other answers, other case, white space and
    Unicode form) and in dreaddit's expert set are dropped as test_overlap; a post that only starts like a
    test post is kept."""
    from conftest import FIXTURES

    root = FIXTURES / "imhi_overlap"
    dsd, report = prepare_dataset("dreaddit", root=root)
    prompts = {s: [r["messages"][0]["content"] for r in dsd[s]] for s in ("train", "validation")}
    assert report["rows"] == {"train": 4, "validation": 2, "test": 2}
    assert report["dropped_by_split"]["train"] == {"test_overlap": 2}
    assert report["dropped_by_split"]["validation"] == {"test_overlap": 1}
    assert report["dropped"] == {"test_overlap": 3}
    assert report["test_overlap"] == {
        "checked": True, "test_posts": 5, "dropped": {"train": {"dreaddit": 2}, "validation": {"dreaddit": 1}},
        "test_files": ["imhi/test_data/test_complete/CAMS.csv", "imhi/test_data/test_instruction/Irf.csv",
                       "imhi/test_data/test_instruction/dreaddit.csv",
                       "imhi/test_data/test_instruction_expert/dreaddit.csv"]}
    assert not any("landlord" in p or "café" in p for p in prompts["train"])
    assert any("I start a new job on Monday." in p for p in prompts["train"])
    assert not any("Traffic" in p for p in prompts["validation"])
    from phyassist.data.prepare import format_report

    assert ("test overlap: 5 posts in 4 IMHI test files; rows dropped: train dreaddit 2; validation dreaddit 1"
            in format_report(report))
    _, off = prepare_dataset("dreaddit", root=root, decontaminate=False)
    assert off["rows"] == {"train": 6, "validation": 3, "test": 2} and off["test_overlap"] == {"checked": False}
    assert "test overlap: not checked" in format_report(off)


UNQUOTED_BREAKS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]


@pytest.mark.parametrize("ch", UNQUOTED_BREAKS, ids=[f"U+{ord(c):04X}" for c in UNQUOTED_BREAKS])
def test_prepare_keeps_fields_with_unquoted_line_breaks_whole(tmp_path, ch):
    """Completion-variant fields hold no comma or quote, so the csv writer leaves them unquoted."""
    root = tmp_path / "data"
    question = ' Question: The answer to the question "Does the poster suffer from depression?" is'
    for name, n in (("reddit_train", 4), ("reddit_valid", 2)):
        rows = [(f"Post: {name} {i} I feel{ch}empty", question, f"yes. Reasoning: one{ch}two.") for i in range(n)]
        write_csv_rows(root / f"imhi/train_data/complete_data/DR/{name}.csv", ["post", "question", "response"], rows)
    write_csv_rows(root / "imhi/test_data/test_complete/DR.csv", ["query", "gpt-3.5-turbo"],
                   [("Post: test" + question, "no. Reasoning: x.")])
    raw = (root / "imhi/train_data/complete_data/DR/reddit_train.csv").read_bytes().decode("utf-8")
    assert f"\r\nPost: reddit_train 0 I feel{ch}empty," in raw  # unquoted
    dsd, report = prepare_dataset("DR", variant="complete", root=root)
    assert report["rows"] == {"train": 4, "validation": 2, "test": 1} and report["dropped"] == {}
    assert [r["messages"][0]["content"] for r in dsd["train"]] == [
        f"Post: reddit_train {i} I feel{ch}empty{question}" for i in range(4)]
    assert {r["messages"][1]["content"] for r in dsd["validation"]} == {f"yes. Reasoning: one{ch}two."}
