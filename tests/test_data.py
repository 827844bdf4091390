"""Cleaning, preparation, the data commands and the downloader (phyassist.clean/data/data_cli/download)."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from phyassist.clean import Cleaner, has_mojibake, repair_mojibake
from phyassist.data import (DATASETS, counsel_prompt, load_counsel_chat, prepare_dataset, resolve_dataset,
                            save_prepared)
from phyassist.errors import UserError

FIXTURES = Path(__file__).parent / "fixtures"
YES = "Yes, this wellness dimension exists in the post"
NO = "No, this wellness dimension does not exist in the post"


def _write(path: Path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture
def tiny_root(tmp_path) -> Path:
    """A data folder shaped like the release: MultiWD val + test only, DR with train, counsel-chat."""
    root = tmp_path / "data"
    q = 'Consider this post: "{}" Question: Does the {} wellness dimension exist in the post?'
    val = [(q.format(f"Post number {i} about my week", "social"), f"{YES if i % 2 else NO}. Reasoning: r{i}.")
           for i in range(40)]
    val += [
        (q.format("see www.example.com", "social"), f"{YES}. Reasoning: link."),
        (q.format("I can‚Äôt sleep", "physical"), f"{YES}. Reasoning: repaired."),
        (q.format("We?ve lost it", "physical"), f"{NO}. Reasoning: lost apostrophe."),
        ("", f"{NO}. Reasoning: empty."),
        val[0],  # exact duplicate
        (q.format("Not sure", "social"), "Maybe. Reasoning: no label."),
        (q.format("x" * 400, "social"), f"{NO}. Reasoning: long."),
    ]
    _write(root / "imhi/train_data/instruction_data/MultiWD/val.csv", ["query", "gpt-3.5-turbo"], val)
    test = [(q.format(f"Test post {i} http://t.co/x", "social"), f"{NO}. Reasoning: t{i}.") for i in range(5)]
    _write(root / "imhi/test_data/test_instruction/MultiWD.csv", ["query", "gpt-3.5-turbo"], test + [val[1]])
    dr = 'Consider this post: "{}" Question: Does the poster suffer from depression?'
    yes, no = "Yes, the poster suffers from depression", "No, the poster does not suffer from depression"
    for split, n in (("train", 6), ("val", 3)):
        _write(root / f"imhi/train_data/instruction_data/DR/{split}.csv", ["query", "gpt-3.5-turbo"],
               [(dr.format(f"{split} {i}"), f"{yes if i % 2 else no}. Reasoning: x.") for i in range(n)])
    _write(root / "imhi/test_data/test_instruction/DR.csv", ["query", "gpt-3.5-turbo"],
           [(dr.format("test"), f"{no}. Reasoning: x.")])
    (root / "counsel-chat").mkdir(parents=True)
    shutil.copy(FIXTURES / "counsel_small.csv", root / "counsel-chat/20200325_counsel_chat.csv")
    return root


def test_repair_mojibake_fixes_mac_roman_and_cp1252_but_not_real_text():
    assert repair_mojibake("I can‚Äôt, ‚Äúquoted‚Äù") == ("I can’t, “quoted”", 3)
    assert repair_mojibake("canâ€™t") == ("can’t", 1)
    assert repair_mojibake("mood üòê today")[0] == "mood 😐 today"
    assert repair_mojibake("l’été, naïve café") == ("l’été, naïve café", 0)


def test_has_mojibake_flags_lost_characters_not_punctuation():
    assert has_mojibake("We?ve been") and has_mojibake("I ?? you") and has_mojibake("bad \ufffd char")
    assert not has_mojibake("Why me?? Really???") and not has_mojibake("What? Nothing.")


def test_cleaner_counts_each_reason():
    c = Cleaner(max_chars=50)
    rows = [("q", "a"), ("", "a"), ("q", None), ("see http://x.org", "a"), ("We?ve", "a"), ("q" * 60, "a"), ("q", "a"),
            (" q ", "a")]
    kept = [c(*r) for r in rows]
    assert kept[0] == ("q", "a") and kept.count(None) == 7
    assert dict(c.dropped) == {"empty": 2, "link": 1, "mojibake": 1, "too_long": 1, "duplicate": 2}


def test_registry_and_resolve():
    assert DATASETS["final"].components == ("Irf", "MultiWD", "SAD")
    assert DATASETS["all"].components == ("DR", "dreaddit", "Irf", "MultiWD", "SAD", "counsel-chat")
    assert resolve_dataset("multiwd").name == "MultiWD"
    with pytest.raises(UserError, match="IMHI task t-sid is test-only .* cannot be prepared for training"):
        resolve_dataset("T-SID")
    with pytest.raises(UserError, match="unknown dataset 'x'; expected one of: DR, dreaddit"):
        resolve_dataset("x")


def test_prepare_carves_validation_cleans_and_reports(tiny_root, caplog):
    with caplog.at_level(logging.WARNING, logger="phyassist.data"):
        dsd, report = prepare_dataset("MultiWD", root=tiny_root, max_chars=300)
    assert set(dsd) == {"train", "validation", "test"}
    # 47 val rows: 41 kept (40 plain + the repaired one) minus the test duplicate, 4 validation, rest train.
    assert report["rows"] == {"train": 36, "validation": 4, "test": 6}
    assert report["dropped_by_split"]["test"] == {}
    dropped = report["dropped"]
    assert dropped == {"duplicate": 2, "empty": 1, "link": 1, "mojibake": 1, "no_label": 1, "too_long": 1}
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
            _write(tiny_root / f"imhi/train_data/instruction_data/{task}/{split}.csv", ["query", "gpt-3.5-turbo"],
                   [(q.format(f"{task} {split} {i}"), f"{ans}. Reasoning: x.") for i in range(10)])
        _write(tiny_root / f"imhi/test_data/test_instruction/{task}.csv", ["query", "gpt-3.5-turbo"],
               [(q.format(f"{task} test"), f"{ans}. Reasoning: x.")])
    dsd, report = prepare_dataset("final", root=tiny_root)
    alone = prepare_dataset("MultiWD", root=tiny_root)[1]["rows"]["train"]
    assert report["rows_by_task"]["train"] == {"Irf": 9, "MultiWD": alone, "SAD": 10}
    assert report["labels"]["train"]["work"] == 10 and len(report["notes"]) == 2
    assert [r["task"] for r in dsd["train"]][:20] != sorted(r["task"] for r in dsd["train"])[:20]  # shuffled


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


def _cli(*args, env_root=None):
    env = {**__import__("os").environ}
    if env_root is not None:
        env["PHYASSIST_DATA_DIR"] = str(env_root)
    return subprocess.run([sys.executable, "-m", "phyassist.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_cli_prepare_and_list(tiny_root, tmp_path):
    out = tmp_path / "prepared"
    r = _cli("data", "prepare", "--dataset", "MultiWD", "--out", str(out), "--data-dir", str(tiny_root))
    assert r.returncode == 0, r.stderr
    assert "dropped from train" in r.stdout and (out / "data_report.json").exists()
    r = _cli("data", "list", env_root=tiny_root)
    assert r.returncode == 0, r.stderr
    assert "MultiWD       instruction        missing" in r.stdout
    assert f"{tiny_root}/imhi/test_data/test_instruction/CAMS.csv (missing)" in r.stdout


@pytest.mark.parametrize("bad", ["malformed.csv", "latin1.csv", "header_only.csv"])
def test_cli_prepare_bad_file_is_one_line_exit_2_no_output(tiny_root, tmp_path, bad):
    shutil.copy(FIXTURES / "bad" / bad, tiny_root / "imhi/train_data/instruction_data/MultiWD/val.csv")
    out = tmp_path / "prepared"
    r = _cli("data", "prepare", "--dataset", "MultiWD", "--out", str(out), "--data-dir", str(tiny_root))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("phyassist: error: ") and "MultiWD/val.csv" in lines[0]
    assert not out.exists() and "Traceback" not in r.stderr


def test_cli_prepare_test_only_task_exit_2(tmp_path):
    r = _cli("data", "prepare", "--dataset", "CAMS", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "test-only" in r.stderr and not (tmp_path / "o").exists()


@pytest.fixture
def http_mirror(tiny_root):
    """A loopback HTTP server serving a folder laid out like the two GitHub repositories."""
    site = tiny_root.parent / "site"
    shutil.copytree(tiny_root / "imhi", site / "mentalllama")
    (site / "mentalllama/LICENSE").write_text("MIT")
    (site / "counsel/data").mkdir(parents=True)
    shutil.copy(tiny_root / "counsel-chat/20200325_counsel_chat.csv", site / "counsel/data/")
    (site / "counsel/LICENSE").write_text("MIT")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", site
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_over_http_is_atomic_and_reports(http_mirror, tmp_path, monkeypatch):
    from phyassist.download import download_all

    url, site = http_mirror
    monkeypatch.setenv("PHYASSIST_IMHI_URL", f"{url}/mentalllama")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"{url}/counsel")
    dest = tmp_path / "dest"
    result = download_all(dest)
    assert "imhi/train_data/instruction_data/MultiWD/val.csv" in result["downloaded"]
    assert "counsel-chat/20200325_counsel_chat.csv" in result["downloaded"]
    assert any(x.startswith("imhi/train_data/instruction_data/MultiWD/train.csv") for x in result["unavailable"])
    # The mirror lacks most release files: required ones are failures, and nothing partial is left.
    assert any(x.startswith("imhi/test_data/test_instruction/SAD.csv") for x in result["failed"])
    assert (dest / "imhi/train_data/instruction_data/MultiWD/val.csv").read_bytes() == \
        (site / "mentalllama/train_data/instruction_data/MultiWD/val.csv").read_bytes()
    assert not list(dest.rglob("*.tmp"))
    again = download_all(dest, only="counsel-chat")
    assert again["kept"] == ["counsel-chat/LICENSE", "counsel-chat/20200325_counsel_chat.csv"]


def test_download_rejects_a_non_csv_answer(tmp_path, monkeypatch):
    from phyassist.download import download_all

    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "LICENSE").write_text("MIT")
    (site / "data/20200325_counsel_chat.csv").write_text("<html>rate limited</html>\n")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", site.as_uri())
    result = download_all(tmp_path / "dest", only="counsel-chat")
    assert result["downloaded"] == ["counsel-chat/LICENSE"]
    assert "not the expected CSV" in result["failed"][0]
    assert not (tmp_path / "dest/counsel-chat/20200325_counsel_chat.csv").exists()


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


def test_download_without_network_is_one_user_error(tmp_path, monkeypatch):
    import socket

    from phyassist import download

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(download, "BACKOFF_S", 0)
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"http://127.0.0.1:{port}/counsel")
    with pytest.raises(UserError, match=r"cannot download http://127\.0\.0\.1:\d+/counsel/LICENSE: .*internet connection"):
        download.download_all(tmp_path / "dest", only="counsel-chat")
    assert not list((tmp_path / "dest").rglob("*.*"))
