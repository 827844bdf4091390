"""The learned layer of the crisis screen: hashed word and character n-grams into a logistic regression.

Phrase rules (``crisis_rules``) miss paraphrases; this model scores what they miss. It reads the same
cleaned text as the rules (normalised, idioms and sincere denials blanked), so it never needs a
vocabulary: features are hashed (word 1-2-grams and character 2-5-grams), and the artifact is one
``.npz`` of weights shipped with the package (``crisis_model.npz``, about 0.5 MB), loaded without the
Hub and scored in well under a millisecond. ``build`` trains it deterministically from labelled
messages plus IMHI posts (t-sid's suicide / self-harm tweets as positives; its no-disorder tweets
and dreaddit / SAD stress posts as negatives); counsel-chat is never used, so it stays a clean
false-alarm test. ``scripts/build_crisis_model.py`` is the command.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..io import atomic_path
from .crisis_rules import clean
from .crisis_text import normalize

logger = logging.getLogger(__name__)

FORMAT = 1
N_WORD = 2**16
N_CHAR = 2**17
ARTIFACT = "crisis_model.npz"
# Fires at this probability. Chosen on the development messages and dreaddit/SAD posts by
# cross-validation (see benchmarks/RESULTS.md, "Crisis screening"); misses cost more than false alarms.
DEFAULT_THRESHOLD = 0.55
# Fewer words than this carry too little for the model ("ok", "yes, tonight"): rules and the conversation
# read across turns decide those.
MIN_WORDS = 4
MESSAGE_WEIGHT = 4.0  # a hand-written chat message counts as much as four IMHI posts
_POST = re.compile(r'Consider this post:\s*"(.*)"\s*Question:', re.S)


def _vectorizers():
    from sklearn.feature_extraction.text import HashingVectorizer

    common = dict(alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32)
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=N_WORD,
                              token_pattern=r"(?u)\b\w[\w']*\b", **common)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, **common)
    return words, chars


def features(texts: list[str]):
    """The sparse feature matrix of raw messages (normalised and cleaned here)."""
    from scipy.sparse import hstack

    cleaned = [clean(normalize(t)) for t in texts]
    words, chars = _vectorizers()
    return hstack([words.transform(cleaned), chars.transform(cleaned)]).tocsr()


@dataclass(frozen=True)
class CrisisModel:
    coef: np.ndarray
    intercept: float
    threshold: float = DEFAULT_THRESHOLD
    info: dict | None = None

    def scores(self, texts: list[str]) -> np.ndarray:
        """P(crisis) per message."""
        logits = features(texts) @ self.coef.astype(np.float32) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))

    def score(self, text: str) -> float:
        return float(self.scores([text])[0])

    def fires(self, text: str) -> bool:
        if len(re.findall(r"\w+", clean(normalize(text)))) < MIN_WORDS:
            return False
        return self.score(text) >= self.threshold

    def save(self, path: str | Path) -> Path:
        """Write the weights (float16) and the build info; same inputs give the same bytes."""
        import zipfile

        path = Path(path)
        arrays = {"coef": self.coef.astype(np.float16), "intercept": np.array([self.intercept], np.float64),
                  "threshold": np.array([self.threshold], np.float64),
                  "info": np.frombuffer(json.dumps(self.info or {}, sort_keys=True).encode(), np.uint8)}
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                for name, array in arrays.items():
                    entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    with z.open(entry, "w") as f:
                        np.lib.format.write_array(f, array, allow_pickle=False)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "CrisisModel":
        with np.load(path, allow_pickle=False) as z:
            info = json.loads(bytes(z["info"]).decode() or "{}")
            if info.get("format") != FORMAT:
                raise ValueError(f"{path}: crisis model format {info.get('format')!r}, expected {FORMAT}")
            return cls(z["coef"].astype(np.float32), float(z["intercept"][0]), float(z["threshold"][0]), info)


@lru_cache(maxsize=1)
def shipped() -> CrisisModel | None:
    """The model shipped with the package, or None (logged) when it is missing or unreadable."""
    try:
        with resources.as_file(resources.files(__package__) / ARTIFACT) as path:
            return CrisisModel.load(path)
    except (OSError, ValueError, KeyError) as error:
        logger.warning("Crisis model unavailable (%s); screening with phrase rules only.", error)
        return None


# --- training data -----------------------------------------------------------------------------------

def read_messages(path: str | Path) -> list[tuple[str, int]]:
    """(text, 1 for crisis) from a JSONL of ``{"label": "crisis"|"safe", "text" | "turns"}`` rows, or
    from a text file of messages, one per line (``#`` comments; the label comes from ``label=``)."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = row.get("text") or " \n ".join(row.get("turns") or [])
        rows.append((text, int(row["label"] == "crisis")))
    return rows


def read_lines(path: str | Path, label: int) -> list[tuple[str, int]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [(t, label) for t in lines if t.strip() and not t.startswith("#")]


def _posts(path: Path) -> list[tuple[str, str]]:
    """(post, answer) pairs of an IMHI instruction CSV."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    out = []
    for row in rows[1:]:
        m = _POST.search(row[0]) if row else None
        if m and len(row) > 1:
            out.append((m.group(1).strip(), row[1]))
    return out


def imhi_rows(data_dir: str | Path, per_source: int = 1500, seed: int = 0) -> list[tuple[str, int]]:
    """t-sid suicide / self-harm tweets (1) and its no-disorder tweets, dreaddit and SAD posts (0)."""
    root = Path(data_dir) / "imhi"
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, int]] = []
    tsid = _posts(root / "test_data" / "test_instruction" / "t-sid.csv")
    rows += [(p, 1) for p, a in tsid if "suicide or self-harm" in a.split(".")[0]]
    rows += [(p, 0) for p, a in tsid if "no mental disorders" in a.split(".")[0]]
    for task in ("dreaddit", "SAD"):
        posts = [p for p, _ in _posts(root / "train_data" / "instruction_data" / task / "train.csv")]
        keep = sorted(rng.choice(len(posts), size=min(per_source, len(posts)), replace=False))
        rows += [(posts[i], 0) for i in keep]
    return rows


def train(rows: list[tuple], c: float = 4.0, threshold: float = DEFAULT_THRESHOLD,
          info: dict | None = None) -> CrisisModel:
    """Fit the logistic regression on ``(text, label[, weight])`` rows (balanced classes; liblinear is
    deterministic)."""
    from sklearn.linear_model import LogisticRegression

    texts, labels = [r[0] for r in rows], np.array([r[1] for r in rows])
    weights = np.array([r[2] if len(r) > 2 else 1.0 for r in rows])
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0)
    clf.fit(features(texts), labels, sample_weight=weights)
    digest = hashlib.sha256("\n".join(f"{r[1]}\t{weights[i]}\t{r[0]}" for i, r in enumerate(rows)).encode()).hexdigest()
    info = {"format": FORMAT, "rows": len(rows), "positives": int(labels.sum()), "rows_sha256": digest,
            "C": c, **(info or {})}
    return CrisisModel(clf.coef_[0].astype(np.float16).astype(np.float32), float(clf.intercept_[0]), threshold, info)


def build(messages: list[str | Path], data_dir: str | Path, out: str | Path, c: float = 4.0,
          threshold: float = DEFAULT_THRESHOLD) -> CrisisModel:
    """Train on labelled message files (``.jsonl`` as ``read_messages``; ``*positive*``/``*negative*``
    ``.txt`` files one message per line) plus IMHI posts from ``data_dir``, and save to ``out``."""
    rows: list[tuple] = []
    for path in map(Path, messages):
        if path.suffix == ".jsonl":
            labelled = read_messages(path)
        else:
            labelled = read_lines(path, 0 if "negative" in path.name else 1)
        rows += [(t, y, MESSAGE_WEIGHT) for t, y in labelled]
    rows += imhi_rows(data_dir)
    model = train(rows, c=c, threshold=threshold,
                  info={"threshold": threshold, "message_files": sorted(Path(m).name for m in messages)})
    model.save(out)
    logger.info("Crisis model: %d rows (%d positive), threshold %.2f -> %s", model.info["rows"],
                model.info["positives"], threshold, out)
    return model
