"""Training configuration: ``TrainConfig`` is trl's ``SFTConfig`` plus phyassist's fields.

Its fields are the flags of ``phyassist train`` and the keys of recipe YAML files (parsed by
``phyassist.config``). A non-positive size or an unknown choice is a one-line ``UserError`` naming
the field. Building one looks up its dataset and base model once (``dataset_spec``, ``base_preset``)
and resolves its ``auto`` settings for this machine and launch (``launch``: processes, DDP or FSDP, from
``phyassist.train.distributed``) in ``phyassist.train.hardware`` (``hardware``);
``max_length`` is resolved later from the data (``phyassist.train.trainer``). ``recipe_dict()`` is
the recipe a run saves: ``auto`` where it was asked, with a ``resolved`` mapping beside it. The
Trainer's own Hub upload (``push_to_hub``, ``hub_*``) is refused: it would send the output folder
unscanned, and a ``hub_token`` would sit in every checkpoint's pickled arguments; ``phyassist
publish`` uploads instead.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from pathlib import Path

from transformers import TrainingArguments
from trl import SFTConfig

from ..config import build_config, construct, parse_values
from ..data.loading import DatasetSpec, resolve_dataset
from .. import lazy_bnb
from ..errors import UserError
from ..models import DEFAULT_BASE, BasePreset, require_bitsandbytes, resolve_base
from .distributed import BNB_OPTIMIZERS, QUANT_STORAGES, detect_launch
from .hardware import FIELDS as HARDWARE_FIELDS
from .hardware import resolve_hardware

# Fields that do not change what is trained: a rerun differing only in these resumes the same run.
NON_IDENTITY_FIELDS = {
    "output_dir", "resume", "overwrite", "num_threads", "logging_steps", "logging_first_step", "save_steps",
    "save_total_limit", "report_to", "disable_tqdm", "dataloader_num_workers", "run_name", "eval_steps",
    "save_strategy", "eval_strategy", "logging_strategy", "quant_storage", "device_map",
}


@dataclass(repr=False)
class TrainConfig(SFTConfig):
    """Everything a fine-tuning run needs. Keys of recipe YAML files are these field names."""

    # TrainingArguments' own, which shows every *_token field as <NAME>; @dataclass's would print them
    __repr__ = TrainingArguments.__str__

    dataset: str | None = field(default=None, metadata={"help": "IMHI task, counsel-chat or a mixture (see `phyassist data list`)."})
    base_model: str = field(default="smollm2-135m-instruct", metadata={"help": "Preset name, Hub id or local model folder."})
    quantization: str = field(
        default="auto",
        metadata={"help": "'auto' (the preset's default), 'none' (LoRA), 'nf4' or 'fp4' (QLoRA, 4-bit base)."},
    )
    double_quant: bool = field(default=True, metadata={"help": "QLoRA: also quantize the quantization constants."})
    quant_storage: str = field(
        default="auto", metadata={"help": "QLoRA: the dtype 4-bit weights are packed in: 'auto' (bitsandbytes' uint8; "
                                          "the base's dtype under FSDP, as FSDP-QLoRA needs), 'uint8', 'bfloat16', "
                                          "'float16' or 'float32'."})
    device_map: str | None = field(
        default=None, metadata={"help": "GPUs: where the base loads. Default: a 4-bit base spread over every visible GPU "
                                        "('auto') by one process, on each process's own GPU under DDP or FSDP. "
                                        "transformers' placements ('auto', 'balanced', 'sequential') need one process."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (scale = alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: list[str] | None = field(
        default=None, metadata={"help": "Module names to adapt; default: inferred from the base model's architecture."}
    )
    lora_target_parameters: list[str] | None = field(
        default=None, metadata={"help": "Parameters to adapt with peft's `target_parameters`, e.g. an MoE's fused experts "
                                        "mlp.experts.gate_up_proj,mlp.experts.down_proj (16-bit bases only)."})
    base_dtype: str = field(
        default="auto", metadata={"help": "Dtype of the frozen base weights: 'auto' (bf16 where bf16 training runs on "
                                          "hardware bf16, else fp32; 4-bit bases keep bf16 compute), 'float32' or 'bfloat16'."})
    attn_implementation: str = field(
        default="auto", metadata={"help": "Attention kernel: 'auto' ('phyassist_cpu' for bf16 training on CPUs, else transformers' "
                                          "choice), 'sdpa', 'eager' or 'phyassist_cpu' (phyassist.train.cpu_attention)."})
    variant: str = field(default="instruction", metadata={"help": "IMHI data variant: 'instruction' or 'complete'."})
    val_fraction: float = field(default=0.1, metadata={"help": "Validation share carved from train when there is no val split."})
    max_chars: int | None = field(default=None, metadata={"help": "Drop examples longer than this many characters."})
    max_train_examples: int | None = field(default=None, metadata={"help": "Train on at most this many examples (seeded sample)."})
    balance_labels: bool = field(
        default=False, metadata={"help": "Sample the train rows label by label (round robin), so each gold label is as "
                                         "equally represented as the data allows."})
    balance_tasks: bool = field(
        default=False, metadata={"help": "Mixtures: sample the train rows task by task (round robin), so each task is as "
                                         "equally represented as the data allows (else in proportion to its size); with "
                                         "balance_labels, each task's labels in turn within its share."})
    task_weights: list[str] | None = field(
        default=None, metadata={"help": "Mixtures: TASK=WEIGHT pairs (e.g. MultiWD=2) giving a task WEIGHT times the "
                                        "others' share of the train sample (a task not named weighs 1); implies "
                                        "balance_tasks."})
    answer_max_words: int | None = field(
        default=None, metadata={"help": "Train on the first N words of each answer (the label sentence and the start of "
                                         "its reasoning), so the label carries more of the loss; default: whole answers."})
    reasoning_max_sentences: int | None = field(
        default=None, metadata={"help": "Train on the label sentence and the first N whole sentences of the reasoning "
                                         "(shorter answers that still end in a finished sentence); default: all."})
    label_loss_weight: float = field(
        default=1.0, metadata={"help": "Loss weight of an answer's label-sentence tokens (those before 'Reasoning:') "
                                       "relative to its other tokens, so whole answers keep the label learnt."})
    max_eval_examples: int | None = field(default=200, metadata={"help": "Evaluate on at most this many validation examples."})
    max_length_percentile: float = field(
        default=99.0, metadata={"help": "When `max_length` is unset: this percentile of the token lengths, rounded up to 64."}
    )
    num_threads: int | None = field(
        default=None, metadata={"help": "CPU threads for torch; default: one per core, or 1 when the CPU is already busy (load >= cores)."}
    )
    resume: bool = field(default=False, metadata={"help": "Require resuming from a checkpoint in `output_dir`."})
    overwrite: bool = field(default=False, metadata={"help": "Replace a different run already in `output_dir`."})

    # SFTConfig fields whose defaults differ for phyassist.
    output_dir: str | None = field(default=None, metadata={"help": "Adapter folder; default runs/<base>-<dataset>."})
    learning_rate: float = field(default=2e-4, metadata={"help": "Peak learning rate (AdamW)."})
    # fp32 LoRA activations of SmolLM2 take about 2.5 MB per token: 4 x 330 tokens = 3.3 GB per micro-batch.
    per_device_train_batch_size: int = field(
        default=4, metadata={"help": "Examples per device per micro-batch.", "aliases": ["--batch-size"]})
    gradient_accumulation_steps: int = field(
        default=2, metadata={"help": "Micro-batches per optimizer step.", "aliases": ["--grad-accum"]})
    per_device_eval_batch_size: int = field(default=16, metadata={"help": "Examples per device per eval batch."})
    max_length: int | None = field(
        default=None, metadata={"help": "Longest tokenized example; longer ones are dropped and counted. Default: from the data."}
    )
    completion_only_loss: bool | None = field(default=True, metadata={"help": "Loss on the assistant answer tokens only."})
    bf16: bool | None = field(default=None, metadata={"help": "bf16 autocast; default: on where the hardware does bf16."})
    activation_checkpointing: bool | None = field(
        default=None, metadata={"help": "Recompute activations; default: on for GPUs and 4-bit bases, off for small CPU runs."}
    )
    gradient_checkpointing: bool | None = field(default=None, metadata={"help": "Deprecated alias of `activation_checkpointing`."})
    train_sampling_strategy: str = field(
        default="group_by_length", metadata={"help": "'group_by_length' batches similar lengths: little padding."}
    )
    logging_steps: float = field(default=5, metadata={"help": "Log every N steps."})
    save_steps: float = field(default=25, metadata={"help": "Checkpoint every N steps (for resume)."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Keep this many checkpoints."})
    eval_strategy: str = field(default="steps", metadata={"help": "When to compute the validation loss."})
    eval_steps: float | None = field(default=50, metadata={"help": "Validation loss every N steps."})
    report_to: None | str | list[str] = field(default="none", metadata={
        "help": "Experiment trackers: none, or some of tensorboard, trackio, wandb (comma-separated)."})
    warmup_steps: float = field(default=0.03, metadata={"help": "Warmup steps, or a fraction of all steps if < 1."})
    seed: int = field(default=42, metadata={"help": "Seed for sampling, splits and initialisation."})

    # What `dataset` and `base_model` name, when the command already looked them up (not flags, not recipe keys).
    dataset_spec: InitVar[DatasetSpec | None] = None
    base_preset: InitVar[BasePreset | None] = None

    def __post_init__(self, dataset_spec: DatasetSpec | None = None, base_preset: BasePreset | None = None):
        _refuse_trainer_push(self)
        if not self.dataset:
            raise UserError("`dataset` is required (e.g. --dataset MultiWD); see `phyassist data list`")
        for name in ("lora_r", "lora_alpha", "learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size",
                     "gradient_accumulation_steps", "num_train_epochs", "logging_steps", "save_steps"):
            _positive(self, name)
        for name in ("num_threads", "max_length", "max_train_examples", "answer_max_words", "reasoning_max_sentences",
                     "max_eval_examples", "max_chars", "eval_steps"):
            if getattr(self, name) is not None:
                _positive(self, name)
        if self.max_steps == 0 or self.max_steps < -1:
            raise UserError(f"`max_steps` must be positive (or -1 for `num_train_epochs`), got {self.max_steps}.")
        if not self.label_loss_weight > 0:
            raise UserError(f"`label_loss_weight` must be positive, got {self.label_loss_weight}.")
        if not 0 <= self.lora_dropout < 1:
            raise UserError(f"`lora_dropout` must be in [0, 1), got {self.lora_dropout}.")
        if not 0 < self.max_length_percentile <= 100:
            raise UserError(f"`max_length_percentile` must be in (0, 100], got {self.max_length_percentile}.")
        if not 0 < self.val_fraction < 1:
            raise UserError(f"`val_fraction` must be in (0, 1), got {self.val_fraction}.")
        for name, choices in (("base_dtype", ("auto", "float32", "bfloat16")), ("quant_storage", QUANT_STORAGES),
                              ("attn_implementation", ("auto", "sdpa", "eager", "phyassist_cpu"))):
            value = str(getattr(self, name)).lower()
            if value not in choices:
                raise UserError(f"`{name}` must be one of {', '.join(repr(c) for c in choices)}, got {getattr(self, name)!r}.")
            setattr(self, name, value)
        self.quantization = str(self.quantization).lower()
        if self.quantization not in ("auto", "none", "nf4", "fp4"):
            raise UserError(f"`quantization` must be 'auto', 'none', 'nf4' or 'fp4', got {self.quantization!r}.")
        # unknown names -> UserError now, not after data prep; below the command line these objects are passed on
        self.dataset_spec = dataset_spec or resolve_dataset(self.dataset)
        self.base_preset = base_preset or resolve_base(self.base_model)
        if self.activation_checkpointing is None:
            # `gradient_checkpointing` is transformers' deprecated alias; honour it from old recipes.
            self.activation_checkpointing = self.gradient_checkpointing
            self.gradient_checkpointing = None
        # what was asked (`auto`, None) of the fields resolved below, for the saved recipe
        self.requested = {name: getattr(self, name) for name in (*HARDWARE_FIELDS, *_BUILT_BY_TRAINING_ARGUMENTS)}
        self.launch = detect_launch(self)  # accelerate launch's processes and FSDP (phyassist.train.distributed)
        self.hardware = resolve_hardware(self, self.base_preset, self.launch)
        # the fields transformers and the training code read hold what this machine runs; base_dtype and
        # attn_implementation keep what was asked and are read from `hardware`
        for name in ("quantization", "bf16", "activation_checkpointing", "use_cpu", "dataloader_pin_memory"):
            setattr(self, name, getattr(self.hardware, name))
        if self.qlora:
            require_bitsandbytes(self.quantization)
        elif getattr(self.optim, "value", self.optim) in BNB_OPTIMIZERS:
            lazy_bnb.load()  # the Trainer imports it for these optimizers
        # transformers releases before `activation_checkpointing` existed read only this name (the Trainer's
        # `args.gradient_checkpointing`); later ones mirror it from the new name anyway
        self.gradient_checkpointing = self.activation_checkpointing
        if self.output_dir is None:
            self.output_dir = str(Path("runs") / f"{Path(self.base_preset.name).name}-{self.dataset}")
        from .tracking import check_trackers

        self.report_to = check_trackers(self.report_to) or "none"  # a missing tracker package: one line now
        for name in ("lora_target_modules", "lora_target_parameters", "task_weights"):
            if isinstance(getattr(self, name), str):
                setattr(self, name, [m.strip() for m in getattr(self, name).split(",") if m.strip()])
        if isinstance(self.task_weights, dict):  # a YAML mapping {MultiWD: 2}
            self.task_weights = [f"{k}={v}" for k, v in self.task_weights.items()]
        if self.task_weights:
            self.task_weight_map()  # a malformed pair: one line now, not after data prep
            self.balance_tasks = True
        try:
            super().__post_init__()
        except UserError:
            raise
        except (ValueError, TypeError) as e:
            raise UserError(str(e).strip().splitlines()[0]) from None

    def task_weight_map(self) -> dict[str, float]:
        """``task_weights`` as {task: weight}, each checked: ``TASK=WEIGHT`` with a positive number."""
        weights = {}
        for item in self.task_weights or []:
            task, sep, value = str(item).partition("=")
            try:
                weight = float(value) if sep and task.strip() else None
            except ValueError:
                weight = None
            if weight is None or not weight > 0 or weight == float("inf"):
                raise UserError(f"`task_weights`: expected TASK=WEIGHT with a positive number (e.g. MultiWD=2), got {item!r}.")
            weights[task.strip()] = weight
        return weights

    @property
    def qlora(self) -> bool:
        return self.quantization in ("nf4", "fp4")

    def recipe_dict(self) -> dict:
        """The recipe a run saves (loadable with ``--config``): every phyassist field and the SFTConfig fields
        set away from their defaults or redeclared here, with ``auto`` where it was asked and ``resolved``
        (what the hardware settings became on this machine; loading skips it) beside them."""
        out = _recipe_values(self, self.requested, skip=_SECRET | _DERIVED)
        out["resolved"] = self.hardware.as_dict()
        return out

    def identity(self) -> dict:
        """What defines the run, for deciding whether an output folder holds this run or another one: the
        values it trains with (``auto`` as resolved here)."""
        values = _recipe_values(self, {}, skip=_SECRET | _DERIVED | set(_BUILT_BY_TRAINING_ARGUMENTS) | {"use_cpu"})
        return {k: v for k, v in values.items() if k not in NON_IDENTITY_FIELDS}


# Secret: never part of a recipe.
_SECRET = {"hub_token"}
# Set by TrainingArguments from other fields (eval_strategy; activation_checkpointing, which recipes hold).
_DERIVED = {"do_eval", "gradient_checkpointing"}
# Fields TrainingArguments turns into an object or a list: a recipe saves what was asked; like `use_cpu` (the
# machine's choice) they are not what defines a run.
_BUILT_BY_TRAINING_ARGUMENTS = ("accelerator_config", "debug")
_SFT_FIELDS = {f.name for f in dataclasses.fields(SFTConfig)}
# SFTConfig fields TrainConfig declares again (its own default or help): always part of a recipe.
_REDECLARED = set(inspect.get_annotations(TrainConfig)) & _SFT_FIELDS
# The Trainer's Hub upload: push_to_hub and the hub_* fields that only matter with it.
_HUB_FIELDS = ("push_to_hub", *sorted(name for name in _SFT_FIELDS if name.startswith("hub_")))


def _refuse_trainer_push(cfg) -> None:
    """The Trainer would upload the output folder (checkpoints, a pickle holding ``hub_token``) unscanned."""
    defaults = {f.name: f.default for f in dataclasses.fields(SFTConfig)}
    for name in _HUB_FIELDS:
        if getattr(cfg, name) != defaults[name]:
            raise UserError(f"`{name}` is not supported in training configs: publish the adapter with "
                            "`phyassist publish` (it scans for secrets before uploading)")


def _positive(cfg, name):
    value = getattr(cfg, name)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise UserError(f"`{name}` must be positive, got {value}.")


def _recipe_values(cfg: TrainConfig, replace: dict, skip: set) -> dict:
    """The recipe of ``cfg`` with ``replace`` over its values: phyassist's fields and the SFTConfig fields
    that are redeclared or away from their default, leaving out ``skip`` and values YAML cannot hold."""
    sft = {f.name: f for f in dataclasses.fields(SFTConfig)}
    serialized = cfg.to_dict()
    out = {}
    for f in dataclasses.fields(cfg):
        if not f.init or f.name.startswith("_") or f.name not in serialized or f.name in skip:
            continue
        # to_dict masks every *_token field; only the hub token is secret
        value = getattr(cfg, f.name) if f.name.endswith("_token") else serialized[f.name]
        value = replace.get(f.name, value)
        if not _is_plain(value):
            continue
        if f.name in sft and f.name not in _REDECLARED and value == _plain(_default(sft[f.name])):
            continue
        out[f.name] = value
    return out


def _default(f: dataclasses.Field):
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _is_plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


def _plain(value):
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):  # enums
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def own_fields() -> list[str]:
    """The fields phyassist adds to SFTConfig (suggested first when a key is misspelt)."""
    return [f.name for f in dataclasses.fields(TrainConfig) if f.name not in _SFT_FIELDS]


def load_config(recipe: str | Path | None = None, *, dataset_spec: DatasetSpec | None = None,
                base_preset: BasePreset | None = None, **overrides) -> TrainConfig:
    """Defaults < ``recipe`` YAML < ``overrides`` (None values are ignored), validated. ``dataset_spec`` and
    ``base_preset``: what ``dataset`` and ``base_model`` name, when the caller already looked them up."""
    init = dict(dataset_spec=dataset_spec, base_preset=base_preset)
    return build_config(TrainConfig, recipe, own_fields(), init=init, **overrides)


def parse_args(argv, prog: str = "phyassist train") -> tuple[TrainConfig, bool]:
    """``phyassist train``'s command line: every TrainConfig field is a flag; without ``--config`` the
    base model's own recipe applies (``phyassist.train.recipes``), not the bare defaults."""
    from .recipes import find_recipe

    looked_up: dict[str, BasePreset] = {}

    def default_recipe(values: dict):
        if not values.get("dataset"):
            return None
        name = values.get("base_model") or DEFAULT_BASE
        looked_up[name] = resolve_base(name)
        return find_recipe(looked_up[name], values["dataset"])

    values, verbose = parse_values(TrainConfig, argv, prog=prog, own=own_fields(), default_recipe=default_recipe,
                                   description="Fine-tune a LoRA/QLoRA adapter on a dataset.")
    # the base was looked up to find its recipe: the config gets that preset instead of a second look-up
    return construct(TrainConfig, values, base_preset=looked_up.get(values.get("base_model"))), verbose
