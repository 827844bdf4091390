"""IMHI analysis (phyassist.serve.analyze) on a tiny random Llama with two adapters: the adapter chosen
answers the task's question, the badge is the label inferred from that answer, crisis posts get resources."""

from __future__ import annotations

import pytest
from test_bank import two_adapter_bank

from phyassist.serve.analyze import infer_label, label_badge, make_analyze
from phyassist.serve.bank import BASE_CHOICE, SpaceConfig
from phyassist.serve.chat import analysis_input_ids, analysis_query, stream_generate, task_aspects
from phyassist.serve.respond import FAILURE, clamped_sampling, make_generate
from phyassist.serve.safety import crisis_notice

GREEDY = (0.0, 0.9, 8)  # temperature, top_p, max_new_tokens
POST = "I haven't left my room in weeks and nothing feels worth doing."


@pytest.fixture(scope="module")
def bank(tiny_llama_dir, tmp_path_factory):
    return two_adapter_bank(tiny_llama_dir, tmp_path_factory.mktemp("analyze"))


@pytest.fixture(scope="module")
def analyze(bank):
    return make_analyze(bank, make_generate(bank, SpaceConfig()))


def direct(bank, adapter, query):
    ids = analysis_input_ids(bank.tokenizer, query)
    return list(stream_generate(bank, adapter, ids, clamped_sampling(*GREEDY)))[-1]


def test_the_adapter_chosen_answers_and_the_badge_is_its_label(bank, analyze):
    query = analysis_query("DR", POST)
    expected = {name: direct(bank, name, query) for name in ("one", "two", None)}
    assert len(set(expected.values())) == 3, expected
    for choice, name in (("one", "one"), ("two", "two"), (BASE_CHOICE, None)):
        steps = list(analyze(POST, "DR", None, choice, *GREEDY))
        notice, answer, badge = steps[-1]
        assert (notice, answer) == ("", expected[name]), choice
        assert badge == label_badge(*infer_label("DR", answer, query)), choice
        assert all(b == "" for _, _, b in steps[:-1])  # the badge comes with the last answer only


def test_a_task_with_aspects_defaults_to_its_first(bank, analyze):
    first = task_aspects("MultiWD")[0]
    _, answer, _ = list(analyze(POST, "MultiWD", None, "one", *GREEDY))[-1]
    assert answer == direct(bank, "one", analysis_query("MultiWD", POST, first))
    _, other, _ = list(analyze(POST, "MultiWD", "physical", "one", *GREEDY))[-1]
    assert other == direct(bank, "one", analysis_query("MultiWD", POST, "physical"))


def test_a_crisis_post_is_analysed_with_the_resources_above(bank, analyze):
    post = "I want to end my life. Everyone would be better off without me."
    steps = list(analyze(post, "DR", None, "two", *GREEDY))
    assert steps[0] == (crisis_notice(), "", "")
    assert steps[-1][:2] == (crisis_notice(), direct(bank, "two", analysis_query("DR", post)))


def test_errors_are_one_line_and_an_empty_post_is_ignored(bank, analyze):
    assert list(analyze("  ", "DR", None, "one", *GREEDY)) == [("", "", "")]
    assert list(analyze("x" * 5000, "DR", None, "one", *GREEDY)) == [
        ("", "\u26a0\ufe0f Your post is 5,000 characters long; the limit is 4,000. Please shorten it and send it again.",
         "")]
    _, unknown, _ = list(analyze(POST, "DR", None, "nope", *GREEDY))[-1]
    assert unknown.startswith("\u26a0\ufe0f unknown adapter 'nope'")
    _, aspect, _ = list(analyze(POST, "Irf", "nonsense", "one", *GREEDY))[-1]
    assert aspect.startswith("\u26a0\ufe0f task Irf needs an aspect")


def test_a_failed_generation_says_so_without_a_badge(bank):
    def broken(adapter, input_ids, sampling):
        raise RuntimeError("the device fell over")
        yield

    assert list(make_analyze(bank, broken)(POST, "DR", None, "one", *GREEDY)) == [("", FAILURE, "")]


def test_without_classifiers_the_parser_labels_and_the_badge_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PHYASSIST_CACHE", str(tmp_path / "cache"))  # no classifiers cached or built before
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(tmp_path / "no-data"))  # and no training data to build them from
    assert infer_label("DR", "Yes, the poster suffers from depression. Reasoning: x.") == ("yes", "strict")
    assert infer_label("DR", "I cannot tell.") == (None, "strict")
    assert label_badge("yes", "strict") == ('<span class="phy-badge phy-badge-ok" id="label-badge">'
                                            "label: yes (parser only)</span>")
    assert label_badge(None, "learned") == '<span class="phy-badge phy-badge-none" id="label-badge">label: unparsed</span>'
    assert "&lt;b&gt;" in label_badge("<b>", "learned")
