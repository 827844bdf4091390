"""The Space's IMHI analysis: a post, a task and an aspect in; the crisis notice, the answer and a label badge out.

The label comes from the published classifiers as the metric uses them (``infer_label``), or from
the parser alone, said so on the badge, where the Space cannot reach them.
"""

from __future__ import annotations

import html
import logging

from ..errors import UserError
from ..evaluation.labels import ClassifiersNotFound, make_labeler
from .bank import AdapterBank
from .chat import analysis_input_ids, analysis_query, check_input, task_aspects
from .respond import FAILURE, WARNING, clamped_sampling
from .safety import crisis_notice, detect_crisis

logger = logging.getLogger("phyassist.space")  # the Space's log lines, under one name
UNAVAILABLE = '<span class="phy-badge phy-badge-none" id="label-badge">label: unavailable</span>'


def infer_label(task: str, answer: str, query: str | None = None) -> tuple[str | None, str]:
    """(label, how): the published classifiers as the metric uses them; the parser alone, said so on the
    badge, when this Space cannot reach them."""
    try:
        labeler = make_labeler(task, "learned")
    except ClassifiersNotFound:
        labeler = make_labeler(task, "strict")
    return labeler([answer], [query])[0], labeler.method


def label_badge(label: str | None, method: str = "learned") -> str:
    """The badge HTML of an inferred label (``UNAVAILABLE`` when inference failed)."""
    how = " (parser only)" if method == "strict" else ""
    if label is None:
        text, kind = f"label: unparsed{how}", "none"
    else:
        text, kind = f"label: {label}{how}", "ok"
    return f'<span class="phy-badge phy-badge-{kind}" id="label-badge">{html.escape(text)}</span>'


def make_analyze(bank: AdapterBank, generate):
    def analyze(post, task, aspect, adapter, temperature, top_p, max_new_tokens):
        """Yield (crisis notice, answer so far, label badge HTML); the badge comes with the last answer.

        A post that trips the crisis screen is still analysed, with the resources shown above.
        """
        try:
            text = check_input(post, "post")
            if text is None:
                yield "", "", ""
                return
            if task_aspects(task) and not aspect:
                aspect = task_aspects(task)[0]
            query = analysis_query(task, text, aspect or None)
            adapter = bank.check(adapter)
        except UserError as error:
            yield "", WARNING + bank.scrub(str(error)), ""
            return
        notice = crisis_notice() if detect_crisis(text) else ""
        if notice:
            logger.info("Crisis screen fired on an analysed post.")
            yield notice, "", ""
        answer = ""
        try:
            ids = analysis_input_ids(bank.tokenizer, query)
            for answer in generate(adapter, ids, clamped_sampling(temperature, top_p, max_new_tokens)):
                yield notice, answer, ""
        except UserError as error:
            yield notice, WARNING + bank.scrub(str(error)), ""
            return
        except Exception:
            logger.exception("Analysis failed")
            yield notice, FAILURE, ""
            return
        try:
            label, method = infer_label(task, answer, query=query)
            yield notice, answer, label_badge(label, method)
        except Exception:  # the answer stands; only the badge is missing
            logger.exception("Label inference failed")
            yield notice, answer, UNAVAILABLE

    return analyze
