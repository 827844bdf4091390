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
