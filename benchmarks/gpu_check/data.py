"""The data a check runs on: the IMHI release when one is found, else seeded MultiWD-shaped rows written
to the temporary folder (the release's layout, so ``phyassist.data.loading`` reads both alike)."""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

from .context import REPO


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
