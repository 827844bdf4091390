"""Dataset registry and loading: IMHI tasks, counsel-chat and named mixtures.

(Foundation stub: ``data_dir`` and ``load_imhi`` are the stable API; cleaning and preparation are
added by the data-pipeline work.)
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UserError
from .io import read_csv
from .tasks import get_task, split_file

IMHI_COLUMNS = {"instruction": ("query", "gpt-3.5-turbo"), "complete": ("post", "question", "response")}


def data_dir() -> Path:
    """``PHYASSIST_DATA_DIR`` if set, else ``<cache>/data`` (where ``phyassist data download`` writes)."""
    if os.environ.get("PHYASSIST_DATA_DIR"):
        return Path(os.environ["PHYASSIST_DATA_DIR"]).expanduser()
    from .models import cache_dir

    return cache_dir() / "data"


def load_imhi(task: str, split: str, variant: str = "instruction", *, root: str | os.PathLike | None = None) -> list[dict]:
    """Rows of one IMHI task split as dicts with ``query``, ``response``, ``label`` and ``task``.

    ``label`` is the gold label stated by the response (None when it states none of the task's
    labels). Rows keep file order. A missing file raises an error naming the task and the path tried.
    """
    spec = get_task(task)
    rel = split_file(spec, split, variant)
    if rel is None:
        raise UserError(f"IMHI task {spec.name} has no {split} split (test-only task)")
    path = Path(root or data_dir()) / "imhi" / rel
    if not path.exists():
        raise UserError(f"IMHI {spec.name} {split} file not found: tried {path}")
    test_like = split == "test" or variant == "instruction"
    cols = ("query", "gpt-3.5-turbo") if test_like else ("post", "question", "response")
    rows = read_csv(path, required=cols)
    out = []
    for r in rows:
        if len(cols) == 2:
            query, response = r["query"], r["gpt-3.5-turbo"]
        else:
            query, response = (r["post"] or "") + (r["question"] or ""), r["response"]
        out.append({"query": query, "response": response, "label": spec.gold_label(response, variant),
                    "task": spec.name})
    return out
