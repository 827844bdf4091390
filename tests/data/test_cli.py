"""The data commands (phyassist data list|prepare): tables, one-line errors, nothing half-written."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES


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


def test_prepare_drops_a_200kb_post_longer_than_the_context(tiny_root, tmp_path, smol_dir, capsys):
    """`data prepare` bounds rows by the base's context by default (the embedded SmolLM2: 8192 tokens)."""
    import json

    from conftest import write_csv_rows

    from phyassist.config import parse_config
    from phyassist.data.cli import PrepareConfig, run_prepare

    dr = 'Consider this post: "{}" Question: Does the poster suffer from depression?'
    yes = "Yes, the poster suffers from depression. Reasoning: x."
    long_post = ("Nothing has felt right since winter " * 6000)[:200_000]
    write_csv_rows(tiny_root / "imhi/train_data/instruction_data/DR/train.csv", ["query", "gpt-3.5-turbo"],
                   [(dr.format(long_post), yes)] + [(dr.format(f"train {i}"), yes) for i in range(5)])
    out = tmp_path / "prepared"
    flags = ["--dataset", "DR", "--out", str(out), "--data-dir", str(tiny_root)]
    args, _ = parse_config(PrepareConfig, flags, prog="p")
    assert run_prepare(args) == 0
    report = json.loads((out / "data_report.json").read_text())
    assert report["dropped_by_split"]["train"] == {"too_long_for_context": 1} and report["rows"]["train"] == 5
    assert report["context"]["limit"] == "8192 tokens (max_position_embeddings in the base's config.json)"
    printed = capsys.readouterr().out
    assert "dropped from train: too_long_for_context 1" in printed and "context limit: 8192 tokens" in printed
    # --max-chars still works beside it; --context-tokens 0 keeps every length
    args, _ = parse_config(PrepareConfig, [*flags, "--context-tokens", "0", "--max-chars", "300000"], prog="p")
    assert run_prepare(args) == 0
    report = json.loads((out / "data_report.json").read_text())
    assert report["rows"]["train"] == 6 and report["context"] is None and report["dropped"] == {}
    args, _ = parse_config(PrepareConfig, [*flags, "--context-tokens", "0", "--max-chars", "1000"], prog="p")
    assert run_prepare(args) == 0
    assert json.loads((out / "data_report.json").read_text())["dropped_by_split"]["train"] == {"too_long": 1}


def test_prepare_config_checks_context_tokens(tmp_path):
    from phyassist.data.cli import PrepareConfig
    from phyassist.errors import UserError

    with pytest.raises(UserError, match=r"`context_tokens` must be 0 \(no limit\) or positive, got -1"):
        PrepareConfig(dataset="DR", out=str(tmp_path / "o"), context_tokens=-1)
