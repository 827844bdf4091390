"""The learned layer of the crisis screen: hashed n-grams and multilingual concepts into a small network.

Phrase rules (``rules``) miss paraphrases and languages they have no words for; this model scores what
they miss. It reads the same cleaned text as the rules (normalised, idioms and sincere denials blanked),
so it never needs a vocabulary: features are hashed (word 1-2-grams, character 2-5-grams, and the
concepts of ``concepts`` with their pairs, shared across languages), read by one hidden layer of ReLU
units (``network``); the weights are one ``.npz`` shipped with the package (``crisis_model.npz``, 5 MB),
loaded without the Hub. It also clears a rule hit it is confident is harmless, per rule family
(``clears``). ``training`` makes it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ...io import atomic_path
from .concepts import concept_tokens
from .network import Weights, forward
from .rules import clean
from .text import normalize

logger = logging.getLogger(__name__)

FORMAT = 4  # 4: a hidden layer (w1, b1, w2, b2); 3 was a logistic regression (coef, intercept)
N_WORD = 2**16
N_CHAR = 2**17
N_CONCEPT = 2**14  # 83 concepts and their 3,403 pairs: few collisions
# The concept block is scaled up against the n-gram blocks (each is l2-normalised): a concept is worth
# more than any one n-gram because every language shares it.
CONCEPT_SCALE = 1.0
ARTIFACT = "crisis_model.npz"
# Fires at this probability; the build chooses the shipped one by cross-validation on its training
# messages (``training.choose_thresholds``): misses cost more than false alarms.
DEFAULT_THRESHOLD = 0.55
# A message whose rule hit is of a family here is cleared below its probability: "topic" (the noun
# "suicide" alone) is an essay or a history question, not a person at risk. Lower than the firing
# threshold: doubt fires. The build chooses one threshold per rule family out of fold
# (``training.choose_thresholds``); a family without one is never cleared.
DEFAULT_CLEAR = {"topic": 0.2}
# Fewer words than this carry too little for the model ("ok", "yes, tonight"): rules and the conversation
# read across turns decide those.
MIN_WORDS = 4
# A Chinese character, a kana or a Hangul syllable carries about what an English word does ("我想死",
# "죽고 싶어" are four words in English); Thai, Lao, Khmer and Myanmar are written without spaces too,
# about three letters a word.
_SYLLABIC = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]+")


def word_count(cleaned: str) -> int:
    """Words in cleaned text, counting syllabic and unspaced scripts as their English equivalent."""
    spaced = _UNSPACED.sub(" ", _SYLLABIC.sub(" ", cleaned))
    return (len(re.findall(r"\w+", spaced)) + len(_SYLLABIC.findall(cleaned))
            + sum(len(run) // 3 for run in _UNSPACED.findall(cleaned)))


def _vectorizers():
    from sklearn.feature_extraction.text import HashingVectorizer

    common = dict(alternate_sign=False, norm="l2", lowercase=False, dtype=np.float32)
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=N_WORD,
                              token_pattern=r"(?u)\b\w[\w']*\b", **common)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, **common)
    ideas = HashingVectorizer(analyzer="word", token_pattern=r"\S+", n_features=N_CONCEPT, **common)
    return words, chars, ideas


def features(texts: list[str]):
    """The sparse feature matrix of raw messages (normalised and cleaned here)."""
    from scipy.sparse import hstack

    cleaned = [clean(normalize(t)) for t in texts]
    words, chars, ideas = _vectorizers()
    return hstack([words.transform(cleaned), chars.transform(cleaned),
                   CONCEPT_SCALE * ideas.transform([concept_tokens(c) for c in cleaned])]).tocsr()


@dataclass(frozen=True)
class CrisisModel:
    weights: Weights
    threshold: float = DEFAULT_THRESHOLD
    info: dict | None = None
    clear: dict = field(default_factory=lambda: dict(DEFAULT_CLEAR))  # rule family -> clearing probability

    def scores(self, texts: list[str]) -> np.ndarray:
        """P(crisis) per message."""
        return forward(features(texts), self.weights)

    def score(self, text: str) -> float:
        return float(self.scores([text])[0])

    def fires(self, text: str) -> bool:
        if word_count(clean(normalize(text))) < MIN_WORDS:
            return False
        return self.score(text) >= self.threshold

    def clears(self, text: str, family: str) -> bool:
        """Whether a message whose rule hit is of ``family`` scores low enough to pass (never a short one,
        never a family the build chose no threshold for)."""
        if family not in self.clear or word_count(clean(normalize(text))) < MIN_WORDS:
            return False
        return self.score(text) < self.clear[family]

    def save(self, path: str | Path) -> Path:
        """Write the weights (float16) and the build info; same inputs give the same bytes."""
        import zipfile

        path = Path(path)
        w = self.weights
        arrays = {"w1": w.w1.astype(np.float16), "b1": w.b1.astype(np.float32), "w2": w.w2.astype(np.float32),
                  "b2": np.array([w.b2], np.float64),
                  "threshold": np.array([self.threshold], np.float64),
                  "clear": np.frombuffer(json.dumps(self.clear, sort_keys=True).encode(), np.uint8),
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
            weights = Weights(z["w1"].astype(np.float32), z["b1"], z["w2"], float(z["b2"][0]))
            return cls(weights, float(z["threshold"][0]), info, json.loads(bytes(z["clear"]).decode()))


@lru_cache(maxsize=1)
def shipped() -> CrisisModel | None:
    """The model shipped with the package, or None (logged) when it is missing or unreadable."""
    try:
        with resources.as_file(resources.files(__package__) / ARTIFACT) as path:
            return CrisisModel.load(path)
    except (OSError, ValueError, KeyError) as error:
        logger.warning("Crisis model unavailable (%s); screening with phrase rules only.", error)
        return None
