"""Render a card from its Jinja template in ``model_cards/`` through huggingface_hub's card classes.

Every card phyassist writes (adapter, merged export, label classifiers, benchmark dataset) is a
``ModelCard`` or ``DatasetCard`` made by ``from_template`` with its ``*CardData``; the templates ship in
the wheel as ``phyassist.model_cards``. Templates cite ``{{ bibtex.<key> }}`` from
``phyassist.citations.BIBTEX``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..citations import BIBTEX

TEMPLATES = "phyassist.model_cards"  # the repository's model_cards/ folder, shipped in the wheel


def render(card_class, card_data, name: str, template: str | Path | None = None, **variables):
    """``card_class.from_template`` of ``model_cards/<name>`` (or the file ``template``) with ``card_data`` as
    its front matter and ``variables`` (and ``bibtex``) for the body."""
    text = Path(template).read_text(encoding="utf-8") if template else files(TEMPLATES).joinpath(name).read_text(
        encoding="utf-8")
    return card_class.from_template(card_data, template_str=text, bibtex=BIBTEX, **variables)
