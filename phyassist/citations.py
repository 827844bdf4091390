"""The one copy of each BibTeX entry phyassist cites: the cards (``{{ bibtex.<key> }}``) and the metric."""

from __future__ import annotations

# BibTeX entries by citation key
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
