"""What the command-line actions share: the ``--out`` folder check their configs run, and the plain
text tables they print. Every part may import it; it imports none of them."""

from __future__ import annotations

from pathlib import Path

from .errors import UserError


def check_out_folder(out: str | None) -> Path:
    """The ``--out`` folder, user-expanded; an error when it is missing or names something not a folder."""
    if not out:
        raise UserError("`out` is required (--out FOLDER)")
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder; expected an output folder for --out")
    return path


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns two spaces apart, a dashed rule under the header, no trailing spaces."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])
