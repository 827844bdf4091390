"""Training rows (phyassist.train.splits): label-balanced sampling, decontamination and what the report says."""

from __future__ import annotations

import pytest
from conftest import tiny_train_config

from phyassist.errors import UserError

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _data_env(data_dir, monkeypatch):
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))


def test_balanced_subsample_takes_labels_in_turn():
    from datasets import Dataset

    from phyassist.train.splits import balanced_subsample

    ds = Dataset.from_dict({"label": ["no"] * 30 + ["yes"] * 10, "i": list(range(40))})
    for n, want in ((16, {"no": 8, "yes": 8}), (30, {"no": 20, "yes": 10}), (None, {"no": 30, "yes": 10})):
        sample = balanced_subsample(ds, n, seed=3)
        assert {k: sample["label"].count(k) for k in ("no", "yes")} == want
        assert len(set(sample["i"])) == len(sample)  # no row twice
    assert balanced_subsample(ds, 16, seed=3)["i"] == balanced_subsample(ds, 16, seed=3)["i"]
    assert balanced_subsample(ds, 16, seed=3)["i"] != balanced_subsample(ds, 16, seed=4)["i"]


def test_balance_labels_evens_the_train_sample_and_says_so(tiny_llama_dir, smol_tokenizer, tmp_path):
    """MultiWD's rows are mostly "no"; balance_labels=true samples yes and no equally and notes it."""
    from collections import Counter

    from phyassist.data.prepare import prepare_dataset
    from phyassist.evaluation.labels import parse_label
    from phyassist.train.splits import prepare_splits

    full = prepare_dataset("MultiWD", seed=42)[0]["train"]
    assert Counter(full["label"])["no"] > Counter(full["label"])["yes"]  # the premise
    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "o", max_train_examples=40, max_chars=None, balance_labels=True)
    train_ds, _, _, report = prepare_splits(cfg, smol_tokenizer)
    note = next(n for n in report["notes"] if n.startswith("label-balanced sample"))
    assert note == f"label-balanced sample of 40 of {len(full)} train rows: no 20, yes 20"
    # what the model is trained to answer: the gold label each completion states
    answers = Counter(parse_label("MultiWD", c[-1]["content"]) for c in train_ds["completion"])
    dropped = report["training"]["dropped_too_long"]["train"]
    assert sum(answers.values()) == len(train_ds) == 40 - dropped and None not in answers
    assert min(answers["yes"], answers["no"]) >= 20 - dropped


def test_training_drops_test_posts_and_its_data_report_and_card_say_so(tiny_llama_dir, tmp_path, monkeypatch):
    """Training prepares its rows through `data prepare`'s decontamination: a dreaddit train post that is also in
    Irf's and CAMS's test files (other answers, case, white space) and a validation post of the expert set are not
    trained or validated on, and data_report.json and the model card count them."""
    import json

    from conftest import FIXTURES, imhi_results

    from phyassist.hub.cards import build_card
    from phyassist.train.trainer import train

    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(FIXTURES / "imhi_overlap"))
    out = tmp_path / "run"
    result = train(tiny_train_config(tiny_llama_dir, out, dataset="dreaddit", max_steps=1, warmup_steps=0))
    assert result.summary["train_rows"] == 4 and result.summary["validation_rows"] == 2
    report = json.loads((out / "data_report.json").read_text())
    assert report["dropped_by_split"]["train"] == {"test_overlap": 2}
    assert report["dropped_by_split"]["validation"] == {"test_overlap": 1}
    assert report["test_overlap"]["dropped"] == {"train": {"dreaddit": 2}, "validation": {"dreaddit": 1}}
    card = str(build_card(out, imhi_results(("dreaddit",)), imhi_results(("dreaddit",), offset=5), repo_id="a/b",
                          dataset="dreaddit"))
    assert "- test_overlap: 3" in card
    assert "**Decontamination:** 3 rows (train: dreaddit 2; validation: dreaddit 1)" in card


def test_answers_can_be_cut_to_their_first_words():
    from phyassist.train.splits import to_prompt_completion

    row = {"messages": [{"role": "user", "content": "Consider this post: ..."},
                        {"role": "assistant", "content": "No, the post does not show it. Reasoning: the poster talks about work."}]}
    whole = to_prompt_completion(row)
    cut = to_prompt_completion(row, answer_max_words=6)
    assert whole["completion"][0]["content"] == row["messages"][1]["content"]
    assert cut["completion"][0]["content"] == "No, the post does not show"
    assert cut["prompt"] == whole["prompt"] == row["messages"][:1]
    assert row["messages"][1]["content"].endswith("work.")  # the dataset row itself is untouched


def test_reasoning_is_cut_to_whole_sentences():
    from phyassist.train.splits import cut_answer, to_prompt_completion

    answer = ('No, the post does not show it. Reasoning: The poster talks about work (e.g. "deadlines"). '
              'Dr. Lee is named once! Nothing is said about "faith." The rest is about sleep.')
    assert cut_answer(answer, reasoning_sentences=1) == \
        'No, the post does not show it. Reasoning: The poster talks about work (e.g. "deadlines").'
    assert cut_answer(answer, reasoning_sentences=3) == ('No, the post does not show it. Reasoning: The poster talks '
                                                         'about work (e.g. "deadlines"). Dr. Lee is named once! '
                                                         'Nothing is said about "faith."')
    assert cut_answer(answer, reasoning_sentences=9) == answer
    # no "Reasoning:" part (counsel-chat): the answer stays whole
    assert cut_answer("Try this. Then that. And more.", reasoning_sentences=1) == "Try this. Then that. And more."
    row = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": answer}]}
    assert to_prompt_completion(row, reasoning_max_sentences=2)["completion"][0]["content"].endswith("named once!")


def test_a_numbered_reasoning_counts_its_items_not_their_numbers():
    from phyassist.train.splits import cut_answer

    answer = ("Yes, the post shows this risk. Reasoning: 1. The poster feels like a burden to the family. "
              "2. They say nobody would notice if they were gone. 3. They feel alone. 10. Last.")
    assert cut_answer(answer, reasoning_sentences=2) == (
        "Yes, the post shows this risk. Reasoning: 1. The poster feels like a burden to the family. "
        "2. They say nobody would notice if they were gone.")
    assert cut_answer(answer, reasoning_sentences=3).endswith("3. They feel alone.")


def test_balance_tasks_takes_the_tasks_of_a_mixture_in_turn():
    from datasets import Dataset

    from phyassist.train.splits import balanced_subsample

    ds = Dataset.from_dict({"task": ["SAD"] * 50 + ["Irf"] * 5 + ["DR"] * 10, "label": ["x"] * 65})
    picked = balanced_subsample(ds, 24, seed=0, by="task")
    counts = {t: picked["task"].count(t) for t in ("SAD", "Irf", "DR")}
    # turns go DR, Irf, SAD (sorted); Irf runs out at 5, DR and SAD share the rest, DR first
    assert counts == {"SAD": 9, "Irf": 5, "DR": 10}
    assert picked["task"] != sorted(picked["task"])  # seeded shuffled order, not grouped


def test_balance_labels_and_balance_tasks_together_balance_each_tasks_labels():
    from datasets import Dataset

    from phyassist.train.splits import balanced_subsample

    ds = Dataset.from_dict({"task": ["SAD"] * 60 + ["DR"] * 40,
                            "label": ["a"] * 50 + ["b"] * 10 + ["yes"] * 5 + ["no"] * 35})
    picked = balanced_subsample(ds, 32, seed=0, by=("task", "label"))
    counts = {key: list(zip(picked["task"], picked["label"])).count(key)
              for key in (("SAD", "a"), ("SAD", "b"), ("DR", "yes"), ("DR", "no"))}
    # the tasks in turn (16 rows each), each task's labels in turn within it: DR yes runs out at 5, DR no
    # takes the rest of DR's share (SAD's nine labels would otherwise outnumber DR's two)
    assert counts == {("SAD", "a"): 8, ("SAD", "b"): 8, ("DR", "yes"): 5, ("DR", "no"): 11}


def test_both_balances_note_each_tasks_labels(tiny_llama_dir, smol_tokenizer, tmp_path):
    from phyassist.train.splits import prepare_splits

    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "o", dataset="final", max_train_examples=60, max_chars=None,
                            balance_labels=True, balance_tasks=True)
    report = prepare_splits(cfg, smol_tokenizer)[3]
    note = next(n for n in report["notes"] if n.startswith("task and label-balanced sample of 60 of"))
    assert "MultiWD no " in note and "MultiWD yes " in note and "Irf " in note and "SAD " in note


def test_task_weights_give_a_task_that_share_of_the_sample():
    from datasets import Dataset

    from phyassist.train.splits import balanced_subsample

    ds = Dataset.from_dict({"task": ["SAD"] * 60 + ["DR"] * 40 + ["Irf"] * 8,
                            "label": ["a", "b", "c"] * 20 + ["yes", "no"] * 20 + ["yes"] * 8})
    picked = balanced_subsample(ds, 40, seed=0, by=("task", "label"), weights={"DR": 2})
    tasks = {t: picked["task"].count(t) for t in ("SAD", "DR", "Irf")}
    # turns of DR 2, Irf 1, SAD 1 until Irf runs out at 8 (32 rows), then DR 2, SAD 1
    assert tasks == {"SAD": 10, "DR": 22, "Irf": 8}
    dr = [lab for t, lab in zip(picked["task"], picked["label"]) if t == "DR"]
    assert abs(dr.count("yes") - dr.count("no")) <= 1
    # a fractional weight: 1.5 rows a turn
    picked = balanced_subsample(ds, 50, seed=0, by="task", weights={"SAD": 1.5})
    assert {t: picked["task"].count(t) for t in ("SAD", "DR", "Irf")} == {"SAD": 25, "DR": 17, "Irf": 8}


@pytest.mark.parametrize("pair", ["MultiWD", "MultiWD=0", "MultiWD=-1", "=2", "MultiWD=two", "MultiWD=inf"])
def test_a_malformed_task_weight_is_one_line(tiny_llama_dir, tmp_path, pair):
    with pytest.raises(UserError) as e:
        tiny_train_config(tiny_llama_dir, tmp_path / "o", dataset="final", task_weights=[pair])
    assert str(e.value) == (f"`task_weights`: expected TASK=WEIGHT with a positive number (e.g. MultiWD=2), got {pair!r}.")


def test_task_weights_name_the_datasets_tasks_and_imply_task_balance(tiny_llama_dir, smol_tokenizer, tmp_path):
    from phyassist.train.splits import prepare_splits

    cfg = tiny_train_config(tiny_llama_dir, tmp_path / "o", dataset="final", max_train_examples=60, max_chars=None,
                            task_weights="MultiWD=2")
    assert cfg.balance_tasks and cfg.task_weights == ["MultiWD=2"]
    note = next(n for n in prepare_splits(cfg, smol_tokenizer)[3]["notes"] if "task weights MultiWD 2" in n)
    assert note.startswith("task-balanced sample (task weights MultiWD 2) of 60 of")
    bad = tiny_train_config(tiny_llama_dir, tmp_path / "p", dataset="final", task_weights={"Multiwd": 2})
    with pytest.raises(UserError) as e:
        prepare_splits(bad, smol_tokenizer)
    assert str(e.value) == "`task_weights`: dataset 'final' has no task 'Multiwd'; its tasks: Irf, MultiWD, SAD"
