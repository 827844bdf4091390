"""Strict CSV reading, atomic writes and retries (phyassist.io)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from phyassist.errors import UserError
from phyassist.io import MAX_FIELD_CHARS, atomic_dir, atomic_path, read_csv, retry, write_csv, write_json

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", r"bad/empty\.csv: file is empty; expected a CSV with a header row"),
        ("header_only.csv", r"header_only\.csv: has a header but no data rows"),
        ("malformed.csv", r"malformed\.csv: malformed CSV \(line \d+: .*\); expected comma-separated"),
        ("semicolons.csv", r"semicolons\.csv: columns look separated by semicolons; expected a comma-separated CSV"),
        ("tabs.csv", r"tabs\.csv: columns look separated by tabs"),
        ("latin1.csv", r"latin1\.csv: not valid UTF-8 \(byte \d+\); expected a UTF-8 CSV"),
        ("binary.csv", r"binary\.csv: looks like a binary file \(NUL byte at byte 8, line 3\); expected a UTF-8 CSV"),
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


# Characters str.splitlines() breaks on that Python's csv writer does not quote (it quotes \r and \n only).
UNQUOTED_BREAKS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]


def write_rows(path: Path, rows, **kw) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, **kw).writerows(rows)
    return path


@pytest.mark.parametrize("ch", UNQUOTED_BREAKS, ids=[f"U+{ord(c):04X}" for c in UNQUOTED_BREAKS])
def test_read_csv_keeps_a_field_whole_around_unquoted_line_breaks(tmp_path, ch):
    field = f"I feel{ch}tired every day"
    path = write_rows(tmp_path / "x.csv", [["query", "n"], [field, "1"], ["after", "2"]])
    text = path.read_bytes().decode("utf-8")
    assert f"\r\n{field},1\r\n" in text and len(text.splitlines()) == 4  # unquoted: a line splitter cuts it
    assert read_csv(path, required=("query", "n")) == [{"query": field, "n": "1"}, {"query": "after", "n": "2"}]


def test_read_csv_crlf_file_and_quoted_newlines(tmp_path):
    rows = [["query", "answer"], ["line1\nline2\r\nline3\rline4", "a, \"quoted\""], ["plain", "b"]]
    path = write_rows(tmp_path / "crlf.csv", rows)  # the csv writer ends records with \r\n
    assert path.read_bytes().count(b"\r\n") == 4  # three records and the quoted one inside a field
    assert read_csv(path) == [{"query": "line1\nline2\r\nline3\rline4", "answer": 'a, "quoted"'},
                              {"query": "plain", "answer": "b"}]


def test_read_csv_nul_anywhere_is_an_error_with_its_offset(tmp_path):
    path = tmp_path / "late_nul.csv"
    head = b"query,n\n" + b"".join(b"%s,%d\n" % (b"x" * 99, i) for i in range(100))  # 10 KB of good rows
    path.write_bytes(head + b"bad\x00row,1\n")
    assert len(head) > 8192
    where = rf"NUL byte at byte {len(head) + 3}, line 102"
    with pytest.raises(UserError, match=rf"late_nul\.csv: looks like a binary file \({where}\); expected a UTF-8 CSV"):
        read_csv(path)


def test_read_csv_field_over_the_limit(tmp_path):
    path = write_rows(tmp_path / "big.csv", [["query", "answer"], ["ok", "ok"], ["ok", "y" * 11]])
    with pytest.raises(UserError, match=r"big\.csv: data row 2, column 'answer': field is 11 characters, over the "
                                        r"limit of 10 \(max_field_chars\); expected shorter fields$"):
        read_csv(path, max_field_chars=10)
    assert read_csv(path, max_field_chars=None)[1]["answer"] == "y" * 11
    write_rows(path, [["query"], ["q" * (MAX_FIELD_CHARS + 1)]])
    with pytest.raises(UserError, match=rf"data row 1, column 'query': field is {MAX_FIELD_CHARS + 1} characters, "
                                        rf"over the limit of {MAX_FIELD_CHARS}"):
        read_csv(path)


def test_read_csv_file_over_the_limit(tmp_path):
    path = write_rows(tmp_path / "many.csv", [["query"]] + [["row"]] * 50)
    size = path.stat().st_size
    with pytest.raises(UserError, match=rf"many\.csv: file is {size} bytes, over the limit of 100 bytes "
                                        r"\(max_file_bytes\); expected a smaller CSV$"):
        read_csv(path, max_file_bytes=100)
    assert len(read_csv(path, max_file_bytes=size)) == 50


def test_read_csv_short_rows_and_blank_lines(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1\n\n2,3\n", encoding="utf-8")
    assert read_csv(path) == [{"a": "1", "b": None}, {"a": "2", "b": "3"}]


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


class Flaky:
    """Fails with each error of ``errors`` in turn, then returns "done"."""

    def __init__(self, *errors):
        self.errors, self.calls = list(errors), 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_retry_waits_twice_as_long_each_time_and_reports_each_error(monkeypatch):
    waits, heard = [], []
    monkeypatch.setattr("time.sleep", waits.append)
    fn = Flaky(ConnectionError("a"), TimeoutError("b"))
    got = retry(fn, attempts=4, wait=2.0, transient=lambda e: isinstance(e, OSError),
                on_error=lambda attempt, e, wait: heard.append((attempt, str(e), wait)))
    assert (got, fn.calls, waits) == ("done", 3, [2.0, 4.0])
    assert heard == [(1, "a", 2.0), (2, "b", 4.0)]


def test_retry_gives_up_after_the_last_attempt_and_on_other_errors(monkeypatch):
    waits, heard = [], []
    monkeypatch.setattr("time.sleep", waits.append)
    fn = Flaky(*(ConnectionError(str(i)) for i in range(5)))
    with pytest.raises(ConnectionError, match="^2$"):
        retry(fn, attempts=3, wait=1.0, transient=lambda e: True, on_error=lambda *a: heard.append(a[::2]))
    assert fn.calls == 3 and waits == [1.0, 2.0] and heard == [(1, 1.0), (2, 2.0), (3, None)]
    fn = Flaky(ValueError("not transient"))
    with pytest.raises(ValueError, match="not transient"):
        retry(fn, attempts=3, wait=1.0, transient=lambda e: isinstance(e, ConnectionError))
    assert fn.calls == 1 and waits == [1.0, 2.0]

