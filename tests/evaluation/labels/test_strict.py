"""The strict parser: whole words and phrases at the start of the answer, the longest one winning."""

from __future__ import annotations

import pytest

from phyassist.evaluation.labels.strict import parse_label


@pytest.mark.parametrize("text, task, expected", [
    ("I do not know.", "DR", None),
    ("Not sure, the post is vague.", "DR", None),
    ("No. Reasoning: the post is about homework.", "DR", "no"),
    ("no", "dreaddit", "no"),
    ("YES, the poster suffers from stress.", "dreaddit", "yes"),
    ("\n\n  Yes.\nReasoning: ...", "Irf", "yes"),
    ("Answer: no", "MultiWD", "no"),
    ("Yesterday I was sad", "DR", None),
    ("Nobody knows", "DR", None),
    ("there is no mention of work, but family issues are central", "SAD", None),
    ("This post shows the stress cause related to emotion turmoil.", "SAD", "emotional turmoil"),
    ("This post shows the stress cause related to emotional turmoil.", "SAD", "emotional turmoil"),
    ("this post shows the stress cause related to work. Reasoning: family is mentioned", "SAD", "work"),
    ("Family issues. Reasoning: ...", "SAD", "family issues"),
    ("This post shows other stress causes", "SAD", "other causes"),
    ("This post shows no mental disorders.", "t-sid", "no mental disorders"),
    ("This post shows PTSD", "t-sid", "ptsd"),
    ("This post shows no causes of depression.", "CAMS", "none"),
    ("This post shows causes of depression related to jobs and career", "CAMS", "jobs and career"),
    ("", "DR", None),
    ("   \n", "DR", None),
])
def test_parser_tricky_cases(text, task, expected):
    assert parse_label(task, text) == expected


def test_parser_prefers_longest_phrase_not_first_keyword():
    assert parse_label("SAD", "Everyday decision making, not work.") == "everyday decision making"
    assert parse_label("t-sid", "Depression. Reasoning: no suicide") == "depression"
    # the phrases above match only at the start, so any order finds them; after "this post shows" two
    # label phrases both match the clause, and only longest-first picks the verdict over the later "work"
    assert parse_label("SAD", "This post shows everyday decision making at work") == "everyday decision making"
    assert parse_label("SAD", "This post shows family issues at work.") == "family issues"
