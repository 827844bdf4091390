"""One config parser for every command: a dataclass's fields are its flags and its recipe keys.

``parse_config(cls, argv)`` builds transformers' ``HfArgumentParser`` over ``cls`` plus ``--config
YAML``, so every field is a flag (``--max_steps`` and ``--max-steps``) with the help text the field
carries. Precedence: field defaults < recipe YAML < flags. ``build_config(cls, recipe, **overrides)``
does the same for code. A recipe key or override that is not a field is a one-line ``UserError``
naming the file and the key, with a did-you-mean; so is a recipe that is not a YAML mapping. A
command may also take a second dataclass's fields (``Nested``: ``phyassist publish`` takes every
``TrainConfig`` field), as flags and keys of the same YAML. Without transformers (the base install:
``phyassist data``, ``phyassist push``) the same flags come from a plain argparse parser built the way
``HfArgumentParser`` builds them.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from .errors import UserError

T = TypeVar("T")

# Keys a recipe saved from a run records for people (``resolved``: what each `auto` became); loading skips them.
RECORDED_KEYS = ("resolved",)


@dataclasses.dataclass(frozen=True)
class Nested:
    """A second dataclass whose fields a command also takes (flags and recipe keys), collected into the
    dict argument ``name`` of the command's config: only the fields given, so the others keep their source's."""

    name: str
    cls: type
    description: str


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """YAML 1.1 reads ``2e-4`` (no dot) as a string; YAML 1.2 and every recipe author read a number."""

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)[eE][-+]?\d+$"),
        list("-+0123456789."),
    )
    return Loader


def load_yaml(path: str | Path):
    """A YAML file's content, or a one-line ``UserError`` naming the file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise UserError(f"recipe not found: {path}")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None


def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def check_keys(classes, keys, source: str, own: Sequence[str] = ()) -> None:
    """Every key must be a field of ``classes`` (one dataclass or several); ``own`` (the fields a subclass
    adds) are suggested first."""
    classes = classes if isinstance(classes, (tuple, list)) else (classes,)
    known = [name for cls in classes for name in field_names(cls)]
    for key in keys:
        if key not in known:
            close = (difflib.get_close_matches(str(key), list(own), n=1)
                     or difflib.get_close_matches(str(key), known, n=1))
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            expected = " or ".join(cls.__name__ for cls in classes)
            raise UserError(f"unknown config key `{key}` in {source}{hint}; expected a {expected} field")


def read_recipe(path: str | Path, cls, own: Sequence[str] = (), nested: Nested | None = None) -> dict:
    """A recipe's values, checked against the fields of ``cls`` (and of ``nested.cls``); recorded keys skipped."""
    classes = (cls, nested.cls) if nested else (cls,)
    data = load_yaml(path) or {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of {' or '.join(c.__name__ for c in classes)} fields, "
                        f"got {type(data).__name__}")
    data = {k: v for k, v in data.items() if k not in RECORDED_KEYS}
    check_keys(classes, data, str(path), own)
    return data


def construct(cls: type[T], values: dict, **init) -> T:
    """``cls(**values, **init)`` with a library's own type or value error turned into a one-line ``UserError``;
    ``init``: init-only arguments (``dataclasses.InitVar``), such as objects a command already looked up."""
    try:
        return cls(**values, **init)
    except UserError:
        raise
    except (TypeError, ValueError) as e:  # a value of the wrong type deep inside a library's dataclass
        raise UserError(str(e).strip().splitlines()[0]) from None


def build_config(cls: type[T], recipe: str | Path | None = None, own: Sequence[str] = (), *,
                 init: dict | None = None, **overrides) -> T:
    """Defaults < ``recipe`` YAML < ``overrides`` (None values are ignored), validated by ``cls``;
    ``init``: see ``construct``."""
    values = read_recipe(recipe, cls, own) if recipe is not None else {}
    given = {k: v for k, v in overrides.items() if v is not None}
    check_keys(cls, given, "the arguments", own)
    values.update(given)
    return construct(cls, values, **(init or {}))


def string_to_bool(value):
    """transformers' ``string_to_bool`` (same name, same words), for the parser below."""
    import argparse

    if isinstance(value, bool):
        return value
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"Truthy value expected: got {value} but expected one of yes/no, true/false, "
                                     "t/f, y/n, 1/0 (case insensitive).")


def _plain_parser(cls, prog: str, description: str | None):
    """The parser ``HfArgumentParser([cls])`` builds, for the field types of phyassist's own configs (str,
    int, float, each optionally ``| None``; bool; list): the base install has no transformers."""
    import argparse
    import typing

    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        kwargs = dict(f.metadata)
        aliases = kwargs.pop("aliases", [])
        options = [f"--{f.name}", *([f"--{f.name.replace('_', '-')}"] if "_" in f.name else []),
                   *([aliases] if isinstance(aliases, str) else aliases)]
        kind = hints[f.name]
        if kind in (str | None, int | None, float | None):
            kind = typing.get_args(kind)[0]
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            kwargs["default"] = f.default_factory()
        elif kind is not bool:
            kwargs["required"] = True
        if kind is bool:  # `--flag` alone is True, `--flag false` is False
            kwargs.update(type=string_to_bool, nargs="?", const=True, default=kwargs.get("default", False))
        elif typing.get_origin(kind) is list:
            kwargs.update(type=typing.get_args(kind)[0], nargs="+")
        elif kind in (str, int, float):
            kwargs["type"] = kind
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: type {kind} needs transformers' HfArgumentParser")
        parser.add_argument(*options, **kwargs)
        if kind is bool and f.default is True:
            # default False as HfArgumentParser has it; argparse keeps the first action's default (True)
            parser.add_argument(f"--no_{f.name}", f"--no-{f.name.replace('_', '-')}", action="store_false",
                                dest=f.name, default=False, **{k: v for k, v in f.metadata.items() if k != "aliases"})
    return parser


def _field_parser(cls, prog: str, description: str | None = None):
    """``HfArgumentParser`` over ``cls``, or the plain parser without transformers."""
    try:
        from transformers import HfArgumentParser
    except ModuleNotFoundError as e:
        if e.name != "transformers":
            raise
        return _plain_parser(cls, prog, description)
    return HfArgumentParser([cls], prog=prog, description=description, allow_abbrev=False)


def make_parser(cls, prog: str, description: str | None = None, nested: Nested | None = None):
    """``HfArgumentParser`` over ``cls`` (the plain parser without transformers) with ``--config`` (and
    ``-v/--verbose``) added, and ``nested.cls``'s other fields in a group of their own."""
    parser = _field_parser(cls, prog, description)
    names = " and ".join(c.__name__ for c in (cls, *([nested.cls] if nested else [])))
    parser.add_argument("--config", metavar="YAML", default=None,
                        help=f"recipe: a YAML mapping of {names} fields (flags override it)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    if nested is not None:
        import argparse

        group = parser.add_argument_group(f"{nested.cls.__name__} fields", nested.description)
        for action in _field_parser(nested.cls, prog)._actions:
            if action.dest == "help" or action.dest in field_names(cls):
                continue
            action.default, action.required = argparse.SUPPRESS, False  # unset: absent from the namespace
            group._add_action(action)
    return parser


def parse_values(cls, argv: Sequence[str], *, prog: str, description: str | None = None, own: Sequence[str] = (),
                 default_recipe: Callable[[dict], Path | None] | None = None,
                 nested: Nested | None = None) -> tuple[dict, bool]:
    """(the arguments of ``cls``, verbose) from command-line words: defaults < recipe < flags.

    Without ``--config``, ``default_recipe(values)`` may name one from the flags given so far (the
    base model's own recipe for ``phyassist train``). With ``nested``, the ``nested.cls`` fields given
    in the recipe or as flags form the dict argument ``nested.name``.
    """
    import logging

    parser = make_parser(cls, prog, description, nested)
    known, _ = parser.parse_known_args(list(argv))
    recipe = Path(known.config) if known.config else None
    if recipe is None and default_recipe is not None:
        recipe = default_recipe(vars(known))
        if recipe is not None:
            logging.getLogger(__name__).info("Recipe: %s (the base's default; --config chooses another)", recipe)
    mine = field_names(cls)
    from_recipe = read_recipe(recipe, cls, own, nested) if recipe is not None else {}
    parser.set_defaults(**{k: v for k, v in from_recipe.items() if k in mine})
    namespace, unknown = parser.parse_known_args(list(argv))
    if unknown:
        flags = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        close = difflib.get_close_matches(unknown[0].split("=")[0], flags, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UserError(f"unrecognized argument {unknown[0]!r}{hint}; `{prog} --help` lists every flag")
    values = {k: v for k, v in vars(namespace).items() if k in mine}
    if nested is not None:
        theirs = set(field_names(nested.cls)) - set(mine)
        values[nested.name] = {**{k: v for k, v in from_recipe.items() if k in theirs},
                               **{k: v for k, v in vars(namespace).items() if k in theirs}}
    return values, bool(namespace.verbose)


def parse_config(cls: type[T], argv: Sequence[str], *, prog: str, description: str | None = None,
                 own: Sequence[str] = (), default_recipe: Callable[[dict], Path | None] | None = None,
                 nested: Nested | None = None) -> tuple[T, bool]:
    """(config, verbose) from command-line words: defaults < recipe < flags (see ``parse_values``)."""
    values, verbose = parse_values(cls, argv, prog=prog, description=description, own=own,
                                   default_recipe=default_recipe, nested=nested)
    return construct(cls, values), verbose
