"""``phyassist eval`` across processes (``accelerate launch -m phyassist.cli eval ...``): who generates what.

Every process loads the same rows and model; ``Processes.agree`` stops them all, with one message,
when their flags, queries or cache keys differ or any one of them failed. A task's answers not yet
cached are planned in batches as one process would (``generation``); process k of n runs batches
k, k + n, ... and appends them to its shard ``<task>.generations.rank<k>-of-<n>.jsonl`` (a header
naming the task, k, n and the run, then cache rows), so each row is padded as in one process and an
interrupted run resumes per shard. Then the main process folds the shards into
``<task>.generations.jsonl`` and scores as one process does; the others stop.

The shard rule: before a task, shards of another process count (an earlier run, interrupted) are
folded into the task's cache, a union by content key, so any later run reuses them; a shard of this
process count must carry this run's header, else it is an error, never overwritten.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ..errors import UserError
from ..io import atomic_path, write_text
from .generation import cache_keys, generate, read_cache

logger = logging.getLogger(__name__)

# the process count as torchrun (accelerate launch's multi-process launcher) and MPI set it
SIZE_VARS = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
# a process waits here for the slowest share of batches, and at the start for the first download of a model
WAIT = timedelta(hours=6)
HEADER = "phyassist_shard"
SHARD_NAME = re.compile(r"\.generations\.rank(\d+)-of-(\d+)\.jsonl$")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class Processes:
    """This process's place among the eval's processes; with one process every step is a no-op."""

    rank: int = 0
    size: int = 1
    device_map: dict | None = None  # this process's GPU, None on CPU (one process: the loader's default)
    group: object = None  # a gloo group for the small messages: no GPU memory, a long timeout

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def gather(self, obj) -> list:
        if self.size == 1:
            return [obj]
        import torch.distributed as dist

        out = [None] * self.size
        dist.all_gather_object(out, obj, group=self.group)
        return out

    def agree(self, facts: dict, error: str | None = None) -> None:
        """Stop every process with a one-line error when one had ``error`` or their ``facts`` differ."""
        if self.size == 1:
            if error:
                raise UserError(error)
            return
        reports = self.gather((error, facts))
        for r, (err, _) in enumerate(reports):
            if err:
                raise UserError(err if r == self.rank else f"process {r} of {self.size}: {err}")
        main = reports[0][1]
        for r, (_, theirs) in enumerate(reports[1:], 1):
            for what in dict.fromkeys([*main, *theirs]):
                if main.get(what) != theirs.get(what):
                    raise UserError(f"processes disagree on {what}: {_show(main.get(what))} on process 0, "
                                    f"{_show(theirs.get(what))} on process {r}; start every process with the same "
                                    "flags, data, model and --out folder")

    def together(self, fn):
        """``fn()`` on every process; a ``UserError`` in any one stops them all, so none waits forever."""
        if self.size == 1:
            return fn()
        try:
            result, error = fn(), None
        except UserError as e:
            result, error = None, str(e)
        self.agree({}, error)
        return result

    def close(self) -> None:
        """Release this eval's message group; the launcher's own group stays, as accelerate owns it."""
        if self.group is not None:
            import torch.distributed as dist

            dist.destroy_process_group(self.group)
            self.group = None


def processes() -> Processes:
    """The processes a launcher started (``accelerate launch``, torchrun, mpirun), or this one alone."""
    size = max(int(os.environ.get(name) or 1) for name in SIZE_VARS)
    if size <= 1:
        return Processes()
    import torch
    import torch.distributed as dist
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    # without `cpu` accelerate leaves a GPU-less machine unconnected; with it, it picks gloo
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU") or not torch.cuda.is_available())
    if state.num_processes == 1:
        return Processes()
    device_map = None if state.device.type == "cpu" else {"": str(state.device)}
    return Processes(state.process_index, state.num_processes, device_map,
                     dist.new_group(backend="gloo", timeout=WAIT))


def shard_path(out: Path, task: str, rank: int, size: int) -> Path:
    return Path(out) / f"{task}.generations.rank{rank}-of-{size}.jsonl"


def find_shards(out: Path, task: str) -> dict[Path, int]:
    """{shard file: the process count that wrote it} for a task's shards in ``out``."""
    found = {}
    for path in sorted(Path(out).glob(f"{glob.escape(task)}.generations.rank*-of-*.jsonl")):
        m = SHARD_NAME.search(path.name)
        if m and path.name == shard_path(out, task, int(m[1]), int(m[2])).name:
            found[path] = int(m[2])
    return found


def fold(cache: Path, shards: Sequence[Path]) -> int:
    """Add the shards' rows that ``cache`` lacks to it (atomically; a union by key), remove the shards and
    return how many rows were added."""
    cache = Path(cache)
    done = read_cache(cache)
    new = []
    for path in shards:
        for key, text in read_cache(path).items():
            if key not in done:
                done[key] = text
                new.append(json.dumps({"key": key, "text": text}, ensure_ascii=False) + "\n")
    if new:
        kept = cache.read_bytes() if cache.exists() else b""
        if kept and not kept.endswith(b"\n"):
            kept += b"\n"  # a line an interruption cut short stays a line of its own
        with atomic_path(cache) as tmp:
            tmp.write_bytes(kept + "".join(new).encode("utf-8"))
    for path in shards:
        path.unlink()
    if shards:
        logger.info("Folded %d shard(s) into %s: %d new answers.", len(shards), cache, len(new))
    return len(new)


def open_shard(path: Path, task: str, rank: int, size: int, run: str) -> None:
    """Start ``path`` with this run's header, or check the header it has: a shard is appended to by its own
    run only."""
    header = {"task": task, "rank": rank, "processes": size, "run": run}
    if not path.exists():
        write_text(path, json.dumps({HEADER: header}) + "\n")
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    try:
        found = json.loads(first).get(HEADER)
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, dict):
        raise UserError(f"{path}: not a shard of `phyassist eval` (no header line); move it out of the --out folder")
    if found.get("run") != run:
        raise UserError(f"{path}: a shard of another run (prompts, model or generation settings differ: "
                        f"{str(found.get('run'))[:12]} there, {run[:12]} now); finish that run, or delete the file")
    if found != header:
        raise UserError(f"{path}: its header names {found}; expected {header}")


def generate_shards(procs: Processes, out: Path, task: str, model, tokenizer, queries: Sequence[str], *,
                    batch_size: int, max_new_tokens: int, model_id: str) -> None:
    """Leave every answer to ``queries`` in ``<out>/<task>.generations.jsonl``, each process generating its
    share of the batches still missing; with one process, only fold in the shards an earlier run left."""
    out = Path(out)
    cache = out / f"{task}.generations.jsonl"
    procs.together(lambda: procs.is_main and fold(cache, [p for p, n in find_shards(out, task).items()
                                                          if n != procs.size or procs.size == 1]))
    if procs.size == 1:
        return
    keys = cache_keys(model, tokenizer, queries, max_new_tokens=max_new_tokens, model_id=model_id)
    run = _sha("\n".join(keys))
    mine = shard_path(out, task, procs.rank, procs.size)
    error = None
    try:
        open_shard(mine, task, procs.rank, procs.size, run)
    except UserError as e:
        error = str(e)
    done = read_cache(cache)
    for k in range(procs.size):
        done.update(read_cache(shard_path(out, task, k, procs.size)))
    todo = list(dict.fromkeys(k for k in keys if k not in done))
    # nobody writes before this exchange, so every process plans from the same files
    procs.agree({f"the {task} cache keys (model, tokenizer, settings, prompts)": run[:12],
                 f"the {task} answers missing from {out}": f"{len(todo)}, sha256 {_sha(' '.join(todo))[:12]}"}, error)
    logger.info("%s: %d of %d answers cached; process %d of %d generates batches %d, %d, ... of the rest.", task,
                len(set(keys)) - len(todo), len(set(keys)), procs.rank, procs.size, procs.rank, procs.rank + procs.size)
    generate(model, tokenizer, queries, batch_size=batch_size, max_new_tokens=max_new_tokens, cache_path=mine,
             model_id=model_id, progress=procs.is_main, cached=done, share=(procs.rank, procs.size))

    def merge():
        fold(cache, list(find_shards(out, task)))
        missing = len(set(keys) - set(read_cache(cache)))
        if missing:
            raise UserError(f"{missing} of {len(set(keys))} {task} answers are missing from the shards in {out}; "
                            "expected --out to be one folder that every process sees")

    procs.agree({})  # every block written
    procs.together(lambda: procs.is_main and merge())
