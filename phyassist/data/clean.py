"""Row cleaning: the seed's filters made general, with a count per reason.

A row is a (prompt, answer) pair. ``Cleaner`` repairs common mojibake (UTF-8 text that was decoded
as Mac Roman, e.g. ``can‚Äôt``, or as Windows-1252, e.g. ``canâ€™t``) and then drops rows that are
empty, contain a link, still contain mojibake (a replacement character, a ``?`` standing for a lost
apostrophe such as ``We?ve``, ``??`` between letters), are longer than ``max_chars``, do not fit
the base model's context (``fits_context``, from ``phyassist.data.context``), whose prompt holds a
test post (``test_posts``, from ``phyassist.data.overlap``) or exactly duplicate an earlier row. Plain
punctuation such as ``really??`` is kept. Every drop is counted by reason. It reads no files and
knows no tasks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, field

LINK_RE = re.compile(r"https?://|\bwww\.", re.IGNORECASE)


def _chars(codec: str, lo: int, hi: int) -> str:
    out = []
    for b in range(lo, hi):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            continue
    return re.escape("".join(out))


def _mojibake_re(codec: str) -> re.Pattern:
    # A UTF-8 byte sequence read one byte per char: a lead byte then 1-3 continuation bytes.
    cont = f"[{_chars(codec, 0x80, 0xC0)}]"
    return re.compile(
        f"[{_chars(codec, 0xC2, 0xE0)}]{cont}|[{_chars(codec, 0xE0, 0xF0)}]{cont}{{2}}"
        f"|[{_chars(codec, 0xF0, 0xF5)}]{cont}{{3}}"
    )


_REPAIRERS = [(codec, _mojibake_re(codec)) for codec in ("mac_roman", "cp1252")]
# Mac Roman's 0xF0 is the Apple logo (U+F8FF, private use); it is often lost, leaving "üòÄ" for 😀.
_MAC_EMOJI_RE = re.compile(f"\uf8ff?ü[{_chars('mac_roman', 0x80, 0xC0)}]{{2}}")

# What is left after repair and still means lost text.
_LEFTOVER_RE = re.compile(
    "\ufffd|\uf8ff"
    r"|[A-Za-z]\?{1,2}(?:s|t|m|d|ll|ve|re)\b"  # a lost apostrophe: We?ve, don??t
    r"|[A-Za-z]\?\?+[A-Za-z]"  # lost characters between letters
    r"|(?:^|\s)\?\?+(?=\s|$)"  # a lost emoji or symbol standing alone
    "|‚Ä|â€|Ã[\u0080-\u00bf]|√[©®]"
)


def _plausible(text: str) -> bool:
    # A repair must give punctuation, Latin letters or symbols/emoji, not e.g. Armenian from "l’été".
    for ch in text:
        cp = ord(ch)
        if not (0xA0 <= cp <= 0x24F or 0x2000 <= cp <= 0x2BFF or cp >= 0x1F000 or cp in (0xFE0F, 0x200D)):
            return False
    return True


def repair_mojibake(text: str) -> tuple[str, int]:
    """``text`` with mis-decoded UTF-8 sequences repaired, and how many were repaired."""
    count = 0

    def fix(codec: str):
        def sub(m: re.Match) -> str:
            nonlocal count
            raw = m.group()
            try:
                if codec == "mac_emoji":
                    data = b"\xf0" + raw.lstrip("\uf8ff").encode("mac_roman")
                else:
                    data = raw.encode(codec)
                fixed = data.decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return raw
            if not _plausible(fixed):
                return raw
            count += 1
            return fixed

        return sub

    if text.isascii():
        return text, 0
    text = _MAC_EMOJI_RE.sub(fix("mac_emoji"), text)
    for codec, pattern in _REPAIRERS:
        text = pattern.sub(fix(codec), text)
    return unicodedata.normalize("NFC", text), count


def has_mojibake(text: str) -> bool:
    return bool(_LEFTOVER_RE.search(text))


@dataclass
class Cleaner:
    """Clean (prompt, answer) rows; ``dropped`` and ``repaired`` accumulate across calls.

    ``drop_links``/``drop_mojibake`` can be turned off (the test split keeps the benchmark's rows).
    ``seen`` holds the pairs kept so far, so duplicates are caught across calls too.
    ``fits_context(prompt, answer)`` says whether a row fits the base's context (None: no check);
    ``test_posts`` holds the prompts to drop as ``test_overlap`` (``prompt in test_posts``; None: no check).
    """

    max_chars: int | None = None
    fits_context: Callable[[str, str], bool] | None = None
    test_posts: Container[str] | None = None
    drop_links: bool = True
    drop_mojibake: bool = True
    repair: bool = True
    dropped: Counter = field(default_factory=Counter)
    repaired: int = 0
    seen: set = field(default_factory=set)

    def check(self, prompt, answer) -> tuple[str, str] | str:
        """The cleaned pair, or the reason the row is dropped, checked in this order: ``empty``, ``link``,
        ``mojibake``, ``too_long``, ``too_long_for_context``, ``test_overlap``, ``duplicate``."""
        if prompt is None or answer is None or not str(prompt).strip() or not str(answer).strip():
            return "empty"
        prompt, answer = str(prompt).strip(), str(answer).strip()
        if self.drop_links and (LINK_RE.search(prompt) or LINK_RE.search(answer)):
            return "link"
        if self.repair:
            prompt, n1 = repair_mojibake(prompt)
            answer, n2 = repair_mojibake(answer)
            self.repaired += bool(n1 or n2)
        if self.drop_mojibake and (has_mojibake(prompt) or has_mojibake(answer)):
            return "mojibake"
        if self.max_chars is not None and len(prompt) + len(answer) > self.max_chars:
            return "too_long"
        if self.fits_context is not None and not self.fits_context(prompt, answer):
            return "too_long_for_context"
        if self.test_posts is not None and prompt in self.test_posts:
            return "test_overlap"
        if (prompt, answer) in self.seen:
            return "duplicate"
        return prompt, answer

    def __call__(self, prompt, answer) -> tuple[str, str] | None:
        result = self.check(prompt, answer)
        if isinstance(result, str):
            self.dropped[result] += 1
            return None
        self.seen.add(result)
        return result
