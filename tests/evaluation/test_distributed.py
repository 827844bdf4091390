"""``phyassist eval`` across 2 CPU processes (gloo), for real: an interrupted run resumed per shard ends
with the files one process writes, row for row; one process reuses its shards; processes that disagree,
or one that fails, all stop.

The runs share a tiny random Llama and a tiny IMHI-style data folder written here, with ``--labels
strict`` (no classifier files) and a few new tokens, so each launch takes seconds.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NO, YES, _save_tiny, one_torch_thread, write_csv_rows

from phyassist.errors import UserError
from phyassist.evaluation.distributed import find_shards, fold, open_shard, shard_path
from phyassist.evaluation.generation import read_cache

REPO = Path(__file__).resolve().parents[2]
FLAGS = ["--dataset", "MultiWD,DR", "--labels", "strict", "--max-new-tokens", "8", "--batch-size", "2",
         "--bootstrap-resamples", "50"]
DR_ANSWERS = ("No, the poster does not suffer", "Yes, the poster suffers")
AGREE = "; start every process with the same flags, data, model and --out folder"
OUTPUTS = ("MultiWD.csv", "DR.csv", "results.md", "f1.png")
# `phyassist eval` as torchrun starts it, except that process 1 may get other flags or data, or kill
# itself once its shard holds a batch: an interruption mid-run at a known point, phyassist's code untouched
WORKER = '''
import os, signal, sys, threading, time
from pathlib import Path
from phyassist.cli import main

rank = int(os.environ["RANK"])
if rank == 1:
    sys.argv += os.environ.get("RANK1_FLAGS", "").split()
    os.environ["PHYASSIST_DATA_DIR"] = os.environ.get("RANK1_DATA", os.environ["PHYASSIST_DATA_DIR"])
    shard = os.environ.get("RANK1_KILL_AFTER_ROWS_IN")
    if shard:
        def watch():
            while True:
                if Path(shard).exists() and len(Path(shard).read_text().splitlines()) >= 3:  # header + a batch
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(0.001)

        threading.Thread(target=watch, daemon=True).start()
sys.exit(main(sys.argv[1:]))
'''


@pytest.fixture(scope="module")
def model_dir(tiny_llama_dir, smol_tokenizer, tmp_path_factory) -> Path:
    """conftest's tiny Llama with weights 10x larger: its greedy answers differ from prompt to prompt (with
    conftest's scale it answers everything with blank lines, and equal answers would prove nothing)."""
    import torch
    from transformers import AutoConfig, LlamaForCausalLM

    config = AutoConfig.from_pretrained(tiny_llama_dir)
    config.initializer_range = 0.2
    torch.manual_seed(0)
    return _save_tiny(LlamaForCausalLM(config), smol_tokenizer, tmp_path_factory.mktemp("talkative-llama"),
                      "phyassist-tests/talkative-llama")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """MultiWD (11 rows) and DR (5 rows) test files of prompts of several lengths."""
    root = tmp_path_factory.mktemp("imhi")
    post = 'Consider this post: "{}" Question: Does the social wellness dimension exist in the post?'
    write_csv_rows(root / "imhi/test_data/test_instruction/MultiWD.csv", ["query", "gpt-3.5-turbo"],
                   [(post.format(f"Post {i}: " + "my week was long. " * (i % 4)), f"{YES if i % 3 else NO}. Reasoning: r{i}.")
                    for i in range(11)])
    dr = 'Consider this post: "{}" Question: Does the poster suffer from depression?'
    write_csv_rows(root / "imhi/test_data/test_instruction/DR.csv", ["query", "gpt-3.5-turbo"],
                   [(dr.format("tired " * (i + 1)), f"{DR_ANSWERS[i % 2]} from depression. Reasoning: x.") for i in range(5)])
    return root


@pytest.fixture(scope="module")
def one_process(model_dir, data, tmp_path_factory) -> Path:
    """The 1-process run everything is compared with (one torch thread, as each launched process has)."""
    from phyassist.config import parse_config
    from phyassist.evaluation.run import EvalConfig, run_eval

    out = tmp_path_factory.mktemp("one") / "eval"
    cfg, _ = parse_config(EvalConfig, ["--base-model", str(model_dir), *FLAGS, "--out", str(out)], prog="eval")
    with pytest.MonkeyPatch.context() as mp, one_torch_thread():
        mp.setenv("PHYASSIST_DATA_DIR", str(data))
        run_eval(cfg)
    return out


def _env(data: Path, **extra) -> dict:
    env = dict(os.environ, PHYASSIST_DATA_DIR=str(data), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", **extra)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(target: list[str], base, out, data, **env) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *target, "eval",
           "--base-model", str(base), *FLAGS, "--out", str(out)]
    return subprocess.run(cmd, env=_env(data, **env), capture_output=True, text=True, timeout=120, cwd=out.parent,
                          check=False)


def _rows(out: Path, name: str) -> list[dict]:
    import csv

    with open(out / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _cache(out: Path, task: str) -> dict[str, str]:
    return read_cache(out / f"{task}.generations.jsonl")


def _results(out: Path) -> dict:
    res = json.loads((out / "results.json").read_text())
    res["config"].pop("out_dir")
    return res


@pytest.fixture(scope="module")
def interrupted(model_dir, data, tmp_path_factory) -> tuple[Path, int]:
    """(--out of a 2-process run whose process 1 died after its first batch, the answers its shards hold)."""
    root = tmp_path_factory.mktemp("interrupted")
    (root / "worker.py").write_text(WORKER)
    out = root / "eval"
    killed = _torchrun(["worker.py"], model_dir, out, data, RANK1_KILL_AFTER_ROWS_IN=str(shard_path(out, "MultiWD", 1, 2)))
    assert killed.returncode != 0 and not (out / "results.json").exists()
    shards = find_shards(out, "MultiWD")
    assert list(shards.values()) == [2, 2] and not find_shards(out, "DR")
    header = json.loads(shard_path(out, "MultiWD", 1, 2).read_text().splitlines()[0])["phyassist_shard"]
    assert header["task"] == "MultiWD" and header["rank"] == 1 and header["processes"] == 2
    held = set().union(*(read_cache(path) for path in shards))
    assert 2 <= len(held) < 11
    return out, len(held)


@pytest.mark.slow
def test_two_processes_resume_per_shard_and_write_what_one_process_writes(model_dir, data, one_process, interrupted,
                                                                           tmp_path):
    out = tmp_path / "eval"
    shutil.copytree(interrupted[0], out)
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
           str(REPO / "recipes/accelerate_configs/cpu.yaml"), "--main_process_port", str(_free_port()),
           "-m", "phyassist.cli", "eval", "--base-model", str(model_dir), *FLAGS, "--out", str(out)]
    done = subprocess.run(cmd, env=_env(data), capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    # each process planned the same batches and generated only what no shard held
    assert interrupted[1] > 0  # else "0 of 11" would pass without a shard reused
    assert f"MultiWD: {interrupted[1]} of 11 answers cached; process 1 of 2 generates batches 1, 3, ..." in done.stderr
    assert "DR: 0 of 5 answers cached; process 0 of 2 generates batches 0, 2, ..." in done.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (one_process / name).read_bytes(), name
    assert _results(out) == _results(one_process)
    answers = [r["generated_text"] for r in _rows(out, "MultiWD.csv")]
    assert len(set(answers)) == 11 and all(answers)  # real answers were compared
    for task in ("MultiWD", "DR"):
        assert _cache(out, task) == _cache(one_process, task)
        assert not find_shards(out, task)  # folded into the task's cache
    assert done.stdout.count("| MultiWD | 11 |") == 1  # the table comes from the main process only


def _mark(shard: Path) -> set[str]:
    """Replace a shard's answers by ``CACHED <key>`` (dropping a line cut short) and return the keys."""
    lines = shard.read_text().splitlines()
    keys = list(read_cache(shard))
    shard.write_text("\n".join([lines[0]] + [json.dumps({"key": k, "text": f"CACHED {k}"}) for k in keys]) + "\n")
    return set(keys)


@pytest.mark.slow
def test_one_process_reuses_the_shards_of_an_interrupted_run(model_dir, data, one_process, interrupted, tmp_path,
                                                             monkeypatch):
    from phyassist.config import parse_config
    from phyassist.evaluation.run import EvalConfig, run_eval

    out = tmp_path / "eval"
    shutil.copytree(interrupted[0], out)
    marked = set().union(*(_mark(path) for path in find_shards(out, "MultiWD")))
    cfg, _ = parse_config(EvalConfig, ["--base-model", str(model_dir), *FLAGS, "--out", str(out)], prog="eval")
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data))
    with one_torch_thread():
        run_eval(cfg)
    seen = set()
    for task in ("MultiWD", "DR"):
        for ours, theirs in zip(_rows(out, f"{task}.csv"), _rows(one_process, f"{task}.csv"), strict=True):
            if ours["generated_text"].startswith("CACHED "):
                seen.add(ours["generated_text"].split()[1])
            else:
                assert ours == theirs
        assert not find_shards(out, task)  # folded into the task's cache, another process count's shards
    assert seen == marked  # every answer of the interrupted run was reused, none generated again


def _other_data(data: Path, root: Path, change: str) -> Path:
    other = root / "other-data"
    shutil.copytree(data, other)
    test = other / "imhi/test_data/test_instruction"
    if change == "query":
        (test / "MultiWD.csv").write_text((test / "MultiWD.csv").read_text().replace("Post 3:", "Post three:"))
    else:
        (test / "DR.csv").unlink()
    return other


@pytest.mark.slow
@pytest.mark.parametrize(("rank1", "message"), [
    ("flags", "processes disagree on `max_new_tokens`: 8 on process 0, 3 on process 1" + AGREE),
    ("query", "processes disagree on the MultiWD test queries (sha256): '{}' on process 0, '{}' on process 1" + AGREE),
    ("missing", "IMHI DR test file not found: tried {}"),
], ids=["flags", "query", "missing"])
def test_processes_that_disagree_or_fail_all_stop_with_one_line(rank1, message, model_dir, data, tmp_path):
    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.run import queries_sha256

    (tmp_path / "worker.py").write_text(WORKER)
    out = tmp_path / "eval"
    env = {"RANK1_FLAGS": "--max-new-tokens 3"} if rank1 == "flags" else {
        "RANK1_DATA": str(_other_data(data, tmp_path, rank1))}
    done = _torchrun(["worker.py"], model_dir, out, data, **env)
    assert done.returncode != 0
    if rank1 == "query":
        ours, theirs = (queries_sha256(load_imhi("MultiWD", "test", root=root))[:12] for root in (data, env["RANK1_DATA"]))
        message = message.format(ours, theirs)
    # both processes write to one pipe, so a line may run into the other's: split at the prefix
    lines = sorted(re.findall(r"phyassist: error: (.*?)(?=phyassist: error: |$)", done.stderr, re.MULTILINE))
    if rank1 == "missing":  # process 1 failed; process 0 stops too, naming it
        path = Path(env["RANK1_DATA"]) / "imhi/test_data/test_instruction/DR.csv"
        assert lines == [message.format(path), f"process 1 of 2: {message.format(path)}"]
    else:
        assert lines == [message] * 2  # both stop, each with the same line
    assert not out.exists() or not any(out.iterdir())  # before any model work


def test_a_shard_of_another_run_is_an_error(tmp_path):
    path = shard_path(tmp_path, "MultiWD", 1, 2)
    open_shard(path, "MultiWD", 1, 2, "a" * 64)
    open_shard(path, "MultiWD", 1, 2, "a" * 64)  # this run's own shard: resumed
    with pytest.raises(UserError, match=r"MultiWD.generations.rank1-of-2.jsonl: a shard of another run \(prompts, "
                                        r"model or generation settings differ: aaaaaaaaaaaa there, bbbbbbbbbbbb now\); "
                                        r"finish that run, or delete the file"):
        open_shard(path, "MultiWD", 1, 2, "b" * 64)
    copied = shard_path(tmp_path, "MultiWD", 0, 2)
    shutil.copy(path, copied)
    with pytest.raises(UserError, match=r"rank0-of-2.jsonl: its header names .*'rank': 1.*; expected .*'rank': 0"):
        open_shard(copied, "MultiWD", 0, 2, "a" * 64)
    foreign = shard_path(tmp_path, "DR", 0, 2)
    foreign.write_text('{"key": "k", "text": "t"}\n')
    with pytest.raises(UserError, match=r"DR.generations.rank0-of-2.jsonl: not a shard of `phyassist eval` "
                                        r"\(no header line\); move it out of the --out folder"):
        open_shard(foreign, "DR", 0, 2, "a" * 64)
    assert foreign.read_text() == '{"key": "k", "text": "t"}\n'  # never overwritten


def test_fold_is_a_union_by_key_and_removes_the_shards(tmp_path):
    cache = tmp_path / "MultiWD.generations.jsonl"
    cache.write_text('{"key": "a", "text": "one"}\n{"key": "b", "te')  # a line cut short
    first, second = shard_path(tmp_path, "MultiWD", 0, 2), shard_path(tmp_path, "MultiWD", 1, 4)
    first.write_text('{"phyassist_shard": {}}\n{"key": "a", "text": "other"}\n{"key": "c", "text": "three"}\n')
    second.write_text('{"phyassist_shard": {}}\n{"key": "d", "text": "four"}\n')
    (tmp_path / "MultiWD.generations.rank0-of-2.jsonl.bak").write_text("")
    assert find_shards(tmp_path, "MultiWD") == {first: 2, second: 4}
    assert fold(cache, [first, second]) == 2
    assert _cache(tmp_path, "MultiWD") == {"a": "one", "c": "three", "d": "four"}  # the cache's own answer stays
    assert not first.exists() and not second.exists() and not find_shards(tmp_path, "MultiWD")


def test_cache_keys_ignore_the_truncation_and_padding_a_call_left(smol_tokenizer, tmp_path):
    """A tokenizer.json saved after a call that truncated and padded (many on the Hub are) keeps both settings
    until the next call turns them off. Each process plans its shard with keys computed before its first
    tokenizer call, and the main process then looks the folded cache up after it: the keys must agree, or it
    generates the task again."""
    from types import SimpleNamespace

    from transformers import AutoTokenizer

    from phyassist.evaluation.generation import cache_keys

    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=2048), generation_config=None,
                            dtype="torch.float32")
    queries = ["Post 1: my week was long.", "Post 2"]

    def saved(folder: Path, call: bool):
        tok = copy.deepcopy(smol_tokenizer)
        tok.backend_tokenizer.no_truncation()
        tok.backend_tokenizer.no_padding()
        if call:
            tok(queries, max_length=64, truncation=True, padding=True)
        tok.save_pretrained(folder)
        return AutoTokenizer.from_pretrained(folder)

    def keys(tok):
        return cache_keys(model, tok, queries, max_new_tokens=8, model_id="m")

    clean, left = saved(tmp_path / "clean", call=False), saved(tmp_path / "left", call=True)
    assert left.backend_tokenizer.truncation and left.backend_tokenizer.padding  # the case under test
    assert not clean.backend_tokenizer.truncation and not clean.backend_tokenizer.padding
    assert keys(left) == keys(clean)
    assert left.backend_tokenizer.truncation["max_length"] == 64  # keying leaves the caller's tokenizer alone
    left(queries, add_special_tokens=False)  # `generate`'s own call turns both off
    assert not left.backend_tokenizer.truncation and keys(left) == keys(clean)
