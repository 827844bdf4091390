"""Decontamination (phyassist.data.overlap): posts taken from queries, normalised, indexed and cached.

``tests/fixtures/imhi_overlap`` is a data folder laid out like the IMHI release: dreaddit train and
val files, and test files of several tasks, variants and the expert set, some of which hold a
dreaddit training post in other case, white space or Unicode form, with another question and answer.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import FIXTURES

from phyassist.data import overlap
from phyassist.data.overlap import imhi_test_files, imhi_test_posts, normalize_post, post_key, post_of

OVERLAP_ROOT = FIXTURES / "imhi_overlap"


@pytest.fixture
def overlap_root(tmp_path):
    """A writable copy of the fixture data folder."""
    return shutil.copytree(OVERLAP_ROOT, tmp_path / "data")


def test_post_of_instruction_completion_and_other_text():
    assert post_of('Consider this post: "I can\'t sleep." Question: Is the poster stressed?') == "I can't sleep."
    # a post that quotes and asks a question of its own stays whole: the last `" Question:` ends it
    quoted = 'Consider this post: "He said "why?" Question: who knows" Question: What is the stress cause of this post?'
    assert post_of(quoted) == 'He said "why?" Question: who knows'
    # test_complete files, and load_imhi's post + question of the completion training files
    assert post_of("Post: I lost my job.  Question: This post shows the stress cause of ") == "I lost my job.  "
    assert post_of("Post: I lost my job." + ' Question: The answer to the question "Why?" is') == "I lost my job. "
    assert post_of("Why am I always tired?\n\nI sleep ten hours.") == "Why am I always tired?\n\nI sleep ten hours."
    assert post_of('Consider this post: "" Question: x') == 'Consider this post: "" Question: x'


def test_normalize_post_case_width_space_and_mojibake():
    assert normalize_post("  My\tLANDLORD\n\nraised  it ") == "my landlord raised it"
    assert normalize_post("I can't \ufb01nd ＡＢＣ") == "i can't find abc"  # NFKC: ligature, full width
    assert normalize_post("I can‚Äôt sleep") == normalize_post("I can’t sleep")  # as clean repairs it
    assert normalize_post("café") != normalize_post("cafe")  # accents are kept
    assert post_key('Consider this post: "A  b" Question: x') == post_key("Post: a B Question: y") is not None
    assert post_key("   ") is None


def test_index_holds_every_test_file_that_exists():
    files = [str(p.relative_to(OVERLAP_ROOT)) for p in imhi_test_files(OVERLAP_ROOT)]
    assert files == ["imhi/test_data/test_complete/CAMS.csv", "imhi/test_data/test_instruction/Irf.csv",
                     "imhi/test_data/test_instruction/dreaddit.csv",
                     "imhi/test_data/test_instruction_expert/dreaddit.csv"]
    index = imhi_test_posts(OVERLAP_ROOT)
    assert index.files == tuple(files) and len(index) == 5
    q = 'Consider this post: "{}" Question: Does the poster suffer from stress?'
    assert q.format("My landlord raised the rent again and I cannot sleep.") in index  # Irf test, other case/space
    assert q.format("The café down the street closed; I can't find a quiet place now.") in index  # CAMS completion
    assert q.format("Traffic made me late twice and my boss noticed.") in index  # expert set
    assert q.format("I start a new job on Monday.") not in index  # only the start of a test post
    assert "My cat knocked over a plant." in index  # text without a query form is compared whole
    assert imhi_test_posts(OVERLAP_ROOT / "nowhere").files == ()


def test_index_is_cached_in_memory_and_on_disk_keyed_by_content(overlap_root, tmp_path, monkeypatch):
    monkeypatch.setenv("PHYASSIST_CACHE", str(tmp_path / "cache"))
    first = imhi_test_posts(overlap_root)
    assert imhi_test_posts(overlap_root) is first  # memory
    [cached] = (tmp_path / "cache" / "test-posts").iterdir()
    saved = json.loads(cached.read_text())
    assert saved["files"] == list(first.files) and len(saved["keys"]) == 5
    assert "landlord" not in cached.read_text()  # hashes only: no test text is copied into the cache
    # a new process reads the disk copy: shown by a key added there
    saved["keys"].append(post_key("a post only the cached index knows"))
    cached.write_text(json.dumps(saved))
    overlap._MEMORY.clear()
    assert "a post only the cached index knows" in imhi_test_posts(overlap_root)
    # a changed test file is another index
    with open(overlap_root / "imhi/test_data/test_instruction/Irf.csv", "a", encoding="utf-8") as f:
        f.write('"Consider this post: ""A brand new test post"" Question: x",answer\n')
    changed = imhi_test_posts(overlap_root)
    assert "A brand new test post" in changed and "a post only the cached index knows" not in changed
    assert len(list((tmp_path / "cache" / "test-posts").iterdir())) == 2
