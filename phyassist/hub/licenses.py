"""The license a card states for a model built on a base model: the base's own, never a guess.

``base_license(hub_id, folder)`` takes a preset's declared license (``phyassist.models.PRESETS``), else the
base's model card: its local folder's ``README.md``, else the Hub's (``HfApi.model_info(...).card_data``). A
Hub license id is kept; ``other`` keeps its ``license_name`` and ``license_link`` (hub-docs modelcard.md); when
nothing says, the license is ``None``: the card leaves ``license`` out and says so in its body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..models import PRESETS
from .frontmatter import LICENSES, split_front_matter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BaseLicense:
    license: str | None  # a Hub license id (hub-docs docs/hub/repositories-licenses.md), or None: unknown
    name: str | None = None  # license_name, with `other`
    link: str | None = None  # license_link, with `other`
    source: str = ""  # where it was read, for the card's sentence

    def card_fields(self) -> dict:
        """``license`` (and ``license_name``/``license_link`` for ``other``) for a ``ModelCardData``."""
        fields = {"license": self.license, "license_name": self.name, "license_link": self.link}
        return {k: v for k, v in fields.items() if v}

    @property
    def sentence(self) -> str:
        """The card's line on the license."""
        if self.license is None:
            return (f"The base model's license could not be determined ({self.source}), so this card states "
                    "none: read the base model's card before you use or share this model.")
        shown = f"`other` ({self.name}{', ' + self.link if self.link else ''})" if self.license == "other" \
            else f"`{self.license}`"
        return f"License: {shown}, the base model's ({self.source})."


def _from_metadata(meta: dict, hub_id: str | None, source: str) -> BaseLicense | None:
    value = meta.get("license")
    if value in LICENSES and value not in ("other", "unknown"):
        return BaseLicense(value, source=source)
    name, link = meta.get("license_name"), meta.get("license_link")
    if value == "other" and isinstance(name, str) and name.strip():
        if isinstance(link, str) and hub_id and not link.startswith(("https://", "http://")):
            link = f"https://huggingface.co/{hub_id}/blob/main/{link}"  # a file of the base's repo, not of ours
        return BaseLicense("other", name, link if isinstance(link, str) else None, source)
    return None


def base_license(hub_id: str | None, folder: str | Path | None = None, endpoint: str | None = None) -> BaseLicense:
    """The license of the base model ``hub_id`` (see the module docstring); ``folder``: its local copy."""
    preset = next((p for p in PRESETS.values() if hub_id and p.hub_id == hub_id), None)
    if preset is not None:
        return BaseLicense(preset.license, source=f"declared by phyassist's preset {preset.name}")
    readme = Path(folder) / "README.md" if folder else None
    if readme is not None and readme.is_file():
        meta, _ = split_front_matter(readme.read_text(encoding="utf-8", errors="replace"))
        found = _from_metadata(meta or {}, hub_id, "its model card")
        if found:
            return found
    if hub_id:
        from huggingface_hub import HfApi

        try:
            card = HfApi(endpoint=endpoint).model_info(hub_id).card_data
        except Exception as e:  # offline, not on the Hub, no network: unknown, said on the card
            logger.warning("License of %s not found (%s); the card states none", hub_id, type(e).__name__)
            return BaseLicense(None, source=f"{hub_id}'s model card could not be read")
        found = _from_metadata(card.to_dict() if card else {}, hub_id, f"{hub_id}'s model card")
        if found:
            return found
        return BaseLicense(None, source=f"{hub_id}'s model card names no license id")
    return BaseLicense(None, source="a local base model without a Hub id or a card")


def preset_license(preset) -> BaseLicense:
    """The license of a ``BasePreset``'s model, its local folder's card included (a folder's preset name is it)."""
    return base_license(preset.hub_id, preset.name if Path(preset.name).is_dir() else None)
