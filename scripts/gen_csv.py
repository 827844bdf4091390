"""Render a question/answer CSV into one ``text`` column in a base model's chat format.

    python scripts/gen_csv.py --origin_path IN.csv --new_path OUT.csv
    python scripts/gen_csv.py --origin_path IN.csv --new_path OUT.csv \
        --question-columns title,body --answer-column reply --base-model mistral-7b-instruct

IMHI (``query`` -> ``gpt-3.5-turbo``, or ``post`` + ``question`` -> ``response``) and counsel-chat
(``questionTitle`` + ``questionText`` -> ``answerText``) are detected without flags. Rows longer than
the base model's context (tokens with its chat template) are skipped and counted as
``too_long_for_context``; ``--context-tokens N`` sets another limit, 0 none. The work is done by
``phyassist.data.chat_csv.convert_csv``; bad input gives a one-line error and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from phyassist.errors import exit_code
from phyassist.models import DEFAULT_BASE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin_path", "--origin-path", required=True, help="input CSV (UTF-8, comma-separated)")
    parser.add_argument("--new_path", "--new-path", required=True, help="output CSV with one `text` column")
    parser.add_argument("--question-columns", help="comma-separated columns joined into the user turn")
    parser.add_argument("--answer-column", help="column holding the assistant turn")
    parser.add_argument("--base-model", default=DEFAULT_BASE,
                        help="preset, Hub id or local model folder whose chat template is used")
    parser.add_argument("--no-clean", action="store_true",
                        help="keep rows with links or mojibake and duplicates (still skips empty rows)")
    parser.add_argument("--context-tokens", "--context_tokens", type=int, default=None,
                        help="skip rows longer than this many tokens, chat template included "
                             "(default: the base model's context; 0: no limit)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return exit_code("gen_csv.py", lambda: convert(args))


def convert(args: argparse.Namespace) -> int:
    from phyassist.data.chat_csv import convert_csv

    summary = convert_csv(args.origin_path, args.new_path, question_columns=args.question_columns,
                          answer_column=args.answer_column, base_model=args.base_model, clean=not args.no_clean,
                          context_tokens=args.context_tokens)
    skipped = ", ".join(f"{k} {v}" for k, v in summary["skipped"].items()) or "none"
    limit = summary["context"]["limit"] if summary["context"] else "none"
    print(f"{summary['rows_written']} of {summary['rows_read']} rows written to {summary['output']} "
          f"(layout {summary['layout']}; skipped: {skipped}; context limit: {limit})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
