"""Merge a LoRA/QLoRA adapter into its base and save a standalone model (``phyassist export``).

The adapter is merged with PEFT's ``merge_and_unload`` (a QLoRA adapter into its 4-bit base
dequantized to the compute dtype it was trained in, never into 4-bit weights); the folder gets
safetensors, tokenizer, chat template, generation config, a model card (``write_card``, which
``phyassist.hub.export`` passes in) and, with ``--gguf``, ``gguf/<name>.<TYPE>.gguf`` (``gguf.py``).
It is built in a temporary folder beside ``--out`` and renamed into place at the end.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..models import PRESETS, is_hub_id

logger = logging.getLogger(__name__)

MARKER = "phyassist_export.json"  # marks a folder as an export that a new export may replace
DTYPES = ("auto", "float32", "bfloat16", "float16")
GGUF_DIR = "gguf"  # beside tokenizer.json, transformers' AutoTokenizer would ignore `gguf_file=`


@dataclass
class ExportConfig:
    """What ``phyassist export`` merges and writes; the fields are its flags."""

    adapter: str | None = field(
        default=None, metadata={"help": "Adapter folder written by `phyassist train` (holds adapter_config.json)."})
    out: str | None = field(
        default=None, metadata={"help": "Folder for the merged model: new, empty, or a previous export (replaced)."})
    gguf: bool = field(default=False, metadata={
        "help": "Also write gguf/<name>.<TYPE>.gguf for llama.cpp and Ollama (Llama and Mistral models)."})
    gguf_type: str = field(default="f16", metadata={"help": "GGUF tensor type: f32, f16, bf16 or q8_0."})
    base_model: str | None = field(
        default=None, metadata={"help": "Base to merge into (preset, Hub id or folder); default: the adapter's own."})
    dtype: str = field(default="auto", metadata={
        "help": "Saved weights: auto (the base's own; a QLoRA adapter's compute dtype), float32, bfloat16 or float16."})
    repo_id: str | None = field(
        default=None, metadata={"help": "Hub repo the export will be pushed to (ORG/NAME); the card's code names it."})

    def __post_init__(self):
        from .gguf import GGUF_TYPES

        if not self.adapter:
            raise UserError("`adapter` is required: phyassist export --adapter DIR --out DIR")
        if not self.out:
            raise UserError("`out` is required: phyassist export --adapter DIR --out DIR")
        self.gguf_type = str(self.gguf_type).lower()
        if self.gguf_type not in GGUF_TYPES:
            raise UserError(f"`gguf_type` must be one of {', '.join(GGUF_TYPES)}, got {self.gguf_type!r}.")
        if self.dtype not in DTYPES:
            raise UserError(f"`dtype` must be one of {', '.join(DTYPES)}, got {self.dtype!r}.")
        if self.repo_id is not None and not is_hub_id(self.repo_id):
            raise UserError(f"`repo_id` must look like ORG/NAME, got {self.repo_id!r}.")


@dataclass
class Merged:
    """What the export's model card says about the merge."""

    model_name: str
    repo_id: str
    hub_id: str | None  # the base's Hub id; None for a local base that has none
    license: str | None  # the base preset's declared license; None: unknown
    method: str  # "LoRA" or "QLoRA"
    adapter: Path
    adapter_config: dict
    recipe: dict
    dtype: str  # of the saved weights
    gguf_file: str | None  # relative to the folder
    gguf_type: str


@dataclass
class ExportResult:
    out: Path
    repo_id: str | None
    base_model: str  # Hub id, or the local folder when the base has none
    method: str  # "LoRA" or "QLoRA"
    dtype: str
    files: list[str]
    gguf: Path | None
    seconds: float


def check_adapter(adapter: Path) -> dict:
    """The adapter's ``adapter_config.json``, or a one-line ``UserError`` naming the folder."""
    config = adapter / "adapter_config.json"
    if not adapter.is_dir():
        raise UserError(f"{adapter}: not a folder; expected an adapter folder written by `phyassist train`")
    if not config.is_file():
        raise UserError(f"{adapter}: no adapter_config.json; expected an adapter folder written by `phyassist train`")
    try:
        return json.loads(config.read_text(encoding="utf-8"))
    except ValueError as e:
        raise UserError(f"{config}: not valid JSON ({e}); expected PEFT's adapter config") from None


def check_out(out: Path) -> None:
    """``--out`` may be new, empty, or an earlier export (it has the marker); anything else is refused."""
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"{out}: exists and is a file; expected a new or empty folder, or a previous export")
    others = sorted(p.name for p in out.iterdir())
    if others and MARKER not in others:
        listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise UserError(f"{out}: exists and holds other files ({listed}); expected a new or empty folder, "
                        f"or a previous export (with {MARKER})")


def _recipe(adapter: Path) -> dict:
    import yaml

    path = adapter / "phyassist_config.yaml"
    if not path.is_file():
        return {}
    from .hardware import resolved_recipe

    try:
        return resolved_recipe(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError:
        raise UserError(f"{path}: not valid YAML; expected the recipe `phyassist train` wrote") from None


def _summary(adapter: Path) -> dict:
    try:
        return json.loads((adapter / "train_metrics.json").read_text()).get("summary", {})
    except (OSError, ValueError, AttributeError):
        return {}


def quantization(adapter: Path, recipe: dict) -> str | None:
    """``nf4``/``fp4`` when the adapter was trained on a 4-bit base (its recipe, else its train summary)."""
    quant = str(recipe.get("quantization") or "").lower()
    if quant in ("nf4", "fp4"):
        return quant
    summary = _summary(adapter)
    if str(summary.get("quantization", "")).lower() == "qlora":
        return str(summary.get("quant_type") or "nf4").lower()
    return None


def _available(name: str) -> bool:
    """A preset, a model folder, or a Hub id we can reach (cached, or online)."""
    from huggingface_hub import constants, try_to_load_from_cache

    if name.lower() in PRESETS or any(p.hub_id == name for p in PRESETS.values()):
        return True
    if Path(name).expanduser().is_dir():
        return True
    if not is_hub_id(name) or name.startswith((".", "/", "~")):
        return False
    return not constants.is_offline_mode() or isinstance(try_to_load_from_cache(name, "config.json"), str)


def find_base(adapter: Path, adapter_config: dict, recipe: dict, explicit: str | None) -> str:
    """The base to merge into: ``--base-model``, else the recipe's, else the adapter config's."""
    names = [explicit] if explicit else [recipe.get("base_model"), adapter_config.get("base_model_name_or_path")]
    names = [str(n) for n in dict.fromkeys(names) if n]
    for name in names:
        if _available(name):
            return name
    tried = " or ".join(repr(n) for n in names) or "none recorded"
    raise UserError(f"{adapter}: base model {tried} not found; expected a preset ({', '.join(PRESETS)}), a local model "
                    "folder, or a Hub id reachable online (pass --base-model)")


def hub_id_of(preset) -> str | None:
    """The base's Hub id for the card, never a local path."""
    hub = preset.hub_id
    return hub if is_hub_id(hub) and not Path(hub).expanduser().exists() else None


def _torch_dtype(name: str):
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def choose_dtype(requested: str, quant: str | None, recipe: dict, base_config) -> tuple[str, str]:
    """(merge dtype, saved dtype). A QLoRA adapter merges in its compute dtype; LoRA in the saved one."""
    if quant:
        compute = "bfloat16" if recipe.get("bf16") else "float16" if recipe.get("fp16") else "float32"
        return compute, compute if requested == "auto" else requested
    if requested != "auto":
        return requested, requested
    own = str(getattr(base_config, "dtype", None) or getattr(base_config, "torch_dtype", None) or "float32")
    own = own.replace("torch.", "")
    return (own, own) if own in DTYPES else ("float32", "float32")


def load_base(base: str, quant: str | None, dtype: str, recipe: dict):
    """The base in ``dtype``; a QLoRA base is loaded in 4 bits as trained (an MoE's fused experts too), then
    dequantized to ``dtype``."""
    from ..experts4bit import dequantize_experts
    from ..models import load_model_and_tokenizer

    torch_dtype = _torch_dtype(dtype)
    try:
        if quant:
            model, tokenizer = load_model_and_tokenizer(
                base, quantization=quant, double_quant=bool(recipe.get("double_quant", True)), dtype=torch_dtype)
            dequantize_experts(model, torch_dtype)  # transformers' own dequantize knows only Linear4bit
            model = model.dequantize(dtype=torch_dtype)
            model.hf_quantizer, model.is_quantized = None, False
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
        else:
            model, tokenizer = load_model_and_tokenizer(base, quantization=None, dtype=torch_dtype)
    except OSError as e:
        raise UserError(f"base model {base!r} could not be loaded ({str(e).strip().splitlines()[0]})") from None
    return model.to(torch_dtype), tokenizer


def merge_adapter(model, adapter: Path):
    """PEFT's ``merge_and_unload``: W + (alpha / r) * B @ A for every adapted module, then plain modules."""
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()


def _adapter_tokenizer(adapter: Path, model, tokenizer):
    """The tokenizer the adapter was trained with (its folder), else the base's; embeddings follow it."""
    from transformers import AutoTokenizer

    from ..models import fix_tokenizer

    if (adapter / "tokenizer_config.json").is_file():
        tokenizer = fix_tokenizer(AutoTokenizer.from_pretrained(adapter), model)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    return tokenizer


def export(cfg: ExportConfig, write_card: Callable[[Path, Merged], None]) -> ExportResult:
    """Merge ``cfg.adapter`` into its base and write the export folder ``cfg.out``; ``write_card(folder, merged)``
    adds the model card before the folder is renamed into place."""
    from transformers import AutoConfig

    from .. import __version__
    from ..io import atomic_dir, write_json
    from ..models import model_path, resolve_base

    start = time.perf_counter()
    adapter, out = Path(cfg.adapter).expanduser(), Path(cfg.out).expanduser()
    adapter_config = check_adapter(adapter)
    check_out(out)
    recipe = _recipe(adapter)
    base = find_base(adapter, adapter_config, recipe, cfg.base_model)
    preset = resolve_base(base)
    quant = quantization(adapter, recipe)
    try:
        base_config = AutoConfig.from_pretrained(model_path(preset))
    except OSError as e:
        raise UserError(f"base model {base!r} could not be loaded ({str(e).strip().splitlines()[0]})") from None
    if cfg.gguf:
        from .gguf import check_supported

        check_supported(base_config, source=base)  # before minutes of loading and merging
    merge_dtype, save_dtype = choose_dtype(cfg.dtype, quant, recipe, base_config)
    method = "QLoRA" if quant else "LoRA"
    logger.info("Merging %s adapter %s into %s (%s%s)", method, adapter, preset.hub_id,
                f"4-bit {quant} dequantized to " if quant else "", merge_dtype)
    model, tokenizer = load_base(preset.name, quant, merge_dtype, recipe)
    tokenizer = _adapter_tokenizer(adapter, model, tokenizer)
    if cfg.gguf:
        from .gguf import tokenizer_model

        tokenizer_model(tokenizer)
    model = merge_adapter(model, adapter).to(_torch_dtype(save_dtype))
    model.config.use_cache = True
    hub_id = hub_id_of(preset)
    model_name = cfg.repo_id.split("/")[-1] if cfg.repo_id else out.name
    gguf_rel = f"{GGUF_DIR}/{model_name}.{cfg.gguf_type.upper()}.gguf" if cfg.gguf else None
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if gguf_rel:
            from .gguf import write_gguf

            (tmp / GGUF_DIR).mkdir()
            logger.info("Writing %s", gguf_rel)
            write_gguf(model, tokenizer, tmp, tmp / gguf_rel, cfg.gguf_type, name=model_name, hub_id=hub_id,
                       license=preset.license)
        write_card(tmp, Merged(model_name, cfg.repo_id or f"ORG/{model_name}", hub_id, preset.license, method,
                               adapter, adapter_config, recipe, save_dtype, gguf_rel, cfg.gguf_type))
        write_json(tmp / MARKER, {"phyassist_version": __version__, "adapter": adapter.name, "base_model": hub_id,
                                  "method": method, "dtype": save_dtype, "gguf": gguf_rel,
                                  "gguf_type": cfg.gguf_type if gguf_rel else None})
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    seconds = time.perf_counter() - start
    logger.info("Exported %s to %s in %.1f s", adapter.name, out, seconds)
    return ExportResult(out, cfg.repo_id, hub_id or str(base), method, save_dtype, files,
                        out / gguf_rel if gguf_rel else None, seconds)


def format_result(result: ExportResult) -> str:
    rows = [("export", str(result.out)), ("base model", result.base_model),
            ("merged", f"{result.method} adapter, saved as {result.dtype}"),
            ("files", ", ".join(result.files))]
    if result.gguf is not None:
        rows.append(("gguf", f"{result.gguf} ({result.gguf.stat().st_size / 2**20:.1f} MiB)"))
    rows.append(("time", f"{result.seconds:.1f} s"))
    width = max(len(k) for k, _ in rows)
    table = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    return f"{table}\npush it with: phyassist push {result.out} --repo-id {result.repo_id or 'ORG/NAME'}"
