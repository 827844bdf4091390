"""The ``phyassist`` command: ``data``, ``train``, ``eval``, ``publish``, ``push``, ``export``, ``labels`` and
``models``.

Each subcommand is a config dataclass and a ``main(config)`` function in the part that does the
work; its flags are built from the dataclass by ``phyassist.config`` (every field a flag,
``--config recipe.yaml``, then flags). Modules are imported only when their subcommand runs, so
``phyassist --help`` stays fast (and bitsandbytes only for a run that needs it, ``phyassist.lazy_bnb``), and
the base install (no torch) runs ``data`` and ``push``; a command whose extra is missing says which one to
install. Errors users can fix are one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

from . import __version__
from .errors import UserError, exit_code

# subcommand -> (config class or parse function, main function, one-line help); "data" has actions
COMMANDS = {
    "data": ("phyassist.data.cli:ACTIONS", None, "list, prepare or download the IMHI and counsel-chat data"),
    "train": ("phyassist.train.config:parse_args", "phyassist.train.trainer:main",
              "fine-tune a LoRA/QLoRA adapter on a dataset"),
    "eval": ("phyassist.evaluation.run:EvalConfig", "phyassist.evaluation.run:main",
             "generate IMHI answers with a base model or adapter and score them"),
    "publish": ("phyassist.hub.publish:parse_args", "phyassist.hub.publish:main",
                "train, evaluate base and adapter, write the model card, stage and push"),
    "push": ("phyassist.hub.push:PushConfig", "phyassist.hub.push:main",
             "push a staged adapter, metric module or Space folder to the Hub"),
    "export": ("phyassist.train.export:ExportConfig", "phyassist.hub.export:main",
               "merge an adapter into its base: safetensors, model card and optionally a GGUF"),
    "labels": ("phyassist.evaluation.labels.cli:ACTIONS", None,
               "build the IMHI label classifiers, or show which set the metric uses"),
    "models": ("phyassist.train.memory_cli:ACTIONS", None,
               "`models memory`: a base model's training memory, from its config alone (no weights)"),
}

# the extra a command's models come with; the other commands run on the base install
EXTRAS = {"train": "train", "eval": "train", "publish": "train", "export": "train", "models": "train"}
# modules only the extras bring: one of them missing means an extra to install, not a bug
EXTRA_MODULES = {"torch", "transformers", "peft", "trl", "accelerate", "bitsandbytes", "gguf", "matplotlib", "jinja2",
                 "gradio", "evaluate"}


def _load(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: phyassist [--version] COMMAND [--help] [--config YAML] [--FIELD VALUE ...]", "",
             "Fine-tune, evaluate, publish and demo mental-health assistant LLMs.", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_text}" for name, (_, _, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def _parse(target, argv: list[str], prog: str, description: str):
    """A config dataclass goes through the shared parser; a command with a parser of its own (``train``,
    whose default recipe depends on its flags; ``publish``, which also takes every training flag) names that
    function instead."""
    import dataclasses

    from .config import parse_config

    if dataclasses.is_dataclass(target):
        return parse_config(target, argv, prog=prog, description=description)
    return target(argv, prog=prog)


def _run(argv: list[str], prog: str) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"phyassist {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        raise UserError(f"unknown command {command!r}; expected one of: {', '.join(COMMANDS)}")
    return run_command(command, rest, f"{prog} {command}")


def run_command(command: str, rest: list[str], prog: str) -> int:
    """Parse ``rest`` into the command's config and run it; ``prog`` names it in help and errors."""
    try:
        return _run_command(command, rest, prog)
    except ModuleNotFoundError as e:
        from . import lazy_bnb

        missing = (e.name or "").partition(".")[0]
        # a deferred bitsandbytes reads as missing to find_spec: only a bug imports it without lazy_bnb.load()
        installed = lazy_bnb.installed() if missing == lazy_bnb.NAME else importlib.util.find_spec(missing) is not None
        if missing not in EXTRA_MODULES or installed:
            raise
        extra = EXTRAS.get(command, "all")
        print(f"{prog}: needs the {extra!r} extra (pip install 'phyassist[{extra}]'); missing module {missing!r}",
              file=sys.stderr)
        return 2


def _run_command(command: str, rest: list[str], prog: str) -> int:
    config_target, main_target, help_text = COMMANDS[command]
    if main_target is None:  # a command with actions: `phyassist data list`, `phyassist labels build`
        actions = _load(config_target)
        if not rest or rest[0] not in actions:
            if rest and rest[0] in ("-h", "--help"):
                print(f"usage: {prog} {{{','.join(actions)}}} [--help] ...")
                return 0
            raise UserError(f"`{prog}` needs an action: one of {', '.join(actions)}")
        cls, main = actions[rest[0]]
        prog, rest = f"{prog} {rest[0]}", rest[1:]
    else:
        cls, main = _load(config_target), _load(main_target)
        if command == "push" and rest and not rest[0].startswith("-"):
            rest = ["--folder", *rest]  # `phyassist push FOLDER --repo-id ...`
    config, verbose = _parse(cls, rest, prog, help_text)
    logging.getLogger().setLevel(logging.DEBUG if verbose else logging.INFO)
    return main(config)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")


def _own_process() -> None:
    """The command owns this process (argv from the command line, not a caller's list): bitsandbytes stays
    unloaded until a run needs it (``phyassist.lazy_bnb``)."""
    from . import lazy_bnb

    lazy_bnb.defer()


def main(argv: list[str] | None = None, prog: str = "phyassist") -> int:
    _setup_logging()
    if argv is None:
        _own_process()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-v", "--verbose"):  # `phyassist -v train ...`
        argv = [*argv[1:], "--verbose"] if len(argv) > 1 else argv[1:]
    return exit_code(prog, lambda: _run(argv, prog))


def script_main(command: str, prog: str, argv: list[str] | None = None) -> int:
    """A script that is one subcommand under its own name (``scripts/train_and_push.py`` is ``publish``)."""
    _setup_logging()
    if argv is None:
        _own_process()
    argv = list(sys.argv[1:] if argv is None else argv)
    return exit_code(prog, lambda: run_command(command, argv, prog))


def run_script(cls, main_fn, prog: str, description: str, argv: list[str] | None = None) -> int:
    """A script that is a config dataclass and its ``main`` but no subcommand (``scripts/push_metric.py``)."""
    from .config import parse_config

    _setup_logging()

    def run():
        cfg, _ = parse_config(cls, sys.argv[1:] if argv is None else argv, prog=prog, description=description)
        return main_fn(cfg)

    return exit_code(prog, run)


if __name__ == "__main__":
    sys.exit(main())
