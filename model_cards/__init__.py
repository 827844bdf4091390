"""Model card templates (Jinja, rendered with huggingface_hub's ``ModelCard.from_template``), shipped
in the wheel as ``phyassist.model_cards``. This file only makes the folder a package so that
``importlib.resources`` finds it in editable installs too.
"""
