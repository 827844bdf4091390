"""``labels=<path or Hub id>``: any transformers sequence classifier as a label classifier, its class
ids mapped to the task's labels."""

from __future__ import annotations

from typing import Sequence

from ...data.tasks import get_task
from ...errors import UserError


class HFLabelClassifier:
    """A transformers sequence classifier (e.g. MentalLLaMA's MentalBERT ones) by path or Hub id.

    Output ids map to labels through ``config.id2label`` when those names are task labels, else to
    the task's labels in registry order (``no``/``yes`` for binary tasks, as MentalLLaMA's are).
    """

    def __init__(self, task: str, name_or_path: str, batch_size: int = 16, max_length: int = 512):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.task = get_task(task)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            self.model = AutoModelForSequenceClassification.from_pretrained(name_or_path).eval()
        except OSError as e:
            raise UserError(f"cannot load label classifier {name_or_path!r}: {str(e).splitlines()[0]}") from None
        names = [str(self.model.config.id2label[i]).lower() for i in range(self.model.config.num_labels)]
        if set(names) <= set(self.task.labels):
            self.id2label = names
        elif len(names) == len(self.task.labels):
            self.id2label = list(self.task.labels)
        else:
            raise UserError(f"classifier {name_or_path!r} has {len(names)} classes; task {self.task.name} has "
                            f"{len(self.task.labels)} ({', '.join(self.task.labels)})")
        self.batch_size, self.max_length = batch_size, max_length

    def predict(self, texts: Sequence[str], queries=None) -> list[str]:
        """``queries`` is accepted for a common signature and unused: the model reads the response only."""
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(list(texts[i:i + self.batch_size]), truncation=True, max_length=self.max_length,
                                     padding=True, return_tensors="pt")
                out += [self.id2label[j] for j in self.model(**enc).logits.argmax(-1).tolist()]
        return out
