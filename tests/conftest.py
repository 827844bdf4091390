"""Shared fixtures: offline Hub, the data folder, the embedded base, tiny random Llama and Mixtral.

Tiny models reuse the embedded SmolLM2 tokenizer (so chat templates are real) with a 2-layer random
body; they are built once per session under a temporary folder and record a fake Hub id in
``phyassist_base.json`` so cards and adapter configs never see a local path.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from tiny_adapters import save_lora_adapter

# Tests and the subprocesses they start run in other folders: pin a relative data path now.
if os.environ.get("PHYASSIST_DATA_DIR"):
    os.environ["PHYASSIST_DATA_DIR"] = os.path.abspath(os.path.expanduser(os.environ["PHYASSIST_DATA_DIR"]))
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


@pytest.fixture(autouse=True)
def _label_classifier_lookup(monkeypatch):
    """Each test finds label classifiers afresh, from what it sets up: no folder from the caller's shell."""
    from phyassist.evaluation.labels import classifiers

    monkeypatch.delenv(classifiers.ENV_VAR, raising=False)
    classifiers._FOUND.clear()
    yield
    classifiers._FOUND.clear()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared IMHI / counsel-chat data; tests that need it skip with a reason when it is absent."""
    path = Path(os.environ.get("PHYASSIST_DATA_DIR", SHARED_DATA))
    if not (path / "imhi").is_dir():
        pytest.skip(f"shared data not found at {path} (set PHYASSIST_DATA_DIR)")
    return path


@pytest.fixture
def lookups(monkeypatch) -> dict:
    """Counts of ``resolve_base`` and ``resolve_dataset`` calls from here on, wherever phyassist imported them."""
    import functools
    import inspect
    import sys

    from phyassist import models
    from phyassist.data import loading

    counts = {"resolve_base": 0, "resolve_dataset": 0}
    for name, original in (("resolve_base", models.resolve_base), ("resolve_dataset", loading.resolve_dataset)):
        @functools.wraps(original)
        def counted(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        for module in [m for n, m in list(sys.modules.items()) if n.startswith("phyassist") and m is not None]:
            # a module first imported under an earlier test's counter holds that counter: replace it too
            if inspect.unwrap(getattr(module, name, None) or (lambda: None)) is original:
                monkeypatch.setattr(module, name, counted)
    return counts


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
    # without the truncation and padding an earlier test's call left set on the shared tokenizer (its
    # tokenizer.json would keep them): the folder is the same whichever tests ran first
    tokenizer = copy.deepcopy(tokenizer)
    if getattr(tokenizer, "backend_tokenizer", None) is not None:
        tokenizer.backend_tokenizer.no_truncation()
        tokenizer.backend_tokenizer.no_padding()
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


# ---- publishing fixtures (tests/hub/) ----------------------
# A real PEFT adapter folder laid out the way `phyassist.train` writes it, and IMHI results dicts in
# the shape `phyassist.evaluation` writes, so cards, staging and pushing are tested without training.


def write_adapter_folder(base_dir: Path, folder: Path, quantization: str = "lora") -> Path:
    """Save a fresh LoRA adapter for the model in ``base_dir`` plus the files train() writes."""
    save_lora_adapter(base_dir, folder, seed=0, r=4, alpha=8, task_type="CAUSAL_LM", tokenizer=True)
    (folder / "phyassist_config.yaml").write_text(
        f"dataset: MultiWD\nbase_model: {base_dir}\noutput_dir: {folder}\nlearning_rate: 0.0002\n"
        "max_steps: 2\nlora_r: 4\nlora_alpha: 8\nper_device_train_batch_size: 2\nmax_length: 512\n"
        "reasoning_max_sentences: 2\nlabel_loss_weight: 5.0\nanswer_max_words: null\n")
    (folder / "data_report.json").write_text(json.dumps({
        "rows": {"train": 9, "validation": 1, "test": 4}, "dropped": {"empty query": 1},
        "notes": ["MultiWD: no train.csv in this copy; trained on val (90%), 10% carved out as validation"],
        "sources": ["imhi/train_data/instruction_data/MultiWD/val.csv"]}))
    (folder / "train_metrics.json").write_text(json.dumps({
        "log_history": [{"step": 1, "loss": 3.2}, {"step": 2, "loss": 2.9, "eval_loss": 3.0}],
        "summary": {"train_loss": 3.05, "eval_loss": 3.0, "steps": 2, "runtime": 1.5, "examples": 9,
                    "quantization": quantization, "max_length": 512}}))
    (folder / "versions.json").write_text(json.dumps({"peft": "0.21.2", "transformers": "5.24", "trl": "1.16"}))
    return folder


def imhi_results(tasks=("MultiWD",), offset: float = 0.0, bart: bool = False) -> dict:
    """A results.json dict as `phyassist.evaluation` writes it (F1 x100)."""
    out = {"model": {"base_model": "/tmp/local/base", "adapter": None}, "variant": "instruction", "limit": 8,
           "tasks": {}, "average": {}}
    for i, task in enumerate(tasks):
        out["tasks"][task] = {"n": 8, "weighted_f1": 41.25 + offset + i, "accuracy": 50.0 + offset,
                              "macro_f1": 30.0, "micro_f1": 50.0, "unparsed": 1, "labels": ["yes", "no"],
                              "label_counts": {"yes": 4, "no": 4}, "confusion_matrix": [[2, 2], [2, 2]],
                              "label_method": "learned", "label_classifier": f"{task} v2 sha256:0123456789ab"}
        if bart:
            out["tasks"][task]["bart_score"] = -3.512
    return out


@pytest.fixture(scope="session")
def tiny_adapter_dir(tmp_path_factory, tiny_llama_dir) -> Path:
    return write_adapter_folder(tiny_llama_dir, tmp_path_factory.mktemp("tiny-adapter"))


class HubStandIn:
    """A stand-in for the Hugging Face Hub HTTP API on loopback: the real Hub is unreachable here.

    It answers the endpoints huggingface_hub's ``create_repo``/``create_commit``/``create_tag``/
    ``whoami``/``hf_hub_download`` call (repos/create, validate-yaml, preupload, commit NDJSON, tag,
    whoami-v2, HEAD and GET of resolve/<revision>/<file>), tells the client to send every file inline
    ("regular" upload mode, base64 in the commit NDJSON; no LFS or Xet), keeps each repo's files and a
    snapshot per commit (so a tag or commit id resolves to the files it had), and records every
    request. ``fail_commits`` makes the next N commits answer HTTP 503. Like the Hub, it refuses a
    commit (HTTP 400, one line) whose README.md, eval.yaml or .eval_results/*.yaml breaks the Hub's
    metadata rules (``phyassist.hub.frontmatter``), and ``validate-yaml`` answers the same way; repo info
    (``model_info``/``dataset_info``, at a revision too) gives the commit sha and the card's metadata.
    ``add_repo`` puts a repo there directly (a base model's card, say).
    """

    def __init__(self):
        import base64
        import hashlib
        import http.server
        import threading

        self.requests, self.repos, self.commits, self.fail_commits = [], {}, [], 0
        self.snapshots: dict[str, dict[str, dict[str, bytes]]] = {}  # commit id -> {repo: files}
        # serve(repo, name, data) -> the bytes sent for a download; tests swap it to tamper with files
        self.serve = lambda repo, name, data: data
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _resolve(self, head: bool):
                # /{org}/{name}/resolve/{revision}/{path}, model repos only
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return False
                repo, rev, name = f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:])
                if repo not in standin.repos:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "RepoNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return True
                oid = standin.repos[repo]["tags"].get(rev, rev if rev in standin.snapshots else None)
                if rev == "main" and standin.repos[repo]["head"]:
                    oid = standin.repos[repo]["head"]
                files = standin.snapshots.get(oid, {}).get(repo) if oid else None
                if files is None or name not in files:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "RevisionNotFound" if files is None else "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return True
                data = files[name]
                self.send_response(200)
                self.send_header("X-Repo-Commit", oid)
                self.send_header("ETag", '"' + hashlib.sha1(data).hexdigest() + '"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(standin.serve(repo, name, data))
                return True

            def do_HEAD(self):
                standin.requests.append(("HEAD", self.path, dict(self.headers), b""))
                if not self._resolve(head=True):
                    self._reply(404, {"error": "not found"})

            def _info(self) -> bool:
                # /api/{models,datasets,spaces}/{org}/{name}[/revision/{revision}]: model_info, dataset_info
                from urllib.parse import unquote

                parts = [unquote(x) for x in self.path.split("?")[0].strip("/").split("/")]
                if len(parts) not in (4, 6) or parts[0] != "api" or parts[1] not in ("models", "datasets", "spaces"):
                    return False
                if len(parts) == 6 and parts[4] != "revision":
                    return False
                repo, rev = f"{parts[2]}/{parts[3]}", parts[5] if len(parts) == 6 else "main"
                known = standin.repos.get(repo)
                if known is None or known["type"] != parts[1][:-1]:
                    self._reply(404, {"error": "Repository not found"})
                    return True
                oid = known["head"] if rev == "main" else known["tags"].get(rev, rev)
                files = standin.snapshots.get(oid, {}).get(repo)
                if files is None:
                    self._reply(404, {"error": f"Invalid rev id: {rev}"})
                    return True
                meta, _ = frontmatter.split_front_matter(files.get("README.md", b"").decode("utf-8", "replace"))
                self._reply(200, {"id": repo, "sha": oid, "private": False, "cardData": meta or {},
                                  "siblings": [{"rfilename": name} for name in sorted(files)]})
                return True

            def do_GET(self):
                standin.requests.append(("GET", self.path, dict(self.headers), b""))
                if self.path.startswith("/api/whoami-v2"):
                    return self._reply(200, {"name": "tester", "type": "user", "orgs": []})
                if self._info():
                    return
                if not self._resolve(head=False):
                    self._reply(404, {"error": "not found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                standin.requests.append(("POST", self.path, dict(self.headers), body))
                path = self.path.split("?")[0]
                parts = path.strip("/").split("/")
                if path == "/api/repos/create":
                    payload = json.loads(body)
                    repo = f"{payload['organization']}/{payload['name']}"
                    if repo in standin.repos:
                        return self._reply(409, {"error": "You already created this model repo",
                                                 "url": f"{standin.url}/{repo}"})
                    standin.repos[repo] = {"payload": payload, "files": {}, "tags": {}, "head": None,
                                           "type": payload.get("type") or "model"}
                    return self._reply(200, {"url": f"{standin.url}/{repo}"})
                if path == "/api/validate-yaml":
                    # huggingface_hub asks this before a commit that changes README.md, and raises on 400
                    payload = json.loads(body)
                    bad = frontmatter.file_violations("README.md", payload["content"], payload.get("repoType")
                                                      or "model")
                    if bad:
                        return self._reply(400, {"error": "; ".join(bad), "warnings": [],
                                                 "errors": [{"message": line} for line in bad]})
                    return self._reply(200, {"errors": [], "warnings": []})
                if len(parts) == 6 and parts[0] == "api" and parts[4] == "tag":
                    repo = f"{parts[2]}/{parts[3]}"
                    if repo not in standin.repos:
                        return self._reply(404, {"error": "Repository not found"})
                    tag, rev = json.loads(body)["tag"], parts[5]
                    if tag in standin.repos[repo]["tags"]:
                        return self._reply(409, {"error": f"Tag {tag} already exists"})
                    oid = standin.repos[repo]["head"] if rev == "main" else rev
                    if oid not in standin.snapshots:
                        return self._reply(404, {"error": f"Invalid rev id: {rev}"})
                    standin.repos[repo]["tags"][tag] = oid
                    return self._reply(200, {})
                if len(parts) == 6 and parts[0] == "api" and parts[4] in ("preupload", "commit"):
                    repo = f"{parts[2]}/{parts[3]}"
                    if repo not in standin.repos:
                        return self._reply(404, {"error": "Repository not found"})
                    if parts[4] == "preupload":
                        files = json.loads(body)["files"]
                        return self._reply(200, {"files": [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
                    if standin.fail_commits:
                        standin.fail_commits -= 1
                        return self._reply(503, {"error": "Service Unavailable"})
                    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                    files = {v["value"]["path"]: base64.b64decode(v["value"]["content"])
                             for v in lines if v["key"] == "file"}
                    bad = standin.violations(repo, files)
                    if bad:  # the Hub validates card metadata at push time and keeps nothing of the commit
                        return self._reply(400, {"error": "Invalid metadata: " + "; ".join(bad)})
                    standin.commits.append({"repo": repo, "lines": lines, "files": files})
                    standin.repos[repo]["files"].update(files)
                    oid = f"{len(standin.commits):040x}"
                    standin.snapshots[oid] = {repo: dict(standin.repos[repo]["files"])}
                    standin.repos[repo]["head"] = oid
                    return self._reply(200, {"commitUrl": f"{standin.url}/{repo}/commit/{oid}", "commitOid": oid})
                self._reply(404, {"error": f"stand-in does not know {path}"})

        from phyassist.hub import frontmatter

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def violations(self, repo: str, files: dict[str, bytes]) -> list[str]:
        """The metadata lines the Hub would refuse in a commit of ``files`` to ``repo``."""
        from phyassist.hub import frontmatter

        kind, names = self.repos[repo]["type"], sorted({*self.repos[repo]["files"], *files})
        return [line for name, data in files.items()
                for line in frontmatter.file_violations(name, data.decode("utf-8", "replace"), kind, names)]

    def add_repo(self, repo: str, files: dict[str, bytes], repo_type: str = "model", tag: str | None = None) -> str:
        """Put ``repo`` here with ``files`` in one commit (validated like a pushed one); return its sha."""
        self.repos[repo] = {"payload": {"type": repo_type}, "files": {}, "tags": {}, "head": None, "type": repo_type}
        bad = self.violations(repo, files)
        assert not bad, bad
        self.commits.append({"repo": repo, "lines": [], "files": dict(files)})
        oid = f"{len(self.commits):040x}"
        self.repos[repo]["files"].update(files)
        self.snapshots[oid] = {repo: dict(files)}
        self.repos[repo]["head"] = oid
        if tag:
            self.repos[repo]["tags"][tag] = oid
        return oid

    def close(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def hub_standin(monkeypatch):
    """A running ``HubStandIn`` with huggingface_hub's offline switch off for this test only."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    standin = HubStandIn()
    yield standin
    standin.close()


# ---------------------------------------------------------------------------------------------------
# Space: two tiny LoRA adapters on the embedded SmolLM2, shared by test_space*.py.
# ---------------------------------------------------------------------------------------------------


def train_tiny_smol_adapter(base_dir: Path, out: Path, text: str, seed: int, hub_id: str) -> Path:
    """A real LoRA adapter (r=4) after two AdamW steps on one chat example; config records the Hub id."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": text}],
                                        return_tensors="pt", return_dict=True)["input_ids"]
    return save_lora_adapter(base_dir, out, seed=seed, r=4, alpha=8, train_ids=ids, steps=2, lr=1e-2, hub_id=hub_id)


@pytest.fixture(scope="session")
def smol_adapters(smol_dir, tmp_path_factory) -> dict[str, Path]:
    """{"calm": folder, "coach": folder}: two tiny adapters trained on the embedded SmolLM2."""
    root = tmp_path_factory.mktemp("space-adapters")
    hub_id = json.loads((smol_dir / "phyassist_base.json").read_text())["hub_id"]
    with one_torch_thread():
        return {
            "calm": train_tiny_smol_adapter(smol_dir, root / "calm", "Breathe slowly. You are safe.", 0, hub_id),
            "coach": train_tiny_smol_adapter(smol_dir, root / "coach", "Let us make a small plan.", 1, hub_id),
        }


@contextlib.contextmanager
def one_torch_thread():
    """One intra-op thread while the block runs: on an oversubscribed CI box (2 cores, generation in a
    Gradio worker thread, other processes) OpenMP threads spin-wait at every barrier and a short reply
    stalls behind them. Restored afterwards so other tests keep their setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---- data fixtures (tests/data/): a small data folder shaped like the IMHI release ------------------
FIXTURES = REPO / "tests" / "fixtures"
YES = "Yes, this wellness dimension exists in the post"
NO = "No, this wellness dimension does not exist in the post"


def write_csv_rows(path: Path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture
def tiny_root(tmp_path) -> Path:
    """A data folder shaped like the release: MultiWD val + test only, DR with train, counsel-chat."""
    root = tmp_path / "data"
    q = 'Consider this post: "{}" Question: Does the {} wellness dimension exist in the post?'
    val = [(q.format(f"Post number {i} about my week", "social"), f"{YES if i % 2 else NO}. Reasoning: r{i}.")
           for i in range(40)]
    val += [
        (q.format("see www.example.com", "social"), f"{YES}. Reasoning: link."),
        (q.format("I can‚Äôt sleep", "physical"), f"{YES}. Reasoning: repaired."),
        (q.format("We?ve lost it", "physical"), f"{NO}. Reasoning: lost apostrophe."),
        ("", f"{NO}. Reasoning: empty."),
        val[0],  # exact duplicate
        (q.format("Not sure", "social"), "Maybe. Reasoning: no label."),
        (q.format("x" * 400, "social"), f"{NO}. Reasoning: long."),
    ]
    write_csv_rows(root / "imhi/train_data/instruction_data/MultiWD/val.csv", ["query", "gpt-3.5-turbo"], val)
    test = [(q.format(f"Test post {i} http://t.co/x", "social"), f"{NO}. Reasoning: t{i}.") for i in range(5)]
    write_csv_rows(root / "imhi/test_data/test_instruction/MultiWD.csv", ["query", "gpt-3.5-turbo"], test + [val[1]])
    dr = 'Consider this post: "{}" Question: Does the poster suffer from depression?'
    yes, no = "Yes, the poster suffers from depression", "No, the poster does not suffer from depression"
    for split, n in (("train", 6), ("val", 3)):
        write_csv_rows(root / f"imhi/train_data/instruction_data/DR/{split}.csv", ["query", "gpt-3.5-turbo"],
               [(dr.format(f"{split} {i}"), f"{yes if i % 2 else no}. Reasoning: x.") for i in range(n)])
    write_csv_rows(root / "imhi/test_data/test_instruction/DR.csv", ["query", "gpt-3.5-turbo"],
           [(dr.format("test"), f"{no}. Reasoning: x.")])
    (root / "counsel-chat").mkdir(parents=True)
    shutil.copy(FIXTURES / "counsel_small.csv", root / "counsel-chat/20200325_counsel_chat.csv")
    return root


# ---- training fixtures (tests/train/): tiny configs that train in seconds --------------------------
# Short rows and tiny batches: a step of a 2-layer model then takes well under a second.
TINY = dict(dataset="MultiWD", max_train_examples=8, max_eval_examples=2, max_chars=700,
            per_device_train_batch_size=2, per_device_eval_batch_size=2, logging_steps=1, save_steps=100,
            eval_strategy="no", dataloader_pin_memory=False)


def tiny_train_config(base, out, **kw):
    """A TrainConfig for a tiny model on a few short MultiWD rows."""
    from phyassist.train.config import load_config

    return load_config(None, base_model=str(base), output_dir=str(out), **{**TINY, **kw})
