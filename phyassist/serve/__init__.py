"""The serving part: what the Gradio Space (``space/app.py``) runs on.

It owns the adapter bank (one base model, hot-switched LoRA adapters: ``bank``), chat and IMHI
analysis prompts with streaming generation (``chat``) and crisis screening (``safety``). It imports
``data`` (task questions), ``models`` and ``evaluation.labels`` (the label badge), never ``train``
or ``hub``.
"""
