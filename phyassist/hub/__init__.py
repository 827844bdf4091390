"""The publishing part: what goes to the Hugging Face Hub and how.

It owns model cards (``cards``), the token-scanned, retried upload (``push``; ``phyassist push``) and
the pipeline that trains, evaluates base and adapter, stages the repo folder and pushes it
(``publish``; ``phyassist publish`` and ``scripts/train_and_push.py``). It may import ``train`` and
``evaluation``; nothing in the library imports it but the command line.
"""
