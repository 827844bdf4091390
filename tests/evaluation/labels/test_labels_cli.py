"""``phyassist labels build|show`` through the command line: the table it prints, the folder it names,
and its one-line errors."""

from __future__ import annotations

import os

import pytest
from conftest import write_csv_rows

from phyassist.cli import main

YES, NO = "Yes, the poster suffers from depression", "No, the poster does not suffer from depression"
Q = 'Consider this post: "post {}" Question: Does the poster suffer from depression?'


@pytest.fixture
def dr_root(tmp_path):
    """DR train and test files: "hopeless" answers are yes, "weekend" ones no."""
    def rows(n, offset):
        return [(Q.format(i), f"{YES if i % 2 else NO}. Reasoning: {'hopeless empty' if i % 2 else 'weekend football'}.")
                for i in range(offset, offset + n)]

    root = tmp_path / "data"
    write_csv_rows(root / "imhi/train_data/instruction_data/DR/train.csv", ["query", "gpt-3.5-turbo"], rows(20, 0))
    write_csv_rows(root / "imhi/test_data/test_instruction/DR.csv", ["query", "gpt-3.5-turbo"], rows(4, 100))
    return root


def test_build_then_show_print_the_manifest(dr_root, tmp_path, capsys):
    out = tmp_path / "classifiers"
    assert main(["labels", "build", "--out", str(out), "--tasks", "DR", "--data-dir", str(dr_root)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["task", "train", "rows", "sha256", "held-out", "(test)", "held-out", "(expert)"]
    assert set(printed[1]) == {"-", " "}
    sha = printed[2].split()[2]
    assert printed[2].split() == ["DR", "20", sha, "100.00%", "of", "4", "-"] and len(sha) == 12
    assert printed[-1] == f"wrote {out}; use it with PHYASSIST_LABEL_CLASSIFIERS={os.path.abspath(out)}"
    assert sorted(p.name for p in out.iterdir()) == ["DR.npz", "manifest.json"]

    assert main(["labels", "show", "--folder", str(out)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[:2] == [f"source: {out}", "format 1, classifier version 2"]
    assert shown[2:] == printed[:3]


def test_build_errors_are_one_line(dr_root, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert main(["labels", "build", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.strip() == (f"phyassist: error: {a_file}: exists and is not a folder; "
                                               "expected an output folder for --out")
    assert main(["labels", "build", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (f"phyassist: error: --data-dir {tmp_path / 'nowhere'}: not a folder; "
                                               "expected the folder holding imhi/")
    assert main(["labels", "build", "--out", str(tmp_path / "o"), "--tasks", "DR, CAMS", "--data-dir", str(dr_root)]) == 2
    assert "IMHI task CAMS has no training data, so no label classifier" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
