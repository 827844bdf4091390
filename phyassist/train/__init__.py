"""The training part: a LoRA/QLoRA adapter from a dataset, a recipe and flags.

It owns ``TrainConfig`` (trl's ``SFTConfig`` plus phyassist's fields: ``config``), what its ``auto``
settings become on this machine (``hardware``) and under the launch, DDP or FSDP (``distributed``), the recipe lookup
(``recipes``), the training rows (``splits``), base loading for training and the peft config
(``lora``), the CPU attention kernel (``cpu_attention``), the compact LM head on CPUs (``cpu_logprob``, wired into trl by
``lm_head``), run folders and resume (``rundir``) and the
run itself (``trainer``; ``trainer.main`` is ``phyassist train``), experiment trackers (``tracking``),
and merging an adapter into its base with an optional GGUF file (``export``, ``gguf``: ``phyassist
export``), and the memory a base and its training need, from the config alone (``memory``, ``memory_cli``:
``phyassist models memory``). It imports ``data`` and ``models``, never ``evaluation``, ``hub`` or ``serve``.
"""
