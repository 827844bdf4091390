"""The crisis screen: recall on held-out messages, quiet on idioms, denials and counsel-chat; normalisation,
languages, negation, conversations, the learned layer and the fixed reply."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from phyassist.serve.safety import (
    CRISIS_RESOURCES,
    DISCLAIMER,
    SAFE_REPLY,
    SCREEN_TURNS,
    crisis_notice,
    crisis_reply,
    detect_crisis,
    screen_conversation,
)
from phyassist.serve.safety import model as crisis_model
from phyassist.serve.safety.rules import match_rules
from phyassist.serve.safety.text import normalize

REPO = Path(__file__).resolve().parents[2]
TRAINING = REPO / "scripts" / "crisis_data"  # the build script's messages: the rules were tuned on them
HELDOUT = REPO / "benchmarks" / "crisis_data"  # written apart, never used to tune or train


def _benchmark_module(name: str):
    """A module of benchmarks/ (not a package), loaded by path."""
    spec = importlib.util.spec_from_file_location(f"phyassist_benchmarks_{name}", REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


crisis_eval = _benchmark_module("crisis_eval")
ordinary_questions, read_rows, screen_rows = crisis_eval.ordinary_questions, crisis_eval.read_rows, crisis_eval.screen_rows


def phrases(name: str) -> list[str]:
    return [line for line in (TRAINING / name).read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_recall_on_the_phrase_list_is_at_least_95_percent():
    positives = phrases("crisis_positive.txt") + phrases("crisis_heldout.txt")
    assert len(positives) >= 100
    missed = [p for p in positives if detect_crisis(p) is None]
    assert 1 - len(missed) / len(positives) >= 0.95, missed


def test_held_out_recall_is_at_least_90_percent():
    heldout = phrases("crisis_heldout.txt")
    missed = [p for p in heldout if detect_crisis(p) is None]
    assert 1 - len(missed) / len(heldout) >= 0.9, missed


def test_hard_negatives_rarely_fire():
    negatives = phrases("crisis_negative.txt")
    fired = [n for n in negatives if detect_crisis(n)]
    assert len(fired) / len(negatives) <= 0.05, fired


@pytest.mark.parametrize("text", ["I'm not suicidal, just tired", "I would never kill myself",
                                  "This commute is killing me", "I lost my cousin to suicide", ""])
def test_denials_idioms_and_empty_text_do_not_fire(text):
    assert detect_crisis(text) is None


def test_signal_names_the_phrase_and_survives_case_and_curly_apostrophes():
    signal = detect_crisis("Honestly I DON\u2019T want to live anymore.")
    assert signal is not None and "want to live" in signal.phrase


def test_notice_and_disclaimer():
    notice = crisis_notice()
    assert "988" in notice and "findahelpline.com" in notice and notice.startswith("> ###")
    assert "not a substitute for professional care" in DISCLAIMER


# --- the held-out set: written by someone else before any tuning, never used to tune or train ---

def test_held_out_messages_meet_the_targets():
    report = screen_rows(read_rows(HELDOUT / "heldout.jsonl"))
    assert report.n("crisis") >= 200 and report.n("safe", "idiom") >= 70
    recall = 1 - len(report.misses) / report.n("crisis")
    assert recall >= 0.90, [r.get("text") or r.get("turns") for r in report.misses]
    assert report.rate("safe", "idiom") <= 0.20
    for language in ("es", "fr", "de", "pt"):
        rows = [r for r in read_rows(HELDOUT / "heldout.jsonl") if r["label"] == "crisis" and r["lang"] == language]
        assert len(rows) >= 10 and screen_rows(rows).rate("crisis") >= 0.8, language


def test_ordinary_chat_messages_written_apart_rarely_fire():
    """There a false alarm replaces the model's answer with the fixed reply."""
    rows = read_rows(HELDOUT / "heldout_chat.jsonl")
    assert len(rows) >= 250
    fired = [r["text"] for r in rows if detect_crisis(r["text"])]
    assert len(fired) / len(rows) <= 0.05, fired


def test_ordinary_counsel_chat_questions_rarely_fire(data_dir):
    questions = ordinary_questions(data_dir / "counsel-chat" / "20200325_counsel_chat.csv")
    assert len(questions) > 700
    rate = sum(detect_crisis(q) is not None for q in questions) / len(questions)
    assert rate <= 0.02, rate


# --- normalisation: spelling tricks do not hide a word ---

@pytest.mark.parametrize("text", [
    "s u i c i d e", "s.u.i.c.i.d.e is all I think about", "k1ll mys3lf", "su1c1d@l",
    "\uff49 \uff57\uff41\uff4e\uff54 \uff54\uff4f \uff44\uff49\uff45",  # full-width
    "i want to d\u200bi\u200be", "i want to kill m\u0443self",  # zero-width, Cyrillic u
    "\u026a \u1d21\u1d00\u0274\u1d1b \u1d1b\u1d0f \u1d05\u026a\u1d07",  # small capitals
    "I want to k i l l myself", "I wanna diiiie",
])
def test_tricks_are_undone(text):
    assert detect_crisis(text) is not None, normalize(text)


def test_normalize_keeps_ordinary_numbers_and_words():
    assert normalize("I ran 10k at 5am, 2nd place!") == "i ran 10k at 5am, 2nd place!"
    assert normalize("Ca\u0301fe\u0301  au   lait") == "cafe au lait"


def test_normalize_keeps_other_scripts_and_folds_latin_letters_without_accents():
    # look-alikes are mapped only inside words that mix them with Latin letters
    assert normalize("Я хочу умереть") == "я хочу умереть"
    assert normalize("kill m\u0443self") == "kill myself"
    assert normalize("Chcę umrzeć, łzy") == "chce umrzec, lzy" and normalize("ÖLMEK İSTİYORUM ı") == "olmek istiyorum i"
    assert normalize("死にたい") == "死にたい" and normalize("죽고 싶어") == "죽고 싶어"  # voicing marks and Hangul stay
    assert normalize("х о ч у у м е р е т ь") == "хочуумереть"  # letter-spacing in any script


def test_a_character_of_an_unspaced_script_counts_as_a_word():
    from phyassist.serve.safety.model import word_count

    assert [word_count(t) for t in ("我想死", "不想活了", "죽고 싶어", "yes, tonight")] == [3, 4, 4, 2]


# --- idioms and negation ---

@pytest.mark.parametrize("text", [
    "I cut myself shaving this morning", "that 10k killed me but I finished", "this hair dye is to die for",
    "we killed it at karaoke last night", "I'm dying to see the new movie", "my phone died again",
    "I'm so hungry I could die", "shoot me a text when you land", "me muero de risa con este video",
    "je meurs de faim", "ich sterbe vor Hunger", "estou morrendo de rir", "I'm not suicidal, just stressed about exams",
])
def test_idioms_and_sincere_denials_stay_quiet(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text", [
    "I can't say I'm not suicidal", "I wouldn't say I don't want to die",
    "I can't promise I won't hurt myself tonight", "it's not like I don't want to die",
])
def test_a_denial_inside_a_negating_frame_is_a_signal(text):
    assert detect_crisis(text) is not None


@pytest.mark.parametrize("text,language", [
    ("ya no quiero vivir, quiero morirme", "es"), ("je veux en finir avec la vie", "fr"),
    ("ich will nicht mehr leben", "de"), ("não aguento mais, quero morrer", "pt"),
    ("voglio farla finita", "it"), ("ik wil dood", "nl"),
])
def test_other_languages(text, language):
    signal = detect_crisis(text)
    assert signal is not None and signal.rule == language, (language, signal)


@pytest.mark.parametrize("text", [
    "ran 12 kms this morning, legs are dead lol", "the hotel is 3 kms from the beach", "what does kms mean?",
    'is "unalive" just a tiktok word?', "que significa kms en los mensajes?", "I'd rather die than do the dishes tonight",
    "prefiero morir que ir a otra reunion", "writing an essay on the theme of suicide in Anna Karenina",
    "explain Durkheim's theory of suicide for my exam", "the ending of Romeo and Juliet, such a tragic double suicide",
    "mi jefe me va a matar cuando vea este error", "i have stretch marks on my thighs after pregnancy",
    "my friend keeps saying she wants to die her hair pink",
])
def test_distances_slang_questions_chores_and_essays_stay_quiet(text):
    assert match_rules(normalize(text)) is None, match_rules(normalize(text))


@pytest.mark.parametrize("text", ["I'd rather die than go on like this", "i w a n t t o d i e",
                                  "c h c e u m r z e c", "kms for real this time"])
def test_the_quiet_senses_leave_their_crisis_twins_alone(text):
    assert match_rules(normalize(text)) is not None


@pytest.mark.parametrize("text,language", [
    ("chcę umrzeć", "pl"), ("ölmek istiyorum", "tr"), ("хочу умереть", "ru"), ("mujhe mar jana hai", "hi"),
    ("بدي موت", "ar"), ("我想死", "zh"), ("死にたい", "ja"), ("죽고 싶어", "ko"),
])
def test_short_first_person_wishes_in_more_languages(text, language):
    signal = detect_crisis(text)
    assert signal is not None and signal.rule == language, (language, signal)


@pytest.mark.parametrize("text", ["nie chcę umierać", "不想死", "想死你了！", "死にたいわけじゃない", "не хочу умереть"])
def test_their_denials_and_idioms_do_not_match(text):
    assert match_rules(normalize(text)) is None


def test_the_noun_suicide_alone_is_a_topic_the_learned_layer_weighs(monkeypatch):
    essay = "for my history class: was Hitler's death in the bunker a suicide?"
    assert match_rules(normalize(essay)) == ("topic", "suicide")
    assert match_rules(normalize("thinking about suicide again")) == ("intent", "thinking about suicide")
    crisis_model.shipped.cache_clear()
    assert detect_crisis(essay) is None  # the learned layer clears it
    assert detect_crisis("suicide.") is not None  # too short for the learned layer: the topic fires
    monkeypatch.setattr("phyassist.serve.safety.screen.shipped", lambda: None)
    assert detect_crisis(essay) is not None  # no learned layer: a topic hit fires


# --- conversations ---

def test_a_short_follow_up_after_a_crisis_message_still_fires():
    assert detect_crisis("yes, tonight") is None
    assert screen_conversation(["everyone would be better off without me", "yes, tonight"]) is not None


def test_only_the_recent_user_turns_are_screened():
    old = ["I want to kill myself"] + ["what should I cook for dinner?"] * SCREEN_TURNS
    assert screen_conversation(old) is None
    assert screen_conversation(old[1:] + ["I want to kill myself"]) is not None
    assert screen_conversation([]) is None and screen_conversation(["", None]) is None


def test_a_phrase_split_across_turns_is_read_across_them():
    assert screen_conversation(["I'm going to end it", "tonight"]) is not None


# --- the learned layer ---

def test_the_learned_layer_ships_and_loads_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    crisis_model.shipped.cache_clear()
    model = crisis_model.shipped()
    assert model is not None and model.info["format"] == crisis_model.FORMAT
    assert 0 < model.threshold < 1 and "heldout.jsonl" not in model.info["message_files"]
    assert "blind_dev.jsonl" in model.info["message_files"] and "messages.jsonl" not in model.info["message_files"]
    assert all(0 < t <= model.threshold for t in model.clear.values()) and "topic" in model.clear
    # it catches paraphrases no rule names, and scores an ordinary question low
    assert model.score("honestly everyone would move on just fine, i'm just so done with all of it") > \
        model.score("How can I help my teenage son with his homework stress?")


def test_the_shipped_model_is_what_the_build_script_makes(data_dir, tmp_path):
    import subprocess

    out = tmp_path / "crisis_model.npz"
    repo = Path(__file__).parents[2]
    subprocess.run([sys.executable, str(repo / "scripts" / "build_crisis_model.py"), "--data-dir", str(data_dir),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (repo / "phyassist" / "serve" / "safety" / "crisis_model.npz").read_bytes()


def test_model_layer_fires_where_rules_do_not():
    from phyassist.serve.safety.rules import match_rules

    model = crisis_model.shipped()
    fired = [t for t in ("I feel so empty and I just want it all to be over",
                         "I keep looking at the pills in the cabinet")
             if match_rules(normalize(t)) is None and detect_crisis(t) is not None]
    assert model is not None and fired


def test_concepts_are_shared_across_languages():
    from phyassist.serve.safety.concepts import concept_tokens, concepts

    for text in ("I want to die", "quiero morir", "chcę umrzeć", "ölmek istiyorum", "я хочу умереть", "我想死"):
        assert {"WANT", "DIE"} <= set(concepts(normalize(text))), text
    assert concept_tokens("pills tonight") == "PILLS TONIGHT PILLS+TONIGHT"


def test_the_lexicon_reads_headers_and_word_starts_and_rejects_a_word_without_a_concept():
    from phyassist.serve.safety.concepts import _B, read_lexicon

    assert read_lexicon("# note\n[DIE]\n@ (?:die)\\b\nmorir\n") == {"DIE": [_B + r"(?:die)\b", "morir"]}
    with pytest.raises(ValueError, match=r"concepts.txt: a word before any \[CONCEPT\] header: 'die'"):
        read_lexicon("die\n[DIE]\n")


def test_no_lexicon_word_mixes_two_scripts():
    """A word spelt in two scripts (an Arabic letter in a Hebrew word) matches nothing: a typo."""
    import re
    import unicodedata
    from importlib import resources

    def script(char: str) -> str:
        name = unicodedata.name(char, "?").split()[0]
        return "CJK" if name.startswith(("CJK", "HIRAGANA", "KATAKANA")) else name

    text = resources.files("phyassist.serve.safety").joinpath("concepts.txt").read_text(encoding="utf-8")
    mixed = [(n, word) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")
             for word in re.findall(r"[^\W\d_]+", re.sub(r"\\[A-Za-z]", " ", line)) if len({script(c) for c in word if c.isalpha()}) > 1]
    assert mixed == []


def test_the_learned_layer_reads_languages_without_rules():
    """Crisis messages in words no rule names score above their harmless twins, in four languages."""
    model = crisis_model.shipped()
    pairs = [("zostawiłam listy dla mamy i taty, jutro już mnie nie będzie", "zostawiłam listę zakupów dla mamy, jutro wracam"),
             ("babamın ilaçlarını topladım, bu gece hepsini içeceğim", "babamın ilaçlarını eczaneden aldım, akşam getireceğim"),
             ("udah aku bagiin semua barangku, habis ini aku pergi selamanya", "udah aku bagiin semua kue ke tetangga, enak katanya"),
             ("main sab chhod ke hamesha ke liye chala jaunga, kisi ko fark nahi padega", "main kal ghar chala jaunga, mummy ne bulaya hai")]
    for crisis, harmless in pairs:
        assert model.score(crisis) > model.score(harmless), (crisis, harmless)


def test_thresholds_are_the_lowest_within_every_false_alarm_budget():
    import numpy as np

    from phyassist.serve.safety.training import choose_thresholds

    texts = [f"message number {i} about my day" for i in range(8)]
    labels = np.array([1, 1, 0, 0, 0, 0, 1, 0])
    groups = ["crisis", "crisis", "hard", "hard", "chat", "chat", "crisis_posts", "posts"]
    scores = np.array([0.9, 0.4, 0.45, 0.2, 0.3, 0.1, 0.8, 0.1])
    threshold, _, report = choose_thresholds(texts, labels, groups, scores, budget={"hard": 0.0, "chat": 0.0, "posts": 0.0})
    assert threshold == 0.46 and report["recall"] == 0.5  # 0.45 would fire on a hard harmless message
    threshold, _, report = choose_thresholds(texts, labels, groups, scores, budget={"hard": 0.5, "chat": 0.0, "posts": 0.0})
    assert threshold == 0.31 and report["recall"] == 1.0


def test_a_rule_family_is_cleared_only_below_a_threshold_that_keeps_its_crisis_hits():
    import numpy as np

    from phyassist.serve.safety.training import choose_thresholds

    # four messages the "intent" rule catches (two crisis, two harmless) and one the rules miss
    texts = ["i want to die so much tonight"] * 4 + ["message number one about my day"]
    labels = np.array([1, 1, 0, 0, 0])
    groups = ["crisis", "crisis", "hard", "hard", "chat"]
    scores = np.array([0.9, 0.3, 0.05, 0.5, 0.6])
    threshold, clear, report = choose_thresholds(texts, labels, groups, scores, budget={"hard": 1.0, "chat": 0.0},
                                                 clearable=("intent",), evidence=2)
    assert threshold == 0.61 and clear == {"intent": 0.3}  # 0.31 would clear the crisis message at 0.3
    assert report["recall"] == 1.0 and report["false_alarms_hard"] == 0.5
    for clearable, evidence in (((), 2), (("intent",), 3)):  # not clearable, or too few crisis hits to tell
        assert choose_thresholds(texts, labels, groups, scores, budget={"hard": 1.0, "chat": 0.0},
                                 clearable=clearable, evidence=evidence)[1] == {}


def test_clearing_thresholds_survive_saving_and_apply_only_to_their_family(tmp_path):
    import numpy as np

    from phyassist.serve.safety.network import Weights

    features = crisis_model.N_WORD + crisis_model.N_CHAR + crisis_model.N_CONCEPT
    zero = Weights(np.zeros((features, 2), np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32), -3.0)
    model = crisis_model.CrisisModel(zero, 0.5, {"format": crisis_model.FORMAT}, {"intent": 0.2})
    loaded = crisis_model.CrisisModel.load(model.save(tmp_path / "m.npz"))
    assert loaded.clear == {"intent": 0.2} and loaded.threshold == 0.5
    assert loaded.clears("i want to die so much tonight", "intent")  # P = sigmoid(-3) < 0.2
    assert not loaded.clears("i want to die so much tonight", "means") and not loaded.clears("want to die", "intent")


def test_near_miss_pairs_share_a_fold():
    from phyassist.serve.safety.training import fold_of, read_messages

    keys = ["a:1", "b|c", "a:2", "b|c", "a:3"]
    assert fold_of(keys, folds=2).tolist() == [0, 1, 0, 1, 1]
    rows = read_messages(TRAINING / "dev.jsonl")
    assert len({k for *_, k in rows}) == len(rows)  # no pairs there: every row its own key


def test_the_independent_set_is_scored_as_aggregates_only():
    import subprocess

    bench = REPO / "benchmarks" / "crisis_bench.py"
    result = subprocess.run([sys.executable, str(bench), "--set", "independent", "--show"], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == \
        "crisis_bench.py: --show is refused for --set independent: it is scored as aggregates only."


@pytest.mark.parametrize("text", ["ok", "yes", "yes, tonight", "sounds good, thank you", "can you tell me more"])
def test_short_replies_alone_never_fire(text):
    assert detect_crisis(text) is None


# --- the answer when it fires ---

def test_crisis_reply_is_resources_then_a_fixed_supportive_message():
    reply = crisis_reply()
    assert reply.startswith(crisis_notice()) and reply.endswith(SAFE_REPLY)
    assert "988" in reply and "findahelpline.com" in reply
    # safe-messaging: no advice to avoid people, no methods, an invitation to reach someone now
    lowered = SAFE_REPLY.lower()
    assert "avoid" not in lowered and "pills" not in lowered and "someone you trust" in lowered
    assert CRISIS_RESOURCES.splitlines()[0].strip("*") in crisis_notice()


def test_the_network_learns_what_no_linear_model_can_and_repeats_itself():
    """Two features whose exclusive or is the label (a linear model gets at most 3 of the 4 cases right);
    a feature no row has gets no weight; the same rows give the same weights."""
    import numpy as np
    from scipy.sparse import csr_matrix

    from phyassist.serve.safety import network

    cases = np.array([[0, 0, 1, 0], [1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 1, 0]], np.float32)  # column 3: never set
    matrix = csr_matrix(np.repeat(cases, 64, axis=0))
    labels = np.repeat(np.array([0, 1, 1, 0]), 64)
    fitted = network.fit(matrix, labels, np.ones(len(labels)), hidden=8, epochs=60)
    p = network.forward(csr_matrix(cases), fitted)
    assert list(p > 0.5) == [False, True, True, False], p
    assert not fitted.w1[3].any() and fitted.w1[:3].any()
    again = network.fit(matrix, labels, np.ones(len(labels)), hidden=8, epochs=60)
    assert all(np.array_equal(a, b) for a, b in zip((fitted.w1, fitted.b1, fitted.w2), (again.w1, again.b1, again.w2)))


def test_the_networks_exp_is_exp_to_float64_precision():
    import math

    import numpy as np

    from phyassist.serve.safety.network import exp

    x = np.array([-745.0, -700.0, -30.5, -1.0, -1e-9, 0.0, 0.3465, 1.0, 12.25, 88.7, 700.0])
    got = exp(x)
    want = np.array([math.exp(max(v, -700.0)) for v in x])
    assert np.all(np.abs(got / want - 1) < 1e-13), got / want - 1
