"""The publishing part: what goes to the Hugging Face Hub and how.

It owns every card, each rendered from its template in ``model_cards/`` (``templates``): the adapter's
(``cards``), the merged export's (``export``; ``phyassist export``, around ``train``'s merge), the label
classifiers' (``metric``) and the benchmark dataset's (``benchmark``), the base model's license they state
(``licenses``) and the Hub's metadata rules every card, ``eval.yaml`` and ``.eval_results`` file is checked
against before upload (``frontmatter``). It owns the secret-scanned, retried upload (``push``, ``secrets``;
``phyassist push``), the repo naming scheme (``naming``) and the pipeline that trains, evaluates base and
adapter, stages the repo folder and pushes it (``publish``; ``phyassist publish`` and
``scripts/train_and_push.py``). It may import ``train`` and ``evaluation``;
nothing in the library imports it but the command line.
"""
