"""What the command-line actions share: the --out folder check and the plain text tables."""

from __future__ import annotations

import pytest

from phyassist.cli_utils import check_out_folder, format_table
from phyassist.errors import UserError


def test_out_folder_is_required_and_must_not_be_a_file(tmp_path, monkeypatch):
    with pytest.raises(UserError, match=r"^`out` is required \(--out FOLDER\)$"):
        check_out_folder(None)
    with pytest.raises(UserError, match=r"^`out` is required \(--out FOLDER\)$"):
        check_out_folder("")
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'f'}: exists and is not a folder; expected an output folder for --out$"):
        check_out_folder(str(tmp_path / "f"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert check_out_folder("~/new") == tmp_path / "new"  # absent is fine: the command creates it
    assert check_out_folder(str(tmp_path)) == tmp_path


def test_table_columns_line_up_without_trailing_spaces():
    table = format_table(["task", "n"], [["DR", "1433"], ["dreaddit", "7"]])
    assert table.splitlines() == ["task      n", "--------  ----", "DR        1433", "dreaddit  7"]
    assert format_table(["a", "b"], [["x", ""]]).splitlines()[-1] == "x"
