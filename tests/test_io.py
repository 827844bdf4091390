"""Strict CSV reading and atomic writes (phyassist.io)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phyassist.errors import UserError
from phyassist.io import atomic_dir, atomic_path, read_csv, write_csv, write_json

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", r"bad/empty\.csv: file is empty; expected a CSV with a header row"),
        ("header_only.csv", r"header_only\.csv: has a header but no data rows"),
        ("malformed.csv", r"malformed\.csv: malformed CSV \(.*\); expected comma-separated"),
        ("semicolons.csv", r"semicolons\.csv: columns look separated by semicolons; expected a comma-separated CSV"),
        ("tabs.csv", r"tabs\.csv: columns look separated by tabs"),
        ("latin1.csv", r"latin1\.csv: not valid UTF-8 \(byte \d+\); expected a UTF-8 CSV"),
        ("binary.csv", r"binary\.csv: looks like a binary file; expected a UTF-8 CSV text file"),
        ("columnless.csv", r"columnless\.csv: header row has no column names"),
        ("extra_field.csv", r"extra_field\.csv: data row 1 has 3 fields, header has 2"),
    ],
)
def test_read_csv_bad_input_is_one_line_user_error(name, message):
    with pytest.raises(UserError, match=message) as info:
        read_csv(BAD / name)
    assert "\n" not in str(info.value)


def test_read_csv_missing_file_folder_and_columns(tmp_path):
    with pytest.raises(UserError, match="nope.csv: file not found"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="expected a CSV file, got a folder"):
        read_csv(tmp_path)
    with pytest.raises(UserError, match=r"missing column\(s\) 'answer'; found 'query', 'gpt-3.5-turbo'"):
        read_csv(FIXTURES / "imhi_small.csv", required=("query", "answer"))


def test_read_csv_keeps_order_multiline_and_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeffa,b\n"line1\nline2",x\n2,y\n'.encode("utf-8"))
    rows = read_csv(path, required=("a", "b"))
    assert rows == [{"a": "line1\nline2", "b": "x"}, {"a": "2", "b": "y"}]


def test_atomic_path_leaves_no_trace_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_dir_replaces_only_on_success(tmp_path):
    target = tmp_path / "ds"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_write_csv_and_json_round_trip(tmp_path):
    rows = [{"text": 'a "quoted"\nmulti-line, text'}, {"text": "ünïcode ✓"}]
    write_csv(tmp_path / "t.csv", rows, ["text"])
    assert read_csv(tmp_path / "t.csv", required=("text",)) == rows
    write_json(tmp_path / "r.json", {"k": "✓"})
    assert "✓" in (tmp_path / "r.json").read_text(encoding="utf-8")
