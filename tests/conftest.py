"""Shared fixtures: offline Hub, the data folder, the embedded base, tiny random Llama and Mixtral.

Tiny models reuse the embedded SmolLM2 tokenizer (so chat templates are real) with a 2-layer random
body; they are built once per session under a temporary folder and record a fake Hub id in
``phyassist_base.json`` so cards and adapter configs never see a local path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

MISTRAL_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}"
    "{% endfor %}"
)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared IMHI / counsel-chat data; tests that need it skip with a reason when it is absent."""
    path = Path(os.environ.get("PHYASSIST_DATA_DIR", SHARED_DATA))
    if not (path / "imhi").is_dir():
        pytest.skip(f"shared data not found at {path} (set PHYASSIST_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def smol_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct converted to safetensors (converted once, then cached)."""
    from phyassist.models import embedded_model_dir

    return embedded_model_dir()


@pytest.fixture(scope="session")
def smol_tokenizer(smol_dir):
    from phyassist.models import load_tokenizer

    return load_tokenizer("smollm2-135m-instruct")


def _save_tiny(model, tokenizer, folder: Path, hub_id: str) -> Path:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "phyassist_base.json").write_text(json.dumps({"hub_id": hub_id}) + "\n")
    return folder


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, smol_tokenizer) -> Path:
    """A 2-layer random Llama with the SmolLM2 tokenizer, saved as a model folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(smol_tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
        bos_token_id=smol_tokenizer.bos_token_id, eos_token_id=smol_tokenizer.eos_token_id,
        pad_token_id=smol_tokenizer.pad_token_id, tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    return _save_tiny(model, smol_tokenizer, tmp_path_factory.mktemp("tiny-llama"), "phyassist-tests/tiny-llama")


@pytest.fixture(scope="session")
def tiny_mixtral_dir(tmp_path_factory, smol_tokenizer) -> Path:
    """A 2-layer random Mixtral (4 experts, top-2) with the SmolLM2 tokenizer: covers the MoE `gate`."""
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(0)
    config = MixtralConfig(
        vocab_size=len(smol_tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2,
        max_position_embeddings=2048, bos_token_id=smol_tokenizer.bos_token_id,
        eos_token_id=smol_tokenizer.eos_token_id, pad_token_id=smol_tokenizer.pad_token_id,
    )
    model = MixtralForCausalLM(config)
    return _save_tiny(model, smol_tokenizer, tmp_path_factory.mktemp("tiny-mixtral"), "phyassist-tests/tiny-mixtral")
