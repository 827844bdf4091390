"""AdapterBank and the Space configuration, on a tiny random Llama with tiny adapters, and streaming from it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tiny_adapters import save_lora_adapter

from phyassist.errors import UserError
from phyassist.serve.bank import (
    BASE_CHOICE,
    AdapterBank,
    SpaceConfig,
    load_config,
    parse_adapters_env,
    scrub_paths,
)
from phyassist.serve.chat import (
    PREEMPTED_NOTE,
    Sampling,
    chat_input_ids,
    chat_messages,
    stream_generate,
)


def make_adapter(base_dir: Path, out: Path, seed: int, target=("q_proj", "v_proj"), r: int = 4,
                 hub_id: str = "phyassist-tests/tiny-llama") -> Path:
    """A LoRA adapter with non-zero B (a few optimizer steps), saved with the base's Hub id."""
    import torch

    return save_lora_adapter(base_dir, out, seed=seed, r=r, alpha=2 * r, targets=target,
                             train_ids=lambda: torch.randint(5, 100, (2, 12)), steps=3, lr=0.05, hub_id=hub_id)


def two_adapter_bank(base_dir: Path, root: Path) -> AdapterBank:
    """A bank on ``base_dir`` with adapters "one" and "two" (different random LoRA weights)."""
    adapters = {name: str(make_adapter(base_dir, root / name, seed)) for seed, name in enumerate(["one", "two"])}
    return AdapterBank.load(str(base_dir), adapters)


@pytest.fixture(scope="module")
def tiny_adapters(tiny_llama_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("adapters")
    return {"one": make_adapter(tiny_llama_dir, root / "one", 0), "two": make_adapter(tiny_llama_dir, root / "two", 1)}


@pytest.fixture(scope="module")
def bank(tiny_llama_dir, tiny_mixtral_dir, tiny_adapters, tmp_path_factory):
    # same attention shapes as the tiny Llama: it loads, with a note that it was trained on another base
    other = make_adapter(tiny_mixtral_dir, tmp_path_factory.mktemp("other") / "mixtral", 2, target=("q_proj",), r=8,
                         hub_id="phyassist-tests/tiny-mixtral")
    adapters = {"one": str(tiny_adapters["one"]), "missing": "/no/such/adapter", "two": str(tiny_adapters["two"]),
                "hub-only": "phyassist-tests/offline-adapter", "mixtral": str(other)}
    return AdapterBank.load(str(tiny_llama_dir), adapters)


def logits(bank, name, ids):
    import torch

    with bank.use(name) as model, torch.no_grad():
        return model(input_ids=ids).logits


def test_failed_adapters_are_reported_and_the_others_load(bank):
    assert bank.names[:2] == ["one", "two"]
    assert set(bank.failed) == {"missing", "hub-only"}
    assert all("\n" not in reason and reason for reason in bank.failed.values())
    assert "/no/such" not in bank.failed["missing"] and "<path>" in bank.failed["missing"]  # shown to the public
    assert bank.choices[0] == BASE_CHOICE
    assert bank.names == ["one", "two", "mixtral"]
    assert bank.warnings == {"mixtral": "trained on phyassist-tests/tiny-mixtral, loaded on phyassist-tests/tiny-llama"}


def test_switching_changes_outputs_and_base_is_untouched(bank, tiny_llama_dir):
    import torch
    from transformers import AutoModelForCausalLM

    ids = torch.randint(5, 100, (1, 10))
    reference = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)(input_ids=ids).logits.detach()
    base, one, two = logits(bank, None, ids), logits(bank, "one", ids), logits(bank, "two", ids)
    assert torch.allclose(base, reference, atol=1e-5)
    assert not torch.allclose(one, base, atol=1e-4) and not torch.allclose(one, two, atol=1e-4)
    assert torch.allclose(logits(bank, "one", ids), one, atol=1e-6)  # switching back gives the same adapter


def test_bank_switch_matches_peft_set_adapter_and_disable_adapter(bank):
    import torch

    ids = torch.randint(5, 100, (1, 8))
    ours = {name: logits(bank, name, ids) for name in [None, "two", "one", "mixtral"]}
    with bank.lock, torch.no_grad():
        for name in ["one", "two", "mixtral"]:
            bank.model.set_adapter(name)
            assert torch.equal(bank.model(input_ids=ids).logits, ours[name]), name
        with bank.model.disable_adapter():
            assert torch.equal(bank.model(input_ids=ids).logits, ours[None])
    assert torch.equal(logits(bank, "one", ids), ours["one"])  # and back through the bank


def test_unknown_adapter_is_a_user_error(bank):
    with pytest.raises(UserError, match="unknown adapter 'missing' \\(it failed to load"):
        bank.check("missing")


def test_a_bad_first_adapter_leaves_a_clean_base(tiny_llama_dir, tiny_mixtral_dir, tiny_adapters, tmp_path):
    import torch

    wrong = make_adapter(tiny_mixtral_dir, tmp_path / "wrong", 3, target=("gate",))
    bank = AdapterBank.load(str(tiny_llama_dir), {"wrong": str(wrong), "one": str(tiny_adapters["one"])})
    assert bank.names == ["one"] and "wrong" in bank.failed
    ids = torch.randint(5, 100, (1, 6))
    assert not torch.allclose(logits(bank, "one", ids), logits(bank, None, ids), atol=1e-4)


def test_a_4bit_mixtral_bank_refuses_expert_lora_in_one_line(tiny_mixtral_dir, tmp_path):
    """quantize=True (a GPU Space) stores Mixtral's fused experts in 4 bits; an adapter on those experts
    (peft target_parameters) cannot be served there and says so, the others load."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from phyassist.experts4bit import Experts4bit

    experts = ["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_mixtral_dir),
                   LoraConfig(r=4, target_modules=["q_proj"], target_parameters=experts)).save_pretrained(tmp_path / "e")
    attention = make_adapter(tiny_mixtral_dir, tmp_path / "a", 0, hub_id="phyassist-tests/tiny-mixtral")
    bank = AdapterBank.load(str(tiny_mixtral_dir), {"experts": str(tmp_path / "e"), "attention": str(attention)},
                            quantize=True)
    assert isinstance(bank.model.base_model.model.model.layers[0].mlp.experts, Experts4bit)
    assert bank.names == ["attention"]
    assert bank.failed == {"experts": (
        "UserError: `target_parameters` ['mlp.experts.down_proj', 'mlp.experts.gate_up_proj']: these experts are "
        "stored in 4 bits, where peft's target_parameters cannot add LoRA; serve this adapter on a 16-bit base")}
    ids = torch.randint(5, 100, (1, 6))
    assert not torch.allclose(logits(bank, "attention", ids), logits(bank, None, ids), atol=1e-4)


def test_stream_generate_streams_and_stops(bank, smol_tokenizer):
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "hello"))
    pieces = list(stream_generate(bank, "one", ids, Sampling.clamped(temperature=0, max_new_tokens=8)))
    assert pieces and all(b.startswith(a) for a, b in zip(pieces, pieces[1:]))
    stop = threading.Event()
    stop.set()
    stopped = list(stream_generate(bank, "two", ids, Sampling.clamped(max_new_tokens=200), stop))
    assert len(stopped) <= 2


def test_stream_generate_ends_at_max_time(bank):
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "hello"))
    greedy = Sampling.clamped(temperature=0, max_new_tokens=64, repetition_penalty=1.0)
    full = list(stream_generate(bank, "one", ids, greedy))
    bounded = list(stream_generate(bank, "one", ids, greedy, max_time=1e-6))  # over after the first token
    assert len(bounded) <= 2 < len(full) and full[-1].startswith(bounded[-1] if bounded else "")


def test_stream_generate_yields_to_a_waiting_request_after_its_fair_share(bank):
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "hello"))
    greedy = Sampling.clamped(temperature=0, max_new_tokens=64, repetition_penalty=1.0)
    full = list(stream_generate(bank, "one", ids, greedy, yield_to=lambda: False, fair_share=0.0))
    assert not full[-1].endswith(PREEMPTED_NOTE)  # nobody waits: the whole reply
    cut = list(stream_generate(bank, "one", ids, greedy, yield_to=lambda: True, fair_share=0.0))
    assert cut[-1].endswith(PREEMPTED_NOTE) and len(cut) < len(full)
    assert full[-1].startswith(cut[-1][: -len(PREEMPTED_NOTE)])


def test_scrub_paths_hides_server_paths_but_not_hub_ids_or_urls(tmp_path):
    relative = "outputs/adapter"
    text = (f"OSError: Can't find 'adapter_config.json' at '{tmp_path}/calm' (see ~/cache/x, C:\\Users\\me\\a); "
            "Repo id must be 'namespace/repo_name': https://huggingface.co/org/repo and org/repo")
    scrubbed = scrub_paths(text)
    assert str(tmp_path) not in scrubbed and "~/cache" not in scrubbed and "Users" not in scrubbed
    assert "https://huggingface.co/org/repo and org/repo" in scrubbed and "'namespace/repo_name'" in scrubbed
    (tmp_path / relative).mkdir(parents=True)
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:  # a configured source that is a relative local folder is hidden too
        assert scrub_paths(f"failed to load {relative}", [relative]) == "failed to load <path>"
    finally:
        os.chdir(cwd)


def test_config_yaml_and_environment_overrides(tmp_path):
    path = tmp_path / "adapters.yaml"
    path.write_text("base_model: smollm2-135m-instruct\nadapters:\n  a: org/a\n  b: /local/b\n")
    assert load_config(path, environ={}).adapters == {"a": "org/a", "b": "/local/b"}
    config = load_config(path, environ={"PHYASSIST_ADAPTERS": "x=org/x, y=/y", "PHYASSIST_BASE_MODEL": "org/base"})
    assert config == SpaceConfig("org/base", {"x": "org/x", "y": "/y"})
    assert load_config(path, environ={"PHYASSIST_ADAPTERS": ""}).adapters == {}
    with pytest.raises(UserError, match="entry 'nope' must look like name=hub_id_or_path"):
        parse_adapters_env("nope")
    path.write_text("base_model: org/base\nmax_generation_seconds: 5\nqueue_size: 4\n")
    assert load_config(path, environ={}) == SpaceConfig("org/base", {}, 5, False, 4)
    config = load_config(path, environ={"PHYASSIST_MAX_GENERATION_SECONDS": "0.5", "PHYASSIST_CRISIS_MODEL_TEXT": "1",
                                        "PHYASSIST_QUEUE_SIZE": "9"})
    assert (config.max_generation_seconds, config.crisis_model_text, config.queue_size) == (0.5, True, 9)
    assert load_config(None, environ={"PHYASSIST_CRISIS_MODEL_TEXT": "0"}).crisis_model_text is False
    assert SpaceConfig().crisis_model_text is False and SpaceConfig().max_generation_seconds == 20
    with pytest.raises(UserError, match="PHYASSIST_CRISIS_MODEL_TEXT must be 1 or 0 \\(true or false\\), got 'maybe'"):
        load_config(None, environ={"PHYASSIST_CRISIS_MODEL_TEXT": "maybe"})
    with pytest.raises(UserError, match="PHYASSIST_QUEUE_SIZE must be a number \\(int\\), got 'many'"):
        load_config(None, environ={"PHYASSIST_QUEUE_SIZE": "many"})
    with pytest.raises(UserError, match="`max_generation_seconds` must be a positive number, got 0.0."):
        load_config(None, environ={"PHYASSIST_MAX_GENERATION_SECONDS": "0"})
    path.write_text("base: x\n")
    with pytest.raises(UserError, match="unknown key\\(s\\) base; expected base_model, adapters, "
                                        "max_generation_seconds, crisis_model_text, queue_size"):
        load_config(path, environ={})


def test_space_default_config_parses():
    config = load_config(Path(__file__).resolve().parents[2] / "space" / "adapters.yaml", environ={})
    assert config.base_model == "smollm2-135m-instruct" and len(config.adapters) >= 2
