"""MentalLLaMA's own label classifiers (``labels="mentalbert"``), one fine-tuned MentalBERT per task,
with the class order of their ``label_inference.py``, so our scores sit beside the paper's."""

from __future__ import annotations

import logging
from typing import Sequence

from ...data.tasks import TASKS, get_task
from ...errors import UserError

logger = logging.getLogger(__name__)

_NO_YES = ("no", "yes")

# Read in SteveKGYang/MentalLLaMA:
# - src/label_inference.py (commit 209ec27), get_dict lines 11-45: the id -> class-name list per task
#   (t-sid: depression, suicide, ptsd, control; swmh: depression, suicide, anxiety, bipolar, no mental),
#   which is not our registry order for those two. main lines 205-219: a BertForSequenceClassification
#   per task folder, BertTokenizer with padding=True, truncation=True, max_length=512 (right-side
#   truncation, the default), argmax over the logits of the whole generated response, then the list
#   lookup. calculate_f1 lines 47-190 re-maps those names to other ids by keyword for sklearn; weighted
#   F1 does not depend on those ids.
# - README.md, correctness evaluation: the classifiers are on the Hub as Tianlin668/<dataset>; their
#   configs name the classes LABEL_0.. only, so the order below is the only key to them.
# task -> (Hub id, our label for each class id, in label_inference.py's get_dict order)
MENTALBERT: dict[str, tuple[str, tuple[str, ...]]] = {
    "DR": ("Tianlin668/DR", _NO_YES),
    "dreaddit": ("Tianlin668/dreaddit", _NO_YES),
    # one classifier per task, whichever risk or wellness dimension the question asked about
    "Irf": ("Tianlin668/Irf", _NO_YES),
    "MultiWD": ("Tianlin668/MultiWD", _NO_YES),
    "loneliness": ("Tianlin668/loneliness", _NO_YES),
    # school, financial, family, social, work, health, emotional, everyday, other
    "SAD": ("Tianlin668/SAD", ("school", "financial problem", "family issues", "social relationships", "work",
                               "health issues", "emotional turmoil", "everyday decision making", "other causes")),
    # none, bias, job, medication, relation, alienation
    "CAMS": ("Tianlin668/CAMS", ("none", "bias or abuse", "jobs and career", "medication", "relationship",
                                 "alienation")),
    # depression, suicide, ptsd, control ("control" = the posts without a disorder)
    "t-sid": ("Tianlin668/t-sid", ("depression", "suicide or self-harm tendency", "ptsd", "no mental disorders")),
    # depression, suicide, anxiety, bipolar, no mental
    "swmh": ("Tianlin668/swmh", ("depression", "suicide or self-harm tendency", "anxiety", "bipolar disorder",
                                 "no mental disorders")),
}


def _check_table() -> None:
    if set(MENTALBERT) != set(TASKS):
        raise AssertionError(f"MENTALBERT covers {sorted(MENTALBERT)}, the registry {sorted(TASKS)}")
    for name, (_, order) in MENTALBERT.items():
        if sorted(order) != sorted(TASKS[name].labels):
            raise AssertionError(f"MENTALBERT[{name!r}] is not a permutation of {TASKS[name].labels}")


_check_table()


def describe(task: str, name_or_path: str | None = None) -> str:
    """What labelled the answers, for the results: ``mentalbert:<Hub id>`` (or the override used)."""
    return f"mentalbert:{name_or_path or MENTALBERT[get_task(task).name][0]}"


class MentalBertClassifier:
    """MentalLLaMA's classifier for one task; ``predict`` maps responses to our label strings.

    ``name_or_path`` replaces the Hub id (a local mirror, a test model); the id -> label order always
    comes from ``MENTALBERT``, never from the model's config.
    """

    def __init__(self, task: str, name_or_path: str | None = None, batch_size: int = 16, max_length: int = 512,
                 device: str | None = None):
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        self.task = get_task(task).name
        hub_id, self.id2label = MENTALBERT[self.task]
        source = name_or_path or hub_id
        try:
            # the config first: a wrong class count fails before the 440 MB of weights load
            config = AutoConfig.from_pretrained(source)
            if config.num_labels != len(self.id2label):
                raise UserError(f"classifier {source!r} has {config.num_labels} classes; MentalLLaMA's {self.task} "
                                f"classifier has {len(self.id2label)}, by id: {', '.join(self.id2label)}")
            # label_inference.py truncates on the right; pin it whatever the saved tokenizer says
            self.tokenizer = AutoTokenizer.from_pretrained(source, truncation_side="right")
            self.model = AutoModelForSequenceClassification.from_pretrained(source).eval()
        except UserError:
            raise
        except (OSError, ValueError) as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UserError(f"cannot load MentalLLaMA's {self.task} classifier from {source!r} (Hub id {hub_id}): "
                            f"it needs a download from the Hub, or a local copy's folder as the path override "
                            f"({reason})") from None
        if device is None:
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(device)
        self.device, self.source = device, source
        self.batch_size, self.max_length = batch_size, max_length
        self.description = describe(self.task, name_or_path)

    def predict(self, texts: Sequence[str], queries=None) -> list[str]:
        """One label per text: the whole response goes in, as label_inference.py feeds it."""
        import torch

        out: list[str] = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(list(texts[i:i + self.batch_size]), padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt").to(self.device)
                out += [self.id2label[j] for j in self.model(**enc).logits.argmax(-1).tolist()]
        return out
