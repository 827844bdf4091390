"""Training recipes and accelerate configs: YAML files, shipped in the wheel as ``phyassist.recipes``.

``recipes/<preset>/<name>.yaml`` holds ``TrainConfig`` fields (``phyassist train --config FILE``);
``phyassist.train.recipes`` finds a base model's own recipe here. This file only makes the folder a
package so that ``importlib.resources`` finds it in editable installs too.
"""
