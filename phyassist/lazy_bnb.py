"""bitsandbytes only on the runs that use it (4-bit bases, bitsandbytes optimizers).

peft imports bitsandbytes whenever it is installed (``peft.helpers`` when transformers' Trainer modules load,
LoRA's layer dispatch on every adapter it builds). That import costs a second or two at start, and on CPUs with
AVX512-BF16 it warns twice about an optional Hub kernel it could not fetch. ``defer()`` (``phyassist.cli`` calls it
first when the command owns the process; a caller's process, tests or a notebook, is left alone) makes
bitsandbytes read as not installed: ``None`` in ``sys.modules``, Python's way to block an import, so peft and
transformers skip it and a 16-bit LoRA run never loads it. ``load()`` is the way in for the runs that need it
(``models.require_bitsandbytes``, the bitsandbytes optimizers): it lifts the block, forgets the "not installed"
answers peft and transformers cached meanwhile, binds it in the modules that looked for it at import, and
imports it with those two warnings replaced by one INFO line. Code that only needs to recognise 4-bit layers
asks ``loaded()``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import sys

logger = logging.getLogger(__name__)

NAME = "bitsandbytes"
# Other libraries' private state that remembers a blocked bitsandbytes (tests/test_lazy_bnb.py checks each exists):
# availability answers kept by functools.lru_cache ...
CACHED_ANSWERS = (("transformers.utils.import_utils", "is_bitsandbytes_available"),
                  ("peft.import_utils", "is_bnb_available"), ("peft.import_utils", "is_bnb_4bit_available"))
# ... and modules that bind `bnb` at import when it is installed (None or absent when it was blocked)
BINDS_BNB = ("peft.helpers", "transformers.integrations.bitsandbytes")
# What bitsandbytes' CPU backend logs when its optional kernel (a Hub repo, fetched by the `kernels` package)
# cannot be used: offline, or a publisher it cannot verify. Logger name -> text its record contains.
KERNEL_REPO = "kernels-community/quantization-bitsandbytes"
KERNEL_WARNINGS = {"kernels._internals.hf_hub": KERNEL_REPO, "bitsandbytes.backends.cpu.ops": "gemm_4bit_forward"}
KERNEL_NOTE = (f"bitsandbytes tried an optional faster CPU kernel from the Hub ({KERNEL_REPO}), could not use it "
               "here (offline, or a publisher it cannot verify) and fell back to its built-in one; nothing to do")


def deferred() -> bool:
    """True while ``defer()`` blocks bitsandbytes."""
    return NAME in sys.modules and sys.modules[NAME] is None


def defer() -> bool:
    """Block bitsandbytes until ``load()``; returns False when it is already imported (nothing to defer)."""
    if NAME not in sys.modules:
        sys.modules[NAME] = None
    return deferred()


def loaded():
    """The bitsandbytes module when something imported it, else None: a model can hold 4-bit layers only then."""
    return sys.modules.get(NAME)


def installed() -> bool:
    """Whether bitsandbytes is installed, blocked or not."""
    blocked = deferred()
    if blocked:  # find_spec answers None for a blocked name: ask past the block
        del sys.modules[NAME]
    try:
        return importlib.util.find_spec(NAME) is not None
    finally:
        if blocked:
            sys.modules[NAME] = None


def load():
    """Import bitsandbytes (lifting ``defer()``) and return it; its kernel-fetch warnings become one INFO line.
    Raises ``ModuleNotFoundError`` when it is not installed."""
    if deferred():
        del sys.modules[NAME]
        for module, function in CACHED_ANSWERS:
            if module in sys.modules:
                getattr(sys.modules[module], function).cache_clear()
    bnb = loaded()
    if bnb is None:
        with kernel_warnings_explained():
            bnb = importlib.import_module(NAME)
    for module in BINDS_BNB:
        if module in sys.modules and getattr(sys.modules[module], "bnb", None) is None:
            sys.modules[module].bnb = bnb
    return bnb


class _KernelWarnings(logging.Filter):
    """Holds back the kernel-fetch warnings (kept at DEBUG under this module's logger)."""

    def __init__(self):
        super().__init__()
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and KERNEL_WARNINGS.get(record.name, "\0") in record.getMessage():
            self.seen += 1
            logger.debug("%s: %s", record.name, record.getMessage())
            return False
        return True


@contextlib.contextmanager
def kernel_warnings_explained():
    """Within: the two kernel-fetch warnings are held back; after: one INFO line says what they meant."""
    held = _KernelWarnings()
    loggers = [logging.getLogger(name) for name in KERNEL_WARNINGS]
    for each in loggers:
        each.addFilter(held)
    try:
        yield
    finally:
        for each in loggers:
            each.removeFilter(held)
        if held.seen:
            logger.info(KERNEL_NOTE)
