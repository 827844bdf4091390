"""Crisis screening for the Space: the screen, what it shows when it fires, and the learned layer.

It owns text normalisation (``text``), phrase rules in English, six languages in depth and twenty more
briefly (``english``, ``languages``, ``multilingual``, ``exclusions``, ``rules``), the learned layer, its
multilingual concept lexicon and its shipped weights (``model``, ``concepts``, ``training``,
``crisis_model.npz``; it also clears rule hits it reads as harmless), the screen itself (``screen``)
and the resources and fixed reply (``messages``). Misses cost more than false alarms: a false alarm costs a resource banner, never a
refusal. It needs numpy and scikit-learn, never torch or Gradio, so a light install screens messages
too; of phyassist it imports only ``io``. ``benchmarks/crisis_bench.py`` measures it.
"""

from .messages import CRISIS_RESOURCES, CRISIS_TITLE, DISCLAIMER, SAFE_REPLY, crisis_notice, crisis_reply
from .screen import SCREEN_TURNS, CrisisSignal, detect_crisis, screen_conversation

__all__ = ["CRISIS_RESOURCES", "CRISIS_TITLE", "DISCLAIMER", "SAFE_REPLY", "SCREEN_TURNS", "CrisisSignal",
           "crisis_notice", "crisis_reply", "detect_crisis", "screen_conversation"]
