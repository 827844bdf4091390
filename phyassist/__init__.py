"""phyassist: fine-tune, evaluate, publish and demo mental-health assistant LLMs.

One subpackage per part of the system; dependencies point one way (data <- train, evaluation <- hub):

- ``phyassist.data``: the IMHI task registry, loading, cleaning, preparation, download, CSV-to-chat.
- ``phyassist.train``: ``TrainConfig``, recipe lookup, the SFTTrainer run, LoRA/QLoRA plumbing.
- ``phyassist.evaluation``: generation, label inference, metrics, BARTScore, the ``eval`` run.
- ``phyassist.hub``: model cards, the scanned push, the train-evaluate-stage-push pipeline.
- ``phyassist.serve``: the Space's adapter bank, chat prompts and crisis safety.

Beside them: ``models`` (base-model presets and loading), ``config`` (the one dataclass/recipe
parser), ``io`` (cache folder, atomic writes, strict CSV), ``lazy_bnb`` (bitsandbytes only on the runs that
use it), ``errors`` and ``cli`` (the ``phyassist`` command). Recipes and card templates ship as
``phyassist.recipes`` and ``phyassist.model_cards``.
"""

__version__ = "0.1.0"
