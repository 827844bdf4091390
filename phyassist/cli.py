"""The ``phyassist`` command: one subcommand per library module.

Each subcommand lives in the module that does the work; that module defines
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when their subcommand
runs, so ``phyassist --help`` stays fast. A ``UserError`` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import UserError

# subcommand -> (module, one-line help)
COMMANDS = {
    "data": ("phyassist.data_cli", "list, prepare or download the IMHI and counsel-chat data"),
    "train": ("phyassist.train", "fine-tune a LoRA/QLoRA adapter on a dataset"),
    "eval": ("phyassist.evaluation", "generate IMHI answers with an adapter and score them"),
    "push": ("phyassist.hub", "push a staged adapter, metric module or Space folder to the Hub"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phyassist", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"phyassist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            p.set_defaults(_missing=True)
            continue
        mod.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not args.command:
        parser.print_help()
        return 2
    if getattr(args, "_missing", False):
        print(f"phyassist: error: `{args.command}` is not available in this version", file=sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except UserError as e:
        print(f"phyassist: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("phyassist: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
