"""``phyassist export`` (train's merge, hub's card): merged logits equal base + adapter, the GGUF loads back in
transformers with the same answers, bad input is one line and leaves nothing behind, and the folder pushes.

Adapters get random ``lora_B`` (PEFT starts it at zero, which would make every merge trivially exact).
The tiny Llama uses the SmolLM2 tokenizer, so its GGUF round trip covers the real 49k-token BPE; the
real embedded SmolLM2 runs in the slow test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from conftest import write_adapter_folder
from tiny_adapters import save_lora_adapter

from phyassist.errors import UserError
from phyassist.hub.export import export
from phyassist.train.export import MARKER, ExportConfig

PROMPTS = ["I can't sleep and I feel anxious about work.", "What is a good way to calm down?",
           'Consider this post: "I feel alone lately." Question: Does the poster suffer from loneliness?']


def randomize_lora(peft_model, std: float = 0.05, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * std)


def make_adapter(base_dir: Path, folder: Path, targets=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                 "down_proj"), quantization: str | None = None) -> Path:
    """A LoRA (or QLoRA) adapter with non-zero B, its tokenizer and the recipe `phyassist train` writes."""
    kwargs = {}
    if quantization:
        from phyassist.models import bnb_config

        kwargs = {"quantization_config": bnb_config(quantization, True, torch.float32), "dtype": torch.float32,
                  "device_map": {"": "cpu"}}
    save_lora_adapter(base_dir, folder, seed=0, r=4, alpha=8, targets=targets, task_type="CAUSAL_LM",
                      model_kwargs=kwargs, edit=randomize_lora, tokenizer=True)
    (folder / "phyassist_config.yaml").write_text(
        f"dataset: MultiWD\nbase_model: {base_dir}\nquantization: {quantization or 'none'}\ndouble_quant: true\n"
        "bf16: false\nlora_r: 4\nlora_alpha: 8\n")
    return folder


def reference_logits(base_dir: Path, adapter: Path, ids, dtype=torch.float32, quantization: str | None = None):
    """Logits of base + adapter as PEFT runs them, unmerged."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": dtype}
    if quantization:
        from phyassist.models import bnb_config
        from phyassist.train.lora import keep_4bit_trainable

        kwargs.update(quantization_config=bnb_config(quantization, True, dtype), device_map={"": "cpu"})
    base = AutoModelForCausalLM.from_pretrained(base_dir, **kwargs)
    if quantization:
        keep_4bit_trainable(base)  # the exact dequantize-then-matmul path, not the packed bf16 kernel
    with torch.no_grad():
        plain = base(ids).logits.float()
        adapted = PeftModel.from_pretrained(base, adapter).eval()(ids).logits.float()
    return plain, adapted


def logits(folder: Path, ids, **kwargs):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs).eval()
    with torch.no_grad():
        return model(ids).logits.float()


def chat_ids(tokenizer, prompt: str):
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                         return_dict=True, return_tensors="pt")


def greedy(model, tokenizer, prompt: str, n: int = 8) -> list[int]:
    inputs = chat_ids(tokenizer, prompt)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=n, do_sample=False)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


@pytest.fixture(scope="module")
def lora_adapter(tiny_llama_dir, tmp_path_factory) -> Path:
    return make_adapter(tiny_llama_dir, tmp_path_factory.mktemp("export") / "tiny-lora")


@pytest.fixture(scope="module")
def tiny_export(lora_adapter, tmp_path_factory):
    """The tiny LoRA adapter merged, with an f32 GGUF (exact, so the round trip can be compared exactly)."""
    out = tmp_path_factory.mktemp("exports") / "tiny-merged"
    return export(ExportConfig(adapter=str(lora_adapter), out=str(out), gguf=True, gguf_type="f32",
                               repo_id="tester/tiny-merged"))


def ids_of(tokenizer, text="Hello, I feel anxious today 123."):
    return torch.tensor([tokenizer(text)["input_ids"]])


# ---- the merge ---------------------------------------------------------------------------------------


def test_merged_logits_equal_base_plus_adapter_fp32(tiny_export, tiny_llama_dir, lora_adapter, smol_tokenizer):
    ids = ids_of(smol_tokenizer)
    plain, adapted = reference_logits(tiny_llama_dir, lora_adapter, ids)
    assert (adapted - plain).abs().max() > 1e-2  # the adapter really changes the model
    merged = logits(tiny_export.out, ids)
    assert tiny_export.dtype == "float32"
    assert (merged - adapted).abs().max() <= 1e-5 * adapted.abs().max()


def test_merged_logits_equal_base_plus_adapter_bf16(tiny_llama_dir, lora_adapter, smol_tokenizer, tmp_path,
                                                    hub_standin, monkeypatch):
    from huggingface_hub import ModelCard

    # no preset declares this base: its license is read from its own card (on the Hub stand-in)
    hub_standin.add_repo("phyassist-tests/tiny-llama", {"README.md": b"---\nlicense: llama3.2\n---\n"})
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    result = export(ExportConfig(adapter=str(lora_adapter), out=str(tmp_path / "bf16"), dtype="bfloat16"))
    card = ModelCard.load(result.out / "README.md")
    assert card.data.license == "llama3.2" and "| merged weights | bfloat16 |" in card.text
    ids = ids_of(smol_tokenizer)
    _, adapted = reference_logits(tiny_llama_dir, lora_adapter, ids, dtype=torch.bfloat16)
    merged = logits(result.out, ids)
    assert json.loads((result.out / "config.json").read_text())["dtype"] == "bfloat16"
    # bf16 keeps 8 bits of mantissa: W + BA rounded once against W and BA rounded apart, through 2 layers
    assert (merged - adapted).abs().max() <= 2e-2 * adapted.abs().max()


def test_choose_dtype_follows_the_recipe_and_the_base():
    """(merge dtype, saved dtype): a QLoRA adapter merges in the compute dtype its recipe trained in, a LoRA
    adapter in the base's own dtype unless asked; float32 when neither says (the tiny base's own dtype)."""
    from types import SimpleNamespace

    from phyassist.train.export import choose_dtype

    assert choose_dtype("auto", "nf4", {"bf16": True}, None) == ("bfloat16", "bfloat16")
    assert choose_dtype("auto", "nf4", {"fp16": True}, None) == ("float16", "float16")
    assert choose_dtype("float32", "fp4", {"bf16": True}, None) == ("bfloat16", "float32")
    assert choose_dtype("auto", None, {}, SimpleNamespace(dtype="bfloat16")) == ("bfloat16", "bfloat16")
    assert choose_dtype("auto", None, {}, SimpleNamespace(torch_dtype="torch.float16")) == ("float16", "float16")
    assert choose_dtype("auto", None, {}, SimpleNamespace(dtype="int8")) == ("float32", "float32")
    assert choose_dtype("float16", None, {"bf16": True}, SimpleNamespace(dtype="bfloat16")) == ("float16", "float16")


def test_qlora_adapter_merges_into_its_dequantized_base(tiny_llama_dir, smol_tokenizer, tmp_path):
    adapter = make_adapter(tiny_llama_dir, tmp_path / "qlora", ("q_proj", "v_proj", "down_proj"), quantization="nf4")
    result = export(ExportConfig(adapter=str(adapter), out=str(tmp_path / "merged")))
    assert (result.method, result.dtype) == ("QLoRA", "float32")  # the recipe's compute dtype (bf16: false)
    config = json.loads((result.out / "config.json").read_text())
    assert "quantization_config" not in config
    ids = ids_of(smol_tokenizer)
    _, adapted = reference_logits(tiny_llama_dir, adapter, ids, quantization="nf4")
    merged = logits(result.out, ids)
    assert (merged - adapted).abs().max() <= 1e-5 * adapted.abs().max()
    # against the full-precision base the adapter never saw, the difference is the 4-bit rounding
    _, full = reference_logits(tiny_llama_dir, adapter, ids)
    assert (merged - full).abs().max() > 100 * (merged - adapted).abs().max()


def test_qlora_mixtral_merges_into_its_dequantized_experts(tiny_mixtral_dir, smol_tokenizer, tmp_path):
    """Mixtral's fused experts load in 4 bits too (phyassist.experts4bit); the merged model holds them as plain
    dequantized weights in transformers' own experts class, and from_pretrained reads it back."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from phyassist.models import load_model_and_tokenizer
    from phyassist.train.lora import keep_4bit_trainable

    adapter = make_adapter(tiny_mixtral_dir, tmp_path / "qlora", ("q_proj", "v_proj", "gate"), quantization="nf4")
    result = export(ExportConfig(adapter=str(adapter), out=str(tmp_path / "merged")))
    assert (result.method, result.dtype) == ("QLoRA", "float32")
    assert "quantization_config" not in json.loads((result.out / "config.json").read_text())
    merged = AutoModelForCausalLM.from_pretrained(result.out).eval()
    experts = merged.model.layers[0].mlp.experts
    assert type(experts).__name__ == "MixtralExperts" and experts.gate_up_proj.dtype == torch.float32
    base, _ = load_model_and_tokenizer(str(tiny_mixtral_dir), quantization="nf4", dtype=torch.float32)
    keep_4bit_trainable(base)  # the exact dequantize-then-matmul path, not the packed bf16 kernel
    # the experts the adapter was trained with: the 4-bit codes dequantized, not the 16-bit checkpoint
    assert torch.equal(experts.gate_up_proj, base.model.layers[0].mlp.experts.dequantized("gate_up_proj"))
    ids = ids_of(smol_tokenizer)
    with torch.no_grad():
        adapted = PeftModel.from_pretrained(base, adapter).eval()(ids).logits.float()
        out = merged(ids).logits.float()
    assert (out - adapted).abs().max() <= 1e-5 * adapted.abs().max()
    _, full = reference_logits(tiny_mixtral_dir, adapter, ids)
    assert (out - full).abs().max() > 100 * (out - adapted).abs().max()


def test_export_folder_and_model_card(tiny_export):
    from huggingface_hub import ModelCard

    out = tiny_export.out
    files = set(tiny_export.files)
    assert {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "README.md", MARKER, "gguf/tiny-merged.F32.gguf"} <= files
    assert not any(f.startswith("adapter_") for f in files)  # merged: no PEFT files left
    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == "phyassist-tests/tiny-llama"
    # one base with a fine-tune merged in; `merge` is for two or more bases (hub-docs docs/hub/model-cards.md)
    assert card.data.base_model_relation == "finetune"
    assert card.data.library_name == "transformers"
    # offline, no preset and no card: no license stated (never a default), and the card says so
    assert card.data.license is None and "The base model's license could not be determined" in card.text
    from gguf import GGUFReader  # nor in the GGUF file's metadata

    assert "general.license" not in GGUFReader(out / "gguf/tiny-merged.F32.gguf").fields
    from phyassist.hub.frontmatter import folder_violations

    assert folder_violations(out, "model", ["README.md"]) == []
    assert {"merge", "lora", "gguf"} <= set(card.data.tags)
    assert 'from_pretrained("tester/tiny-merged")' in card.text and "--hf-file gguf/tiny-merged.F32.gguf" in card.text
    assert "ollama create" in card.text and "r=4, alpha=8" in card.text
    for name in ("README.md", "config.json", MARKER):  # nothing local goes to the Hub
        assert str(out.parent) not in (out / name).read_text()
    assert json.loads((out / MARKER).read_text())["gguf"] == "gguf/tiny-merged.F32.gguf"


# ---- the GGUF ----------------------------------------------------------------------------------------


def test_gguf_round_trip_tiny_llama(tiny_export):
    """f32 GGUF -> transformers: same tokenizer (ids, specials, chat template), same logits, same greedy answers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, gguf = tiny_export.out, tiny_export.gguf
    merged_tok, merged = AutoTokenizer.from_pretrained(out), AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name).eval()
    assert (tok.bos_token, tok.eos_token, tok.pad_token) == (merged_tok.bos_token, merged_tok.eos_token,
                                                              merged_tok.pad_token)
    text = "Hello wörld, I feel anxious 1234 <|im_start|>user\nhi<|im_end|>"
    assert tok(text)["input_ids"] == merged_tok(text)["input_ids"]
    inputs = chat_ids(merged_tok, PROMPTS[0])
    assert torch.equal(chat_ids(tok, PROMPTS[0])["input_ids"], inputs["input_ids"])
    with torch.no_grad():
        assert (model(**inputs).logits - merged(**inputs).logits).abs().max() <= 1e-5
    for prompt in PROMPTS[:2]:
        assert greedy(model, tok, prompt) == greedy(merged, merged_tok, prompt)


def test_gguf_q8_0_loads_back_close(tiny_export, smol_tokenizer, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from phyassist.train.gguf import write_gguf

    model = AutoModelForCausalLM.from_pretrained(tiny_export.out)
    tokenizer = AutoTokenizer.from_pretrained(tiny_export.out)
    path = write_gguf(model, tokenizer, tiny_export.out, tmp_path / "tiny.Q8_0.gguf", "q8_0")
    saved = tiny_export.gguf.stat().st_size - path.stat().st_size  # the same metadata in both files
    assert saved > 0.7 * 4 * model.num_parameters()  # 8.5 bits a weight instead of 32
    ids = ids_of(smol_tokenizer)
    exact = logits(tiny_export.out, ids)
    assert (logits(tmp_path, ids, gguf_file=path.name) - exact).abs().max() <= 0.05 * exact.abs().max()


def _sentencepiece_tokenizer(folder: Path):
    """A small Llama-2/Mistral-style tokenizer: BPE with byte fallback, '▁' for spaces, BOS added."""
    from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    backend.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    backend.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    backend.train_from_iterator(PROMPTS * 20, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                                  show_progress=False))
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                                        unk_token="<unk>", pad_token="<unk>")
    tokenizer.chat_template = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] "
                               "{{ m['content'] }} [/INST]{% else %}{{ m['content'] }}{{ eos_token }}{% endif %}"
                               "{% endfor %}")
    tokenizer.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def test_gguf_mistral_with_sentencepiece_tokenizer(tmp_path):
    """Mistral is a Llama to llama.cpp; its SentencePiece-style vocabulary goes in with scores and byte tokens."""
    from huggingface_hub import ModelCard
    from transformers import AutoTokenizer, MistralConfig, MistralForCausalLM

    base = tmp_path / "tiny-mistral"
    tokenizer = _sentencepiece_tokenizer(base)
    torch.manual_seed(0)
    MistralForCausalLM(MistralConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, sliding_window=None, bos_token_id=1, eos_token_id=2, pad_token_id=0,
    )).save_pretrained(base)
    adapter = make_adapter(base, tmp_path / "adapter", ("q_proj", "v_proj"))
    result = export(ExportConfig(adapter=str(adapter), out=str(tmp_path / "merged"), gguf=True, gguf_type="f32"))
    assert ModelCard.load(result.out / "README.md").data.base_model is None  # a local base has no Hub id to name
    gguf_tok = AutoTokenizer.from_pretrained(result.gguf.parent, gguf_file=result.gguf.name)
    for text in ("I feel anxious.", "Breathe slowly, 12 times."):
        assert gguf_tok(text)["input_ids"] == tokenizer(text)["input_ids"]
    ids = ids_of(tokenizer, PROMPTS[1])
    assert (logits(result.gguf.parent, ids, gguf_file=result.gguf.name) - logits(result.out, ids)).abs().max() <= 1e-5


_LLAMA3_SPLIT = {"type": "Split", "pattern": {"Regex": r"(?i:'s|'t)|\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+"}}


@pytest.mark.parametrize("pre_tokenizer, hub_id, name", [
    ({"type": "ByteLevel", "use_regex": True}, "HuggingFaceTB/SmolLM2-135M-Instruct", "smollm"),
    ({"type": "ByteLevel", "use_regex": True}, None, "gpt2"),
    ({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, {"type": "ByteLevel"}]},
     None, "smollm"),
    ({"type": "Sequence", "pretokenizers": [_LLAMA3_SPLIT, {"type": "ByteLevel", "use_regex": False}]}, None,
     "llama-bpe"),
    ({"type": "Whitespace"}, None, "default"),
])
def test_gguf_pre_tokenizer_names(pre_tokenizer, hub_id, name):
    """llama.cpp picks its split regex by this name; an unknown one falls back to its default, with a warning."""
    from phyassist.train.gguf import _pre_name

    assert _pre_name({"pre_tokenizer": pre_tokenizer}, hub_id) == name


@pytest.mark.slow
def test_gguf_round_trip_smollm2_greedy(smol_dir, smol_adapters, tmp_path):
    """The real embedded SmolLM2 + a trained adapter: the f16 GGUF answers like the merged model."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = smol_adapters["calm"]
    result = export(ExportConfig(adapter=str(adapter), out=str(tmp_path / "smol-calm"), gguf=True))
    assert result.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct" and result.gguf.name == "smol-calm.F16.gguf"
    merged_tok = AutoTokenizer.from_pretrained(result.out)
    merged = AutoModelForCausalLM.from_pretrained(result.out).eval()
    inputs = chat_ids(merged_tok, PROMPTS[0])
    unmerged = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(smol_dir), adapter).eval()
    with torch.no_grad():
        ref, merged_logits = unmerged(**inputs).logits, merged(**inputs).logits
    merge_diff = (merged_logits - ref).abs().max().item()
    assert merge_diff <= 1e-5 * ref.abs().max()
    tok = AutoTokenizer.from_pretrained(result.gguf.parent, gguf_file=result.gguf.name)
    model = AutoModelForCausalLM.from_pretrained(result.gguf.parent, gguf_file=result.gguf.name).eval()
    with torch.no_grad():
        gguf_diff = (model(**inputs).logits - merged_logits).abs().max().item()
    for prompt in PROMPTS:
        assert torch.equal(chat_ids(tok, prompt)["input_ids"], chat_ids(merged_tok, prompt)["input_ids"])
        assert greedy(model, tok, prompt) == greedy(merged, merged_tok, prompt), prompt
    # the numbers benchmarks/RESULTS.md records (`pytest -s` shows them)
    print(f"\nSmolLM2 export: {result.seconds:.1f} s; GGUF f16 {result.gguf.stat().st_size / 2**20:.1f} MiB; "
          f"max |merged - PEFT| logit {merge_diff:.2e} (max |logit| {ref.abs().max().item():.1f}); "
          f"max |GGUF - merged| logit {gguf_diff:.3f}; greedy 8 tokens: {len(PROMPTS)}/{len(PROMPTS)} prompts equal")


# ---- bad input: one line, nothing written ------------------------------------------------------------


def _export_error(tmp_path, **kwargs) -> str:
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(UserError) as error:
        export(ExportConfig(**kwargs))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary folder, no half export
    message = str(error.value)
    assert "\n" not in message
    return message


def test_adapter_folder_without_adapter_config(tmp_path):
    (tmp_path / "not-an-adapter").mkdir()
    message = _export_error(tmp_path, adapter=str(tmp_path / "not-an-adapter"), out=str(tmp_path / "out"))
    assert re.fullmatch(rf"{re.escape(str(tmp_path / 'not-an-adapter'))}: no adapter_config.json; expected an "
                        r"adapter folder written by `phyassist train`", message)


def test_out_holding_other_files_is_refused(lora_adapter, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    message = _export_error(tmp_path, adapter=str(lora_adapter), out=str(tmp_path / "out"))
    assert message == (f"{tmp_path / 'out'}: exists and holds other files (notes.txt); expected a new or empty "
                       f"folder, or a previous export (with {MARKER})")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_out_may_be_empty_or_a_previous_export(lora_adapter, tmp_path, capsys):
    from phyassist.cli import main

    (tmp_path / "out").mkdir()
    export(ExportConfig(adapter=str(lora_adapter), out=str(tmp_path / "out")))
    (tmp_path / "out" / "stale.txt").write_text("from the previous export")
    (tmp_path / "out" / "README.md").unlink()
    assert main(["export", "--adapter", str(lora_adapter), "--out", str(tmp_path / "out")]) == 0  # replaced whole
    assert not (tmp_path / "out" / "stale.txt").exists() and (tmp_path / "out" / "model.safetensors").exists()
    assert "# out\n" in (tmp_path / "out" / "README.md").read_text()  # the command writes the card
    assert f"push it with: phyassist push {tmp_path / 'out'} --repo-id ORG/NAME" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_base_that_cannot_be_found(lora_adapter, tmp_path):
    adapter = tmp_path / "orphan"
    adapter.mkdir()
    config = json.loads((lora_adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": "nobody/missing"}))
    (adapter / "phyassist_config.yaml").write_text(f"base_model: {tmp_path / 'deleted-base'}\n")
    message = _export_error(tmp_path, adapter=str(adapter), out=str(tmp_path / "out"))
    assert message.startswith(f"{adapter}: base model '{tmp_path / 'deleted-base'}' or 'nobody/missing' not found; "
                              "expected a preset (smollm2-135m-instruct, ")
    assert message.endswith("a local model folder, or a Hub id reachable online (pass --base-model)")


def test_gguf_for_an_unsupported_architecture(tiny_mixtral_dir, tmp_path):
    adapter = write_adapter_folder(tiny_mixtral_dir, tmp_path / "mixtral-adapter")
    message = _export_error(tmp_path, adapter=str(adapter), out=str(tmp_path / "out"), gguf=True)
    assert message == (f"--gguf: {tiny_mixtral_dir} has architecture 'mixtral', which is not supported; expected "
                       "one of llama, mistral (export without --gguf to get safetensors)")


# ---- publishing and the command line -----------------------------------------------------------------


def test_push_accepts_an_export_folder(tiny_export, hub_standin):
    from phyassist.hub.push import push_folder

    push_folder(tiny_export.out, "tester/tiny-merged", endpoint=hub_standin.url, token="hf_" + "Tst0" * 9)
    pushed = hub_standin.repos["tester/tiny-merged"]["files"]
    assert set(pushed) == set(tiny_export.files)
    assert pushed["gguf/tiny-merged.F32.gguf"] == tiny_export.gguf.read_bytes()


def test_cli_help_lists_the_flags(capsys):
    from phyassist.cli import main

    with pytest.raises(SystemExit) as done:
        main(["export", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--adapter", "--out", "--gguf", "--gguf_type", "--base_model", "--dtype", "--repo_id", "--config"):
        assert flag in out, flag


@pytest.mark.parametrize("args, expected", [
    (["--out", "x"], "`adapter` is required: phyassist export --adapter DIR --out DIR"),
    (["--adapter", "missing-adapter", "--out", "x"], "missing-adapter: not a folder; expected an adapter folder"),
    (["--adapter", "a", "--out", "x", "--gguf-type", "q4_k"], "`gguf_type` must be one of f32, f16, bf16, q8_0"),
])
def test_cli_bad_call_exits_2_with_one_line(args, expected, capsys, tmp_path, monkeypatch):
    from phyassist.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phyassist: error: ") and expected in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
