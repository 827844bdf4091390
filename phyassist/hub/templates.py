"""Render a card from its Jinja template in ``model_cards/`` through huggingface_hub's card classes.

Every card phyassist writes (adapter, merged export, label classifiers, benchmark dataset) is a
``ModelCard`` or ``DatasetCard`` made by ``from_template`` with its ``*CardData``; the templates ship in
the wheel as ``phyassist.model_cards``. ``BIBTEX`` holds the one copy of each entry the cards cite
(a template writes ``{{ bibtex.yang2024mentallama }}``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

TEMPLATES = "phyassist.model_cards"  # the repository's model_cards/ folder, shipped in the wheel

# BibTeX entries by citation key: every template gets them as `bibtex`
BIBTEX = {
    "yang2024mentallama": """@inproceedings{yang2024mentallama,
  title={MentaLLaMA: Interpretable Mental Health Analysis on Social Media with Large Language Models},
  author={Yang, Kailai and Zhang, Tianlin and Kuang, Ziyan and Xie, Qianqian and Huang, Jimin and Ananiadou, Sophia},
  booktitle={Proceedings of the ACM Web Conference 2024},
  year={2024}
}""",
    "bertagnolli2020counselchat": r"""@misc{bertagnolli2020counselchat,
  title={Counsel Chat: Bootstrapping High-Quality Therapy Data},
  author={Bertagnolli, Nicolas},
  year={2020},
  howpublished={\url{https://github.com/nbertagnolli/counsel-chat}}
}""",
    "dettmers2023qlora": """@article{dettmers2023qlora,
  title={QLoRA: Efficient Finetuning of Quantized LLMs},
  author={Dettmers, Tim and Pagnoni, Artidoro and Holtzman, Ari and Zettlemoyer, Luke},
  journal={arXiv preprint arXiv:2305.14314},
  year={2023}
}""",
}


def render(card_class, card_data, name: str, template: str | Path | None = None, **variables):
    """``card_class.from_template`` of ``model_cards/<name>`` (or the file ``template``) with ``card_data`` as
    its front matter and ``variables`` (and ``bibtex``) for the body."""
    text = Path(template).read_text(encoding="utf-8") if template else files(TEMPLATES).joinpath(name).read_text(
        encoding="utf-8")
    return card_class.from_template(card_data, template_str=text, bibtex=BIBTEX, **variables)
