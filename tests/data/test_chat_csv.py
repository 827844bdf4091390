"""scripts/gen_csv.py and phyassist.data.chat_csv: chat-template rendering of question/answer CSVs."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MISTRAL_STYLE_TEMPLATE, write_csv_rows

from phyassist.data.chat_csv import convert_csv, detect_layout, render_messages
from phyassist.errors import UserError
from phyassist.io import read_csv

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
SCRIPT = REPO / "scripts" / "gen_csv.py"


def _gen(*args, env=None):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def mistral_tokenizer(smol_tokenizer):
    tok = copy.deepcopy(smol_tokenizer)
    tok.chat_template = MISTRAL_STYLE_TEMPLATE
    return tok


@pytest.fixture(scope="module")
def mistral_base_dir(tmp_path_factory, smol_dir, mistral_tokenizer) -> Path:
    """A local 'base model' folder whose tokenizer carries the Mistral-style template (no weights needed)."""
    folder = tmp_path_factory.mktemp("mistral-style")
    mistral_tokenizer.save_pretrained(folder)
    shutil.copy(smol_dir / "config.json", folder / "config.json")
    (folder / "phyassist_base.json").write_text(json.dumps({"hub_id": "phyassist-tests/mistral-style"}))
    return folder


MESSAGES = [{"role": "user", "content": "I can’t sleep.\nWhat should I do? 😐"},
            {"role": "assistant", "content": "Keep a regular schedule.\n\nTalk to a professional if it persists."}]


@pytest.mark.parametrize("which", ["smol_tokenizer", "mistral_tokenizer"])
def test_rendering_round_trips(request, which):
    tok = request.getfixturevalue(which)
    full = render_messages(tok, MESSAGES)
    prompt = tok.apply_chat_template(MESSAGES[:1], add_generation_prompt=True, tokenize=False)
    # The rendered conversation splits into prompt + answer + end-of-turn, so the answer is recoverable.
    assert full.startswith(prompt) and MESSAGES[0]["content"] in prompt
    completion = full[len(prompt):]
    assert completion.startswith(MESSAGES[1]["content"])
    assert completion[len(MESSAGES[1]["content"]):].strip() == tok.eos_token
    # Tokenizing and decoding gives back the same text.
    assert tok.decode(tok(full, add_special_tokens=False)["input_ids"]) == full


def test_mistral_style_rendering_is_inst_format(mistral_tokenizer):
    text = render_messages(mistral_tokenizer, MESSAGES)
    assert text.startswith(f"{mistral_tokenizer.bos_token}[INST] I can’t sleep.")
    assert " [/INST]Keep a regular schedule." in text and text.endswith(mistral_tokenizer.eos_token)


def test_detect_layout():
    assert detect_layout(["query", "gpt-3.5-turbo"]).name == "imhi-instruction"
    assert detect_layout(["", "post", "question", "response"]).name == "imhi-complete"
    assert detect_layout(["questionID", "questionTitle", "questionText", "answerText", "upvotes"]).name == "counsel-chat"
    with pytest.raises(UserError, match=r"x.csv: columns 'title', 'body' is not a known layout; pass --question-columns"):
        detect_layout(["title", "body"], "x.csv")
    with pytest.raises(UserError, match=r"matches several known layouts \(imhi-instruction, counsel-chat\)"):
        detect_layout(["query", "gpt-3.5-turbo", "questionTitle", "questionText", "answerText"])


def test_convert_complete_layout_and_custom_columns(tmp_path, smol_tokenizer):
    summary = convert_csv(FIXTURES / "complete_small.csv", tmp_path / "c.csv", tokenizer=smol_tokenizer)
    assert summary["layout"] == "imhi-complete" and summary["rows_written"] == 2 and summary["skipped"] == {"empty": 1}
    text = read_csv(tmp_path / "c.csv", required=("text",))[0]["text"]
    assert 'I lost my job and cannot pay rent. Question: The answer to the question "Does the financial' in text
    assert "<|im_start|>assistant\nyes. Reasoning: The poster worries about money.<|im_end|>" in text
    summary = convert_csv(FIXTURES / "unknown_layout.csv", tmp_path / "u.csv", question_columns="title,body",
                          answer_column="reply", tokenizer=smol_tokenizer)
    assert "<|im_start|>user\nHi\n\nHow are you?<|im_end|>" in read_csv(tmp_path / "u.csv")[0]["text"]
    with pytest.raises(UserError, match=r"missing column\(s\) 'nope'; found 'title', 'body', 'reply'"):
        convert_csv(FIXTURES / "unknown_layout.csv", tmp_path / "v.csv", question_columns="title",
                    answer_column="nope", tokenizer=smol_tokenizer)
    with pytest.raises(UserError, match="--new_path is the input file"):
        convert_csv(FIXTURES / "unknown_layout.csv", FIXTURES / "unknown_layout.csv", tokenizer=smol_tokenizer)


def test_script_counsel_chat_default_base(tmp_path, smol_dir):
    out = tmp_path / "out.csv"
    r = _gen("--origin_path", FIXTURES / "counsel_small.csv", "--new_path", out)
    assert r.returncode == 0, r.stderr
    assert "4 of 5 rows written" in r.stdout and "skipped: link 1" in r.stdout
    rows = read_csv(out, required=("text",))
    assert list(rows[0]) == ["text"] and len(rows) == 4
    assert ("<|im_start|>user\nHow do I stop worrying?\n\nI worry about everything all day.<|im_end|>\n"
            "<|im_start|>assistant\nTry writing your worries down") in rows[0]["text"]
    assert "<|im_start|>user\nWhy am I always tired?<|im_end|>" in rows[2]["text"]  # title not repeated


def test_script_imhi_with_mistral_style_base(tmp_path, mistral_base_dir):
    out = tmp_path / "out.csv"
    r = _gen("--origin_path", FIXTURES / "imhi_small.csv", "--new_path", out, "--base-model", mistral_base_dir)
    assert r.returncode == 0, r.stderr
    assert "3 of 7 rows written" in r.stdout
    assert "skipped: duplicate 1, empty 1, link 1, mojibake 1" in r.stdout
    texts = [row["text"] for row in read_csv(out)]
    assert texts[0].startswith("<|im_start|>[INST] Consider this post: \"I can’t sleep")  # mojibake repaired
    assert all(" [/INST]" in t for t in texts)


BAD_INPUTS = {
    "empty.csv": "file is empty",
    "header_only.csv": "has a header but no data rows",
    "malformed.csv": "malformed CSV",
    "latin1.csv": "not valid UTF-8",
    "semicolons.csv": "separated by semicolons",
    "tabs.csv": "separated by tabs",
    "binary.csv": "looks like a binary file",
    "columnless.csv": "header row has no column names",
    "extra_field.csv": "data row 1 has 3 fields",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_script_bad_input_one_line_exit_2_no_output(tmp_path, name):
    out = tmp_path / "out.csv"
    r = _gen("--origin_path", FIXTURES / "bad" / name, "--new_path", out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"gen_csv.py: error: {FIXTURES / 'bad' / name}: ") and BAD_INPUTS[name] in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, expected", [
    ("unknown_layout.csv", "columns 'title', 'body', 'reply' is not a known layout; pass --question-columns A[,B] "
                           "and --answer-column C"),
    ("ambiguous_layout.csv", "matches several known layouts"),
])
def test_script_unknown_or_ambiguous_layout(tmp_path, name, expected):
    r = _gen("--origin_path", FIXTURES / name, "--new_path", tmp_path / "out.csv")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and expected in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_script_missing_file_and_no_usable_rows(tmp_path):
    r = _gen("--origin_path", tmp_path / "nope.csv", "--new_path", tmp_path / "out.csv")
    assert r.returncode == 2 and "nope.csv: file not found" in r.stderr
    only_bad = tmp_path / "bad.csv"
    only_bad.write_text('query,gpt-3.5-turbo\n"see http://x.org",answer\n,empty\n')
    r = _gen("--origin_path", only_bad, "--new_path", tmp_path / "out.csv")
    assert r.returncode == 2 and "no usable rows (2 read; skipped {'empty': 1, 'link': 1})" in r.stderr
    assert not (tmp_path / "out.csv").exists()


UNQUOTED_BREAKS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]
COMPLETE_QUESTION = ' Question: The answer to the question "Does the poster suffer from stress?" is'


@pytest.mark.parametrize("ch", UNQUOTED_BREAKS, ids=[f"U+{ord(c):04X}" for c in UNQUOTED_BREAKS])
def test_convert_keeps_fields_with_unquoted_line_breaks_whole(tmp_path, smol_tokenizer, ch):
    """Completion-layout posts and answers hold no comma or quote: the csv writer leaves them unquoted."""
    src = tmp_path / "in.csv"
    write_csv_rows(src, ["post", "question", "response"],
                   [(f"Post: I feel{ch}tired every day", COMPLETE_QUESTION, f"yes. Reasoning: one{ch}two."),
                    ("Post: a second post", COMPLETE_QUESTION, "no. Reasoning: none.")])
    assert f"\r\nPost: I feel{ch}tired every day," in src.read_bytes().decode("utf-8")  # unquoted
    summary = convert_csv(src, tmp_path / "out.csv", tokenizer=smol_tokenizer)
    assert summary["rows_read"] == 2 and summary["rows_written"] == 2 and summary["skipped"] == {}
    text = read_csv(tmp_path / "out.csv", required=("text",))[0]["text"]
    assert f"<|im_start|>user\nPost: I feel{ch}tired every day{COMPLETE_QUESTION}<|im_end|>" in text
    assert f"<|im_start|>assistant\nyes. Reasoning: one{ch}two.<|im_end|>" in text


def _long_post_csv(path, chars=200_000):
    post = ("I cannot stop thinking about work " * (chars // 34 + 1))[:chars]
    write_csv_rows(path, ["post", "question", "response"],
                   [("Post: " + post, COMPLETE_QUESTION, "yes. Reasoning: stress."),
                    ("Post: a short post", COMPLETE_QUESTION, "no. Reasoning: none.")])
    return path


def test_script_drops_a_200kb_post_longer_than_the_context(tmp_path, smol_dir):
    src = _long_post_csv(tmp_path / "long.csv")
    assert src.stat().st_size > 200_000
    out = tmp_path / "out.csv"
    r = _gen("--origin_path", src, "--new_path", out)
    assert r.returncode == 0, r.stderr
    assert "1 of 2 rows written" in r.stdout and "skipped: too_long_for_context 1" in r.stdout, r.stdout
    assert "context limit: 8192 tokens (max_position_embeddings in the base's config.json)" in r.stdout
    assert [row["text"].count("a short post") for row in read_csv(out)] == [1]


def test_convert_context_limit_flag(tmp_path, smol_tokenizer):
    src = _long_post_csv(tmp_path / "long.csv", chars=20_000)  # about 4,000 tokens
    summary = convert_csv(src, tmp_path / "a.csv", tokenizer=smol_tokenizer, context_tokens=1000)
    assert summary["skipped"] == {"too_long_for_context": 1} and summary["context"]["max_tokens"] == 1000
    assert summary["context"]["source"] == "context_tokens"
    summary = convert_csv(src, tmp_path / "b.csv", tokenizer=smol_tokenizer, context_tokens=0, clean=False)
    assert summary["rows_written"] == 2 and summary["context"] is None
    assert max(len(r["text"]) for r in read_csv(tmp_path / "b.csv")) > 20_000  # written whole
    with pytest.raises(UserError, match=r"`context_tokens` must be 0 \(no limit\) or positive, got -1"):
        convert_csv(src, tmp_path / "c.csv", tokenizer=smol_tokenizer, context_tokens=-1)
