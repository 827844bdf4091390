"""The serving part: what the Gradio Space (``space/app.py``) runs on.

It owns the adapter bank (one base model, hot-switched LoRA adapters: ``bank``), chat and IMHI
analysis prompts with streaming generation (``chat``), the Space's logic (one request per session
and a fair share of the model: ``sessions``, with Gradio's queue patched in ``gradio_queue`` only;
the chat reply: ``respond``; the analysis: ``analyze``; the endpoints Gradio calls: ``handlers``;
the page's text: ``page``; ZeroGPU: ``zerogpu``) and crisis screening (``safety``). It imports
``data`` (task questions), ``models`` and ``evaluation`` (the label badge), never ``train`` or ``hub``.
"""
