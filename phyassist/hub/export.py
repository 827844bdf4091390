"""``phyassist export``: train's merge (``phyassist.train.export``) with the model card of the merged model.

The card is ``model_cards/merged.md`` rendered with a ``ModelCardData`` whose ``base_model`` is the base's
Hub id with ``base_model_relation: finetune`` (one base with a fine-tune merged in; ``merge`` means two or more
bases, hub-docs docs/hub/model-cards.md) and whose license is the base's (``licenses``; left out, and said,
when unknown); it is written into the export folder before that folder is renamed into place.
"""

from __future__ import annotations

from pathlib import Path

from ..train.export import ExportConfig, ExportResult, Merged, format_result
from ..train.export import export as merge
from .licenses import base_license
from .templates import render


def write_card(folder: Path, merged: Merged) -> None:
    """README.md of an export folder."""
    from huggingface_hub import ModelCard, ModelCardData

    from .. import __version__

    tags = ["phyassist", "mental-health", merged.method.lower(), "merge"] + (["gguf"] if merged.gguf_file else [])
    base_folder = Path(str(merged.recipe.get("base_model") or "")).expanduser()
    license_info = base_license(merged.hub_id, base_folder if merged.recipe.get("base_model") and base_folder.is_dir()
                                else None)
    data = ModelCardData(
        base_model=merged.hub_id, base_model_relation="finetune" if merged.hub_id else None,
        library_name="transformers", pipeline_tag="text-generation", **license_info.card_fields(), language=["en"],
        tags=tags, model_name=merged.model_name)
    targets = merged.adapter_config.get("target_modules") or []
    targets = sorted(targets) if isinstance(targets, list) else [targets]  # PEFT also allows one regex string
    card = render(
        ModelCard, data, "merged.md", model_name=merged.model_name, repo_id=merged.repo_id, base_model=merged.hub_id,
        method=merged.method, adapter_name=merged.adapter.name, dataset=merged.recipe.get("dataset"),
        lora_r=merged.adapter_config.get("r"), lora_alpha=merged.adapter_config.get("lora_alpha"),
        target_modules=targets, dtype=merged.dtype, qlora=merged.method == "QLoRA", gguf_file=merged.gguf_file,
        gguf_type=merged.gguf_type, license_sentence=license_info.sentence, phyassist_version=__version__)
    card.save(folder / "README.md")


def export(cfg: ExportConfig) -> ExportResult:
    """Merge ``cfg.adapter`` into its base and write the export folder ``cfg.out``, model card included."""
    return merge(cfg, write_card)


def main(cfg: ExportConfig) -> int:
    """``phyassist export``: merge, write the folder, print what is where."""
    print(format_result(export(cfg)))
    return 0
