"""Reading a verdict stated in other words before the reasoning: phrasings, negation, hedges, aspects."""

from __future__ import annotations

import pytest

from phyassist.evaluation.labels import parse_label
from phyassist.evaluation.labels.statement import canon, head_of, read_statement


@pytest.mark.parametrize("task, text, expected", [
    ("DR", "The poster suffers from depression. Reasoning: they feel empty.", "yes"),
    ("DR", "Based on the post, the poster suffers from depression.", "yes"),
    ("DR", "The poster does not appear to suffer from depression.", "no"),
    ("DR", "The poster doesn't suffer from depression; they are busy.", "no"),
    ("dreaddit", "From the post, the poster suffers from stress", "yes"),
    ("loneliness", "The poster never suffers from loneliness here.", "no"),
    ("SAD", "This post shows the stress cause related to financial problems.", "financial problem"),
    ("SAD", "The stress cause of this post is related to work.", "work"),
    ("SAD", "The post shows the stress cause related to family issue.", "family issues"),
    ("SAD", "This post shows the stress cause related to work and school.", "work"),
    ("CAMS", "This post shows causes of depression related to jobs and careers.", "jobs and career"),
    ("swmh", "This post shows mental disorder symptoms related to bipolar disorder.", "bipolar disorder"),
    ("t-sid", "This post shows no mental disorders.", "no mental disorders"),
])
def test_reads_verdicts_in_other_words(task, text, expected):
    assert read_statement(task, text) == expected
    assert parse_label(task, text) == expected  # the parser falls back to it


@pytest.mark.parametrize("task, text", [
    ("DR", "It is unclear whether the poster suffers from depression."),  # hedged
    ("DR", "The poster might suffer from depression."),
    ("DR", "I do not know."),
    ("DR", "The post talks about exams. Later the poster suffers from depression."),  # not in the head
    ("MultiWD", "The emotional wellness dimension exists in the post."),  # may not be the dimension asked
    ("Irf", "The post does not show the risk of perceived burdensomeness."),
    ("SAD", "The post mentions stressful office work as a cause of stress."),  # a mention, not the verdict
    ("SAD", "The poster is worried about work."),  # no verdict wording at all
    ("SAD", "This post may show the stress cause related to work."),
    ("SAD", "The stress cause is not related to work."),  # negated
    ("DR", ""), ("DR", None), ("DR", 12),
])
def test_leaves_what_it_cannot_read_to_the_classifier(task, text):
    assert read_statement(task, text) is None


def test_normalisation_and_head():
    assert canon("This post doesn't show the stress causes") == ["post", "doe", "not", "show", "stress", "cause"]
    assert head_of("Yes, it does. Reasoning: long text. More.") == "Yes, it does. "
    assert head_of("No label here. Second sentence.") == "No label here"
