"""Render question/answer CSVs into one ``text`` column in a base model's chat format.

This is the seed's ``gen_csv`` made general: instead of a hand-written ``<s>[INST] ... [/INST]``
string it renders each row through the tokenizer's chat template, and it recognises the known
layouts (IMHI instruction ``query`` -> ``gpt-3.5-turbo``, IMHI completion ``post`` + ``question`` ->
``response``, counsel-chat ``questionTitle`` + ``questionText`` -> ``answerText``) without flags.
Other layouts are named with ``question_columns``/``answer_column``. Unusable rows are skipped and
counted by reason (``clean``), rows longer than the base's context too (``too_long_for_context``,
``context``); the output is written atomically. Training does not go
through this module (trl renders ``messages`` itself); it exists for tools that want flat text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..io import read_csv, write_csv
from .clean import Cleaner
from .context import check_context_tokens, context_limit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    name: str
    question_columns: tuple[str, ...]
    answer_column: str
    joiner: str = "\n\n"  # how several question columns are joined


LAYOUTS = (
    Layout("imhi-instruction", ("query",), "gpt-3.5-turbo"),
    # The release's completion files split the prompt into the post and a " Question: ..." tail.
    Layout("imhi-complete", ("post", "question"), "response", joiner=""),
    Layout("counsel-chat", ("questionTitle", "questionText"), "answerText"),
)


def detect_layout(columns, path="input") -> Layout:
    """The one known layout whose columns are all present, or a one-line error saying what to pass."""
    columns = list(columns)
    found = [lay for lay in LAYOUTS if set(lay.question_columns) | {lay.answer_column} <= set(columns)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(repr(c) for c in columns)
    why = f"matches several known layouts ({', '.join(f.name for f in found)})" if found else "is not a known layout"
    raise UserError(f"{path}: columns {listed} {why}; pass --question-columns A[,B] and --answer-column C")


def make_layout(columns, question_columns=None, answer_column=None, path="input") -> Layout:
    """The layout named by flags (checked against the file's columns), else the detected one."""
    if not question_columns and not answer_column:
        return detect_layout(columns, path)
    if not question_columns or not answer_column:
        raise UserError("pass both --question-columns and --answer-column, or neither to detect the layout")
    if isinstance(question_columns, str):
        question_columns = [c.strip() for c in question_columns.split(",") if c.strip()]
    missing = [c for c in (*question_columns, answer_column) if c not in columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
                        f"found {', '.join(repr(c) for c in columns)}")
    return Layout("custom", tuple(question_columns), answer_column)


def row_messages(row: dict, layout: Layout) -> tuple[str, str]:
    """The (question, answer) text of one CSV row in ``layout``."""
    if layout.name == "counsel-chat":
        from .loading import counsel_prompt

        question = counsel_prompt(row.get("questionTitle"), row.get("questionText"))
    else:
        parts = [row.get(c) or "" for c in layout.question_columns]
        question = layout.joiner.join(p.strip() if layout.joiner else p for p in parts if p.strip())
    return question, row.get(layout.answer_column) or ""


def check_chat_template(tokenizer):
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"tokenizer {tokenizer.name_or_path!r} has no chat template; expected an instruct model")
    return tokenizer


def render_messages(tokenizer, messages: list[dict]) -> str:
    """One conversation as text in the tokenizer's chat format (no generation prompt)."""
    return check_chat_template(tokenizer).apply_chat_template(messages, tokenize=False)


def convert_csv(origin_path, new_path, *, question_columns=None, answer_column=None,
                base_model: str = "smollm2-135m-instruct", clean: bool = True, tokenizer=None,
                context_tokens: int | None = None) -> dict:
    """Render ``origin_path`` into ``new_path`` (one ``text`` column); returns a summary dict.

    ``clean=False`` skips only rows with an empty question or answer; otherwise every cleaning rule
    applies. Either way rows longer than ``context_tokens`` (None: the base's context; 0: no limit)
    are skipped. Raises ``UserError`` (and writes nothing) for bad input or when no row is usable.
    """
    origin, new = Path(origin_path), Path(new_path)
    if new.exists() and new.resolve() == origin.resolve():
        raise UserError(f"{new}: --new_path is the input file; expected a different output path")
    if new.is_dir():
        raise UserError(f"{new}: is a folder; expected a CSV file path for --new_path")
    check_context_tokens(context_tokens)
    rows = read_csv(origin)
    layout = make_layout(list(rows[0]), question_columns, answer_column, origin)
    cleaner = Cleaner() if clean else Cleaner(drop_links=False, drop_mojibake=False, repair=False)
    pairs = []
    for row in rows:
        pair = cleaner(*row_messages(row, layout))
        if pair is not None:
            pairs.append(pair)
    limit = None
    if pairs:  # the tokenizer is loaded only when some row is worth rendering
        if tokenizer is None:
            from ..models import load_tokenizer

            tokenizer = load_tokenizer(base_model)
        check_chat_template(tokenizer)
        limit = context_limit(base_model, context_tokens, tokenizer=tokenizer)
        if limit is not None:
            fit = [pair for pair in pairs if limit.fits(*pair)]
            if len(fit) < len(pairs):
                cleaner.dropped["too_long_for_context"] += len(pairs) - len(fit)
            pairs = fit
    skipped = dict(sorted(cleaner.dropped.items()))
    if not pairs:
        raise UserError(f"{origin}: no usable rows ({len(rows)} read; skipped {skipped})")
    texts = [{"text": render_messages(tokenizer, [{"role": "user", "content": q}, {"role": "assistant", "content": a}])}
             for q, a in pairs]
    write_csv(new, texts, ["text"])
    summary = {"input": str(origin), "output": str(new), "layout": layout.name,
               "question_columns": list(layout.question_columns), "answer_column": layout.answer_column,
               "rows_read": len(rows), "rows_written": len(texts), "skipped": skipped,
               "repaired_mojibake_rows": cleaner.repaired, "context": limit.describe() if limit else None}
    logger.debug("wrote %d rows to %s (layout %s; skipped %s)", len(texts), new, layout.name, skipped or "none")
    return summary
