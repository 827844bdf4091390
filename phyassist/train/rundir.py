"""What an output folder holds, and whether a run may use it: new, resume, or refuse.

A run marks its folder with ``phyassist_run.json`` (the config's identity and a status). Rerunning
the same command finds the marker and the newest complete ``checkpoint-*`` and resumes from it;
a folder holding a different run, a finished run, or foreign files is refused with a one-line
error unless ``overwrite`` is set. This module does not train or write adapters.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from ..errors import UserError
from ..io import write_json

RUN_FILE = "phyassist_run.json"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


def checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints (they hold ``trainer_state.json``, written last), oldest first."""
    found = []
    for p in Path(out).glob("checkpoint-*"):
        m = _CKPT.match(p.name)
        if m and p.is_dir() and (p / "trainer_state.json").exists():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def _normalize(identity: dict) -> dict:
    return json.loads(json.dumps(identity, default=str))


def _differences(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [f"`{k}`: {old.get(k)!r} there, {new.get(k)!r} now" for k in keys if old.get(k) != new.get(k)]


def plan_output_dir(out: Path, identity: dict, *, resume: bool = False, overwrite: bool = False) -> str | None:
    """The checkpoint to resume from (None: start fresh), or a UserError saying why the folder is refused."""
    out = Path(out)
    identity = _normalize(identity)
    if resume and overwrite:
        raise UserError("`resume` and `overwrite` exclude each other; pass one of them")
    if out.exists() and not out.is_dir():
        raise UserError(f"`output_dir` {out} is a file; expected a folder")
    if not out.exists() or not any(out.iterdir()):
        if resume:
            raise UserError(f"`resume` is set but `output_dir` {out} holds no run to resume")
        return None
    marker = out / RUN_FILE
    if overwrite:
        if not marker.exists() and not (out / "adapter_config.json").exists() and not checkpoints(out):
            raise UserError(f"`output_dir` {out} is not empty and holds no phyassist run; refusing to delete it, "
                            "choose another --output-dir")
        shutil.rmtree(out)
        return None
    if not marker.exists():
        raise UserError(f"`output_dir` {out} already exists and is not empty; pass --overwrite to replace it or "
                        "choose another --output-dir")
    saved = json.loads(marker.read_text())
    diffs = _differences(saved.get("identity", {}), identity)
    if diffs:
        raise UserError(f"`output_dir` {out} holds a different run ({'; '.join(diffs[:3])}); pass --overwrite to "
                        "replace it or choose another --output-dir")
    if saved.get("status") == "finished":
        raise UserError(f"`output_dir` {out} already holds this finished run; pass --overwrite to train it again")
    found = checkpoints(out)
    if not found:
        if resume:
            raise UserError(f"`resume` is set but `output_dir` {out} has no complete checkpoint yet")
        return None
    return str(found[-1])


def start_run(out: Path, identity: dict) -> None:
    marker = Path(out) / RUN_FILE
    if marker.exists():
        return
    write_json(marker, {"status": "running", "identity": _normalize(identity)})


def finish_run(out: Path, identity: dict, summary: dict) -> None:
    write_json(Path(out) / RUN_FILE, {"status": "finished", "identity": _normalize(identity), "summary": summary})


def is_finished(out: Path, identity: dict) -> bool:
    """True when ``out`` holds this exact run, finished, with its adapter (a re-run may reuse it)."""
    marker = Path(out) / RUN_FILE
    if not marker.exists() or not (Path(out) / "adapter_config.json").exists():
        return False
    saved = json.loads(marker.read_text(encoding="utf-8"))
    return saved.get("status") == "finished" and saved.get("identity") == _normalize(identity)
