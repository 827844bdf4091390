"""The error types users see, and the one place that turns them into exit codes.

A ``UserError`` is something the user can fix (a bad file, flag or config value): the command line
prints its message as one line and exits with status 2, without a traceback. A ``PushError`` is an
upload that failed after retries (exit 1; the staged folder is intact and the message says how to
retry). Everything else is a bug and keeps its traceback. ``UserError`` subclasses ``ValueError`` so
config validation reads naturally.
"""

from __future__ import annotations

import sys
from typing import Callable


class UserError(ValueError):
    """A mistake in user input; its message is shown as one line."""


class PushError(RuntimeError):
    """The upload failed after retries; the staged folder is intact and the message says how to retry."""


def exit_code(prog: str, fn: Callable[[], int | None]) -> int:
    """Run ``fn`` and map the errors users see to one line on stderr and an exit code."""
    try:
        return int(fn() or 0)
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except PushError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
