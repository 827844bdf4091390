"""The one config parser: every dataclass field a flag and a recipe key, defaults < recipe < flags."""

from __future__ import annotations

import dataclasses
import re

import pytest

from phyassist.config import build_config, load_yaml, parse_config
from phyassist.errors import UserError


@dataclasses.dataclass
class Toy:
    """A config for the parser's tests."""

    name: str | None = dataclasses.field(default=None, metadata={"help": "a name"})
    learning_rate: float = dataclasses.field(default=1e-4, metadata={"help": "a rate"})
    steps: int = 3
    tags: list[str] = dataclasses.field(default_factory=list)
    flag: bool = False

    def __post_init__(self):
        if self.steps <= 0:
            raise UserError(f"`steps` must be positive, got {self.steps}.")


def test_defaults_recipe_flags_precedence(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: from-recipe\nlearning_rate: 2e-4\nsteps: 5\ntags: [a, b]\n")
    cfg, verbose = parse_config(Toy, ["--config", str(recipe), "--steps", "7"], prog="toy")
    assert (cfg.name, cfg.learning_rate, cfg.steps, cfg.tags, cfg.flag, verbose) == ("from-recipe", 2e-4, 7, ["a", "b"], False, False)
    cfg, verbose = parse_config(Toy, ["--learning-rate", "0.5", "--flag", "-v"], prog="toy")
    assert (cfg.name, cfg.learning_rate, cfg.steps, cfg.flag, verbose) == (None, 0.5, 3, True, True)
    assert build_config(Toy, recipe, steps=9, name=None) == Toy("from-recipe", 2e-4, 9, ["a", "b"])


def test_yaml_reads_exponents_without_a_dot_as_numbers(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("a: 2e-4\nb: 2.0e-4\nc: 1E5\nd: e5\ne: '3e-4'\n")
    assert load_yaml(path) == {"a": 2e-4, "b": 2e-4, "c": 1e5, "d": "e5", "e": "3e-4"}


@pytest.mark.parametrize("text, match", [
    ("nme: x\n", r"unknown config key `nme` in .*r.yaml \(did you mean `name`\?\); expected a Toy field"),
    ("- a\n- b\n", r"r.yaml: expected a mapping of Toy fields, got list"),
    ("name: [unclosed\n", r"r.yaml: not valid YAML"),
    ("steps: 0\n", r"`steps` must be positive, got 0."),
])
def test_bad_recipes_are_one_line_errors(tmp_path, text, match):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text)
    with pytest.raises(UserError, match=match):
        parse_config(Toy, ["--config", str(recipe)], prog="toy")


def test_missing_recipe_and_unknown_flag(tmp_path):
    with pytest.raises(UserError, match=r"recipe not found: .*nope.yaml"):
        parse_config(Toy, ["--config", str(tmp_path / "nope.yaml")], prog="toy")
    with pytest.raises(UserError, match=r"unrecognized argument '--step' \(did you mean --steps\?\); `toy --help`"):
        parse_config(Toy, ["--step", "4"], prog="toy")
    with pytest.raises(UserError, match=r"unknown config key `stps` in the arguments \(did you mean `steps`\?\)"):
        build_config(Toy, stps=4)


def _help(command: list[str], capsys) -> str:
    from phyassist.cli import main

    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command, target", [
    (["train"], "phyassist.train.config:TrainConfig"),
    (["publish"], "phyassist.hub.publish:PublishConfig"),
    (["eval"], "phyassist.evaluation.run:EvalConfig"),
    (["push"], "phyassist.hub.push:PushConfig"),
    (["data", "prepare"], "phyassist.data.cli:PrepareConfig"),
])
def test_help_lists_every_config_field(command, target, capsys):
    import importlib

    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    out = _help(command, capsys)
    fields = [f.name for f in dataclasses.fields(cls) if f.init]
    assert fields and all(f"--{f}" in out for f in fields), [f for f in fields if f"--{f}" not in out]
    assert "--config YAML" in out


def test_config_works_for_eval_and_publish(tmp_path):
    from phyassist.evaluation.run import EvalConfig
    from phyassist.hub.publish import PublishConfig

    recipe = tmp_path / "eval.yaml"
    recipe.write_text("datasets: [MultiWD, SAD]\nlimit: 4\nmax_new_tokens: 16\n")
    cfg, _ = parse_config(EvalConfig, ["--config", str(recipe), "--limit", "2"], prog="phyassist eval")
    assert (cfg.datasets, cfg.limit, cfg.max_new_tokens, cfg.adapter, cfg.out_dir) == (["MultiWD", "SAD"], 2, 16, None, "out/eval/base")
    cfg, _ = parse_config(EvalConfig, ["--dataset", "MultiWD,SAD", "--adapter", "runs/x", "--labels", "strict"], prog="e")
    assert (cfg.datasets, cfg.adapter, cfg.label_method, cfg.out_dir) == (["MultiWD", "SAD"], "runs/x", "strict", "out/eval/x")
    recipe = tmp_path / "publish.yaml"
    recipe.write_text("dataset: SAD\neval_limit: 4\ndry_run: true\nrepo_id: me/sad\n")
    cfg, _ = parse_config(PublishConfig, ["--config", str(recipe), "--eval-limit", "2"], prog="phyassist publish")
    assert (cfg.dataset, cfg.eval_limit, cfg.dry_run, cfg.repo_id) == ("SAD", 2, True, "me/sad")


def test_cli_errors_are_one_line(capsys, tmp_path):
    from phyassist.cli import main

    assert main(["trian"]) == 2
    assert capsys.readouterr().err.strip() == ("phyassist: error: unknown command 'trian'; expected one of: "
                                               "data, train, eval, publish, push, export, labels, models")
    assert main(["data"]) == 2
    assert capsys.readouterr().err.strip() == "phyassist: error: `phyassist data` needs an action: one of list, prepare, download"
    assert main(["labels"]) == 2
    assert capsys.readouterr().err.strip() == "phyassist: error: `phyassist labels` needs an action: one of build, show"
    assert main(["labels", "build"]) == 2
    assert capsys.readouterr().err.strip() == "phyassist: error: `out` is required (--out FOLDER)"
    assert main(["publish", "--dataset", "MultiWD", "--repo-id", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "phyassist: error: `repo_id` must look like ORG/NAME, got 'nope'"
    assert main(["push", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "phyassist: error: `repo_id` is required (--repo-id ORG/NAME)"


HUB_REFUSED = ("`{}` is not supported in training configs: publish the adapter with `phyassist publish` "
               "(it scans for secrets before uploading)")


@pytest.mark.parametrize("flags, name", [
    (["--push_to_hub"], "push_to_hub"),
    (["--push-to-hub", "true"], "push_to_hub"),
    (["--hub_model_id", "me/adapter"], "hub_model_id"),
    (["--hub-strategy", "end"], "hub_strategy"),
    (["--hub_token", "hf" + "_" + "tRaInInG" * 5], "hub_token"),
    (["--config", "RECIPE"], "push_to_hub"),
])
def test_train_command_refuses_the_trainers_hub_upload(flags, name, capsys, tmp_path):
    """The Trainer would upload the output folder unscanned (a pickle with `hub_token` included)."""
    from phyassist.cli import main

    recipe = tmp_path / "push.yaml"
    recipe.write_text("dataset: MultiWD\npush_to_hub: true\n")
    assert main(["train", "--dataset", "MultiWD", *[str(recipe) if f == "RECIPE" else f for f in flags]]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "phyassist: error: " + HUB_REFUSED.format(name)
    assert "tRaInInG" not in err  # a token given on the command line is never echoed


def test_load_config_refuses_the_trainers_hub_upload(tmp_path):
    from phyassist.train.config import load_config

    recipe = tmp_path / "push.yaml"
    recipe.write_text("dataset: MultiWD\nhub_model_id: me/adapter\n")
    with pytest.raises(UserError, match=f"^{re.escape(HUB_REFUSED.format('hub_model_id'))}$"):
        load_config(recipe)
    with pytest.raises(UserError, match=f"^{re.escape(HUB_REFUSED.format('hub_token'))}$"):
        load_config(None, dataset="MultiWD", hub_token="x" * 37)
    # the defaults, spelt out, are not an upload
    assert load_config(None, dataset="MultiWD", push_to_hub=False, hub_strategy="every_save").push_to_hub is False
