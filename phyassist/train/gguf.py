"""Write a merged Llama-architecture model as one GGUF file for llama.cpp, Ollama and transformers.

``write_gguf(model, tokenizer, tokenizer_dir, path, gguf_type)`` does what llama.cpp's converter does
for a Llama: hyperparameters under ``llama.*``, tensors under llama.cpp's names (``TensorNameMap``), Q
and K rows permuted to llama.cpp's rotary layout, and the tokenizer as metadata (tokens, types, merges,
special ids, chat template), so ``from_pretrained(folder, gguf_file=...)`` loads it back. Mistral
(dense) models are Llamas to llama.cpp. ``check_supported`` refuses anything else before any work.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import UserError

logger = logging.getLogger(__name__)

SUPPORTED_ARCHITECTURES = ("llama", "mistral")
# the types llama.cpp's own converter writes; smaller ones come from its `llama-quantize`
GGUF_TYPES = ("f32", "f16", "bf16", "q8_0")


def check_supported(config, tokenizer=None, source: str = "the model") -> None:
    """A one-line ``UserError`` unless ``config`` (and ``tokenizer``) can be written as a llama GGUF;
    ``source`` names the model in the message."""
    model_type = getattr(config, "model_type", None)
    if model_type not in SUPPORTED_ARCHITECTURES:
        raise UserError(f"--gguf: {source} has architecture {model_type!r}, which is not supported; expected one "
                        f"of {', '.join(SUPPORTED_ARCHITECTURES)} (export without --gguf to get safetensors)")
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    rope_type = rope.get("rope_type", rope.get("type", "default")) if isinstance(rope, dict) else "default"
    if rope_type not in (None, "default"):
        raise UserError(f"--gguf: {model_type} with rope scaling {rope_type!r} is not supported; expected plain RoPE")
    for name in ("attention_bias", "mlp_bias"):
        if getattr(config, name, False):
            raise UserError(f"--gguf: {model_type} with `{name}` is not supported; expected bias-free projections")
    if tokenizer is not None:
        tokenizer_model(tokenizer)


def tokenizer_model(tokenizer) -> str:
    """``"gpt2"`` (byte-level BPE, as SmolLM2 and Llama 3) or ``"llama"`` (SentencePiece-style BPE with byte
    fallback, as Llama 2 and Mistral), else a ``UserError``."""
    spec = _tokenizer_json(tokenizer)
    model = spec.get("model", {})
    if model.get("type") == "BPE" and model.get("byte_fallback"):
        return "llama"
    if model.get("type") == "BPE" and "ByteLevel" in json.dumps(spec.get("pre_tokenizer")):
        return "gpt2"
    raise UserError(f"--gguf: tokenizer {type(tokenizer).__name__} ({model.get('type')}) is not supported; "
                    "expected a byte-level BPE or a SentencePiece-style BPE tokenizer with tokenizer.json")


def _tokenizer_json(tokenizer) -> dict:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise UserError(f"--gguf: tokenizer {type(tokenizer).__name__} has no fast (tokenizer.json) form; "
                        "expected a fast tokenizer")
    return json.loads(backend.to_str())


def _pre_name(spec: dict, hub_id: str | None) -> str:
    """llama.cpp's name for how text is split before BPE (``tokenizer.ggml.pre``), from the pre-tokenizer
    that tokenizer.json declares."""
    pre = spec.get("pre_tokenizer") or {}
    if hub_id and hub_id.split("/")[-1].lower().startswith("smollm"):
        return "smollm"  # GPT-2 split plus single digits; what llama.cpp's converter names SmolLM's
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt2"
    steps = pre.get("pretokenizers", [])
    if [s.get("type") for s in steps] == ["Digits", "ByteLevel"] and steps[0].get("individual_digits"):
        return "smollm"
    if [s.get("type") for s in steps] == ["Split", "ByteLevel"] and r"\p{N}{1,3}" in str(steps[0].get("pattern")):
        return "llama-bpe"
    logger.warning("Pre-tokenizer %s has no llama.cpp name here; writing 'default'.", json.dumps(pre)[:120])
    return "default"


def _vocab(tokenizer, vocab_size: int, kind: str) -> tuple[list[str], list[int], list[float]]:
    """Tokens by id, their llama.cpp types, and scores; rows beyond the tokenizer (a padded embedding)
    are unused placeholders, as llama.cpp writes them."""
    from gguf import TokenType

    by_id = {i: t for t, i in tokenizer.get_vocab().items()}
    added = tokenizer.added_tokens_decoder  # id -> AddedToken
    tokens, types, scores = [], [], []
    for i in range(vocab_size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(TokenType.UNUSED)
        elif i in added:
            tokens.append(token)
            types.append(TokenType.CONTROL if added[i].special else TokenType.USER_DEFINED)
        elif kind == "llama" and len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
            tokens.append(token)
            types.append(TokenType.BYTE)
        else:
            tokens.append(token)
            types.append(TokenType.NORMAL)
        # SentencePiece ranks pieces by score; a tokenizer.json keeps the rank as the id
        scores.append(-float(i) if kind == "llama" else 0.0)
    if tokenizer.unk_token_id is not None and kind == "llama" and types[tokenizer.unk_token_id] == TokenType.NORMAL:
        types[tokenizer.unk_token_id] = TokenType.UNKNOWN
    return tokens, [int(t) for t in types], scores


def _permute(weight, n_head: int):
    """HF rotates the two halves of each head; llama.cpp rotates adjacent pairs: interleave the halves."""
    rows = weight.shape[0]
    return weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def _tensor_data(array, gguf_type: str):
    """(data, raw_dtype) for one tensor: norms stay f32, 2-D weights take the requested type; a row
    length q8_0 cannot block (not a multiple of 32) falls back to f16, as llama.cpp's converter does."""
    import numpy as np
    from gguf import GGMLQuantizationType, quants

    if array.ndim < 2 or gguf_type == "f32":
        return array.astype(np.float32), None
    if gguf_type == "f16":
        return array.astype(np.float16), None
    qtype = GGMLQuantizationType.BF16 if gguf_type == "bf16" else GGMLQuantizationType.Q8_0
    try:
        return quants.quantize(array.astype(np.float32), qtype), qtype
    except quants.QuantError:
        return array.astype(np.float16), None


def write_gguf(model, tokenizer, tokenizer_dir: str | Path, path: str | Path, gguf_type: str = "f16", *,
               name: str | None = None, hub_id: str | None = None, license: str | None = None) -> Path:
    """Write ``model`` (a merged, unquantized Llama/Mistral) and its tokenizer to ``path``.

    ``tokenizer_dir`` is the folder the tokenizer was saved to (gguf's ``SpecialVocab`` reads merges,
    special ids, add-BOS/EOS flags and the chat template from there)."""
    import gguf
    import torch

    config = model.config
    check_supported(config, tokenizer)
    if gguf_type not in GGUF_TYPES:
        raise UserError(f"`gguf_type` must be one of {', '.join(GGUF_TYPES)}, got {gguf_type!r}")
    path = Path(path)
    window = getattr(config, "sliding_window", None)
    if window and window < config.max_position_embeddings:
        logger.warning("GGUF has no sliding window: past %d tokens llama.cpp attends to the whole context.", window)
    n_head, n_kv = config.num_attention_heads, config.num_key_value_heads or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("rotary_emb.inv_freq")}
    vocab_size = state["model.embed_tokens.weight"].shape[0]

    writer = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name or path.stem)
    if license:
        writer.add_license(license)
    if hub_id:
        writer.add_base_model_count(1)
        writer.add_base_model_repo_url(0, f"https://huggingface.co/{hub_id}")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // n_head:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    rope = getattr(config, "rope_parameters", None) or {}
    writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_vocab_size(vocab_size)
    file_types = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
                  "bf16": gguf.LlamaFileType.MOSTLY_BF16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}
    writer.add_file_type(int(file_types[gguf_type]))
    if gguf_type in ("bf16", "q8_0"):
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    kind = tokenizer_model(tokenizer)
    tokens, types, scores = _vocab(tokenizer, vocab_size, kind)
    writer.add_tokenizer_model(kind)
    if kind == "gpt2":
        writer.add_tokenizer_pre(_pre_name(_tokenizer_json(tokenizer), hub_id))
    else:
        writer.add_tokenizer_pre("default")
        writer.add_token_scores(scores)
        writer.add_add_space_prefix(True)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(tokenizer_dir, load_merges=True, n_vocab=vocab_size)
    # the tokenizer's pad token (phyassist never pads with EOS) wins over config.json's
    if tokenizer.pad_token_id is not None:
        special.special_token_ids["pad"] = tokenizer.pad_token_id
    # what the tokenizer does, not what a config file may or may not say
    probe = tokenizer("a")["input_ids"]
    special.add_special_token["bos"] = bool(probe) and probe[0] == tokenizer.bos_token_id
    special.add_special_token["eos"] = bool(probe) and probe[-1] == tokenizer.eos_token_id
    special.add_to_gguf(writer, quiet=True)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    tied = getattr(config, "tie_word_embeddings", False)
    with torch.no_grad():
        for key, tensor in state.items():
            if key == "lm_head.weight" and tied:
                continue  # llama.cpp reuses token_embd when output.weight is absent
            gguf_name = names.get_name(key, try_suffixes=(".weight", ".bias"))
            if gguf_name is None:
                raise UserError(f"--gguf: tensor {key!r} has no llama.cpp name; expected a plain {config.model_type}")
            array = tensor.detach().to(torch.float32).cpu().numpy()
            if key.endswith("self_attn.q_proj.weight"):
                array = _permute(array, n_head)
            elif key.endswith("self_attn.k_proj.weight"):
                array = _permute(array, n_kv)
            data, raw_dtype = _tensor_data(array, gguf_type)
            writer.add_tensor(gguf_name, data, raw_dtype=raw_dtype)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    return path
