"""``phyassist train``: fine-tune a LoRA/QLoRA adapter on a dataset, from a recipe and flags.

    phyassist train --dataset MultiWD
    phyassist train --dataset MultiWD --config recipes/smollm2-135m-instruct/MultiWD.yaml --max-steps 50
    phyassist train --dataset final --config recipes/mixtral-8x7b-instruct/qlora.yaml
    accelerate launch --config_file recipes/accelerate_configs/ddp.yaml -m phyassist.cli train --dataset SAD

Without ``--config`` the base's own recipe applies when it has one (``phyassist.publish.default_recipe``:
on a CPU the embedded base's ``recipes/smollm2-135m-instruct/MultiWD.yaml``). Precedence: ``TrainConfig``
defaults < recipe YAML < flags (``--set FIELD=VALUE`` reaches any
field). Rerunning an interrupted command resumes from its last checkpoint. The API is
``train(TrainConfig(...))`` (re-exported here); this module only parses and prints, the work is in
``phyassist.config`` / ``phyassist.trainer`` / ``phyassist.lora``, imported lazily so ``phyassist
--help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging

from .errors import UserError

logger = logging.getLogger(__name__)

# flag -> (TrainConfig field, type, help); all default to None so an unset flag never beats the recipe.
FLAGS = {
    "--dataset": ("dataset", str, "IMHI task (DR, dreaddit, Irf, MultiWD, SAD), counsel-chat, final or all"),
    "--base-model": ("base_model", str, "preset (smollm2-135m-instruct, mixtral-8x7b-instruct, ...), Hub id or folder"),
    "--output-dir": ("output_dir", str, "adapter folder (default runs/<base>-<dataset>)"),
    "--max-steps": ("max_steps", int, "optimizer steps (overrides epochs)"),
    "--num-train-epochs": ("num_train_epochs", float, "epochs when --max-steps is not set"),
    "--quantization": ("quantization", str, "auto | none (LoRA) | nf4 | fp4 (QLoRA)"),
    "--lora-r": ("lora_r", int, "LoRA rank"),
    "--lora-alpha": ("lora_alpha", int, "LoRA alpha"),
    "--learning-rate": ("learning_rate", float, "peak learning rate"),
    "--batch-size": ("per_device_train_batch_size", int, "examples per device per micro-batch"),
    "--grad-accum": ("gradient_accumulation_steps", int, "micro-batches per optimizer step"),
    "--max-length": ("max_length", int, "longest example in tokens (default: from the data)"),
    "--max-train-examples": ("max_train_examples", int, "train on a seeded sample of this many rows"),
    "--seed": ("seed", int, "random seed"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="YAML", help="recipe: a YAML mapping of TrainConfig fields")
    for flag, (dest, typ, help_text) in FLAGS.items():
        parser.add_argument(flag, dest=f"cfg_{dest}", metavar=dest.upper(), type=typ, default=None, help=help_text)
    parser.add_argument("--resume", dest="cfg_resume", action="store_const", const=True, default=None,
                        help="require resuming from the last checkpoint in --output-dir (rerunning resumes anyway)")
    parser.add_argument("--overwrite", dest="cfg_overwrite", action="store_const", const=True, default=None,
                        help="replace a different or finished run in --output-dir")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                        help="any other TrainConfig/SFTConfig field, e.g. --set lr_scheduler_type=constant")


def config_from_args(args: argparse.Namespace):
    from .config import load_config

    overrides = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_") and v is not None}
    for item in getattr(args, "overrides", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set expects FIELD=VALUE, got {item!r}")
        overrides[key.strip().replace("-", "_")] = value
    recipe = args.config
    if recipe is None and overrides.get("dataset"):
        # like train_and_push.py: without --config the base's own recipe applies (on a CPU, the embedded
        # base's small one), not the bare TrainConfig defaults (3 epochs of the whole task)
        from .models import DEFAULT_BASE
        from .publish import default_recipe

        base = overrides.get("base_model") or DEFAULT_BASE
        recipe = default_recipe(base, overrides["dataset"])
        if recipe is not None:
            logger.info("Recipe: %s (the base's default; --config chooses another)", recipe)
    return load_config(recipe, **overrides)


def run(args: argparse.Namespace) -> int:
    import yaml

    from .trainer import format_summary, train

    config = config_from_args(args)
    logger.info("Config:\n%s", yaml.safe_dump(config.recipe_dict(), sort_keys=False).rstrip())
    result = train(config)
    from accelerate import PartialState

    if PartialState().is_main_process:
        print(format_summary(result))
    return 0


def __getattr__(name: str):
    # `from phyassist.train import TrainConfig, train` without importing trl at CLI start-up.
    if name in ("TrainConfig", "load_config"):
        from . import config

        return getattr(config, name)
    if name in ("train", "TrainResult", "format_summary"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
