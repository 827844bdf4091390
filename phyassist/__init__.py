"""phyassist: fine-tune, evaluate, publish and demo mental-health assistant LLMs.

Library layout (one idea per module):
- ``errors``: the one exception type users see as a one-line message.
- ``io``: atomic file writes and strict CSV reading.
- ``tasks``: the IMHI task registry (label sets, label sentences, file layout).
- ``models``: base-model presets, the embedded SmolLM2 and tokenizer fixes.
- ``data``: dataset registry, loading, cleaning and chat-format preparation.
"""

__version__ = "0.1.0"
