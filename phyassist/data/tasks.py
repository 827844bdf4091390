"""The IMHI task registry: label sets, gold label sentences and the release's file layout.

Each IMHI gold response reads ``"<label sentence>. Reasoning: <explanation>"`` (instruction variant)
or ``"<answer>. Reasoning: ..."`` (completion variant). This module knows, for every task, its labels
in a fixed order, the exact sentence or answer that states each label, and where its files live in
the MentalLLaMA release, and the question the release asks about a post. It maps *gold* responses to labels exactly; inferring labels from
*generated* text (fuzzy, learned) is ``phyassist.evaluation.labels``'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import UserError

VARIANTS = ("instruction", "complete")
# test gold explanations: ChatGPT-written (the release's test_instruction) or expert-written (35 per task)
TEST_SETS = ("instruction", "expert")
# what separates an answer's label sentence from its explanation
REASONING_MARKER = "Reasoning:"


@dataclass(frozen=True)
class ImhiTask:
    name: str
    description: str
    # label -> the sentence the instruction-variant gold response starts with (without final '.')
    sentences: dict[str, str]
    # label -> the answer the completion-variant gold response starts with (without final '.')
    answers: dict[str, str]
    has_train: bool
    # release file names under train_data/<variant>_data/<task>/ for train and validation
    train_files: dict[str, dict[str, str]] = field(default_factory=dict)
    # extra accepted gold phrasings, normalised, label -> phrases
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the question the release asks, or (Irf, MultiWD) one question per aspect asked separately
    question: str | dict[str, str] = ""

    @property
    def aspects(self) -> list[str]:
        """The aspects a task asks about separately (Irf's risks, MultiWD's dimensions); [] for the others."""
        return list(self.question) if isinstance(self.question, dict) else []

    @property
    def labels(self) -> list[str]:
        return list(self.sentences)

    @property
    def binary(self) -> bool:
        return set(self.sentences) == {"yes", "no"}

    def gold_label(self, response: str, variant: str = "instruction") -> str | None:
        """The label a gold response states, or None when it states none of this task's labels."""
        head = normalize(str(response).split(REASONING_MARKER)[0])
        table = {**{normalize(s): k for k, s in self.sentences.items()},
                 **{normalize(s): k for k, s in self.answers.items()}}
        for label, phrases in self.aliases.items():
            table.update({normalize(p): label for p in phrases})
        if head in table:
            return table[head]
        if self.binary and variant == "complete":
            first = re.match(r"(yes|no)\b", head)
            if first:
                return first.group(1)
        return None


def normalize(text: str) -> str:
    """Lower-case, collapse white space, drop surrounding punctuation."""
    text = re.sub(r"\s+", " ", str(text)).strip().lower()
    return text.strip(" .,:;!\"'")


def _yes_no(yes: str, no: str) -> dict[str, str]:
    return {"no": no, "yes": yes}


_STD = {"instruction": {"train": "train.csv", "validation": "val.csv"},
        "complete": {"train": "train.csv", "validation": "val.csv"}}

TASKS: dict[str, ImhiTask] = {
    t.name: t
    for t in [
        ImhiTask(
            "DR", "depression detection (Reddit)",
            _yes_no("Yes, the poster suffers from depression", "No, the poster does not suffer from depression"),
            {"no": "no", "yes": "yes"}, True,
            {"instruction": _STD["instruction"],
             "complete": {"train": "reddit_train.csv", "validation": "reddit_valid.csv"}},
            question="Does the poster suffer from depression?",
        ),
        ImhiTask(
            "dreaddit", "stress detection (Reddit)",
            _yes_no("Yes, the poster suffers from stress", "No, the poster does not suffer from stress"),
            {"no": "no", "yes": "yes"}, True,
            {"instruction": _STD["instruction"],
             "complete": {"train": "dreaddit-train.csv", "validation": "val.csv"}},
            question="Does the poster suffer from stress?",
        ),
        ImhiTask(
            "Irf", "interpersonal risk factors: thwarted belongingness and perceived burdensomeness",
            _yes_no("Yes, the post shows this risk", "No, the post does not show this risk"),
            {"no": "no", "yes": "yes"}, True, _STD,
            question={
                "thwarted belongingness": "Does the post show risk of thwarted belongingness?",
                "perceived burdensomeness": "Does the post show risk of perceived burdensomeness?",
            },
        ),
        ImhiTask(
            "MultiWD", "wellness dimensions (Dunn's model)",
            _yes_no("Yes, this wellness dimension exists in the post",
                    "No, this wellness dimension does not exist in the post"),
            {"no": "no", "yes": "yes"}, True, _STD,
            question={dim: f"Does the {dim} wellness dimension exist in the post?"
                      for dim in ("emotional", "social", "vocational", "physical", "intellectual", "spiritual")},
        ),
        ImhiTask(
            "SAD", "causes of stress",
            {
                "school": "This post shows the stress cause related to school",
                "financial problem": "This post shows the stress cause related to financial problem",
                "family issues": "This post shows the stress cause related to family issues",
                "social relationships": "This post shows the stress cause related to social relationships",
                "work": "This post shows the stress cause related to work",
                "health issues": "This post shows the stress cause related to health issues",
                # the release spells it "emotion turmoil" in instruction data, "emotional" in completions
                "emotional turmoil": "This post shows the stress cause related to emotion turmoil",
                "everyday decision making": "This post shows the stress cause related to everyday decision making",
                "other causes": "This post shows other stress causes",
            },
            {
                "school": "school", "financial problem": "financial problem", "family issues": "family issues",
                "social relationships": "social relationships", "work": "work", "health issues": "health issues",
                "emotional turmoil": "emotional turmoil", "everyday decision making": "everyday decision making",
                "other causes": "other causes",
            },
            True, _STD,
            aliases={"emotional turmoil": ("This post shows the stress cause related to emotional turmoil",)},
            question="What is the stress cause of this post?",
        ),
        ImhiTask(
            "CAMS", "causes of depression",
            {
                "none": "This post shows no causes of depression",
                "bias or abuse": "This post shows causes of depression related to bias or abuse",
                "jobs and career": "This post shows causes of depression related to jobs and career",
                "medication": "This post shows causes of depression related to medication",
                "relationship": "This post shows causes of depression related to relationship",
                "alienation": "This post shows causes of depression related to alienation",
            },
            {"none": "none", "bias or abuse": "bias or abuse", "jobs and career": "jobs and career",
             "medication": "medication", "relationship": "relationship", "alienation": "alienation"},
            False,
            question="What cause of depression does this post show?",
        ),
        ImhiTask(
            "loneliness", "loneliness detection",
            _yes_no("Yes, the poster suffers from loneliness", "No, the poster does not suffer from loneliness"),
            {"no": "no", "yes": "yes"}, False,
            question="Does the poster suffer from loneliness?",
        ),
        ImhiTask(
            "t-sid", "mental disorder detection: suicide, depression, PTSD",
            {
                "no mental disorders": "This post shows no mental disorders",
                "suicide or self-harm tendency": "This post shows suicide or self-harm tendency",
                "depression": "This post shows depression",
                "ptsd": "This post shows PTSD",
            },
            {"no mental disorders": "no mental disorders",
             "suicide or self-harm tendency": "suicide or self-harm tendency",
             "depression": "depression", "ptsd": "ptsd"},
            False,
            question="What mental disorder does this post show?",
        ),
        ImhiTask(
            "swmh", "mental disorder detection: suicide, depression, anxiety, bipolar disorder",
            # the release's (and the expert set's) sentences; t-sid's phrasing is accepted as well
            {
                "no mental disorders": "This post shows no mental disorder symptoms",
                "suicide or self-harm tendency": "This post shows mental disorder symptoms related to suicide",
                "depression": "This post shows mental disorder symptoms related to depression",
                "anxiety": "This post shows mental disorder symptoms related to anxiety",
                "bipolar disorder": "This post shows mental disorder symptoms related to bipolar disorder",
            },
            {"no mental disorders": "no mental disorders",
             "suicide or self-harm tendency": "suicide or self-harm tendency",
             "depression": "depression", "anxiety": "anxiety", "bipolar disorder": "bipolar disorder"},
            False,
            aliases={"no mental disorders": ("this post shows no mental disorders",),
                     "suicide or self-harm tendency": ("this post shows suicide or self-harm tendency",
                                                       "suicide"),
                     "depression": ("this post shows depression",),
                     "anxiety": ("this post shows anxiety",),
                     "bipolar disorder": ("this post shows bipolar disorder", "bipolar")},
            question="What mental disorder does this post show?",
        ),
    ]
}

TRAIN_TASKS = [n for n, t in TASKS.items() if t.has_train]


def get_task(name: str) -> ImhiTask:
    """Look a task up by name, case-insensitively, or raise a one-line error listing the choices."""
    for key, task in TASKS.items():
        if key.lower() == str(name).lower():
            return task
    raise UserError(f"unknown IMHI task {name!r}; expected one of: {', '.join(TASKS)}")


def test_file(variant: str = "instruction", test_set: str = "instruction") -> str:
    """Relative path template of a task's test file inside the IMHI release; the expert-written
    explanations (``test_set="expert"``) exist for the instruction variant only."""
    check_variant(variant)
    check_test_set(test_set)
    if test_set == "expert":
        if variant != "instruction":
            raise UserError(f"the expert test set has instruction-variant files only, not {variant!r}")
        return "test_data/test_instruction_expert/{task}.csv"
    return f"test_data/test_{variant}/{{task}}.csv"


def check_test_set(test_set: str) -> str:
    if test_set not in TEST_SETS:
        raise UserError(f"`test_set` must be one of {', '.join(TEST_SETS)}, got {test_set!r}")
    return test_set


def split_file(task: ImhiTask, split: str, variant: str = "instruction", test_set: str = "instruction") -> str | None:
    """Relative path of a task's split inside the IMHI release, or None when the task has none."""
    check_variant(variant)
    if split == "test":
        return test_file(variant, test_set).format(task=task.name)
    if not task.has_train:
        return None
    name = task.train_files[variant][split]
    return f"train_data/{variant}_data/{task.name}/{name}"


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise UserError(f"`variant` must be one of {', '.join(VARIANTS)}, got {variant!r}")
    return variant
