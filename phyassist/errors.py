"""The error type for user mistakes.

A ``UserError`` is something the user can fix (a bad file, flag or config value). The command line
prints its message as one line and exits with status 2, without a traceback. Everything else is a
bug and keeps its traceback. It subclasses ``ValueError`` so config validation reads naturally.
"""


class UserError(ValueError):
    """A mistake in user input; its message is shown as one line."""
