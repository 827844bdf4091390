"""Running label inference: the parser then a classifier, rows kept in line, bad input, the method by name."""

from __future__ import annotations

import pytest

from phyassist.errors import UserError
from phyassist.evaluation.labels.labeler import infer_label, infer_labels, make_labeler
from phyassist.evaluation.labels.learned import LabelClassifier
from phyassist.evaluation.labels.strict import parse_label


@pytest.mark.parametrize("bad", [None, 3, 4.5, ["yes"], b"yes"])
def test_non_strings_are_unparsed_not_errors(bad):
    assert infer_label("DR", bad, method="strict") is None
    assert infer_labels("DR", [bad], classifier=LabelClassifier("DR", ["x"], [1.0], [[1.0]], [0.0], ["no", "yes"], {})) == [None]


def test_unknown_task_is_a_clear_error():
    with pytest.raises(UserError, match="unknown IMHI task 'nope'"):
        infer_label("nope", "yes")


def test_rows_stay_aligned_with_unparsed_ones():
    texts = ["yes", None, "", "no", 7, "No, the poster does not suffer from depression."]
    assert infer_labels("DR", texts) == ["yes", None, None, "no", None, "no"]
    with pytest.raises(UserError, match="queries and texts differ in length"):
        infer_labels("DR", texts, ["q"])


def test_tasks_without_training_data_use_the_parser_only():
    labeler = make_labeler("CAMS")  # needs no classifier set: there is none for CAMS on any machine
    assert labeler.info == {"label_method": "strict", "label_classifier": "none (CAMS has no training data)"}
    assert labeler(["The poster talks about their boss a lot."]) == [None]


def test_classifier_used_when_parser_fails(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    text = ("Reasoning: the post describes constant worry about exams, sleepless nights and feeling "
            "overwhelmed by deadlines, which are clear signs of stress.")
    assert parse_label("dreaddit", text) is None
    assert infer_label("dreaddit", text) == "yes"
    assert infer_label("dreaddit", text, query="Question: Does the poster suffer from stress?") == "yes"
