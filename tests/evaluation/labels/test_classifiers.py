"""The label-classifier artifacts: a byte-stable build with its manifest, sha256 checks, the lookup order
(env folder, cache, Hub stand-in, local data), publishing under a tag that never moves, and the
metric giving the same numbers on a fresh machine without the data as on one with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, write_csv_rows

from phyassist.errors import PushError, UserError
from phyassist.evaluation.labels import classifiers as C

TOKEN = "hf_" + "Tst0" * 9
YES, NO = "Yes, the poster suffers from depression", "No, the poster does not suffer from depression"
SAD_WORDS = ["hopeless", "empty", "worthless", "crying", "numb", "exhausted"]
CALM_WORDS = ["homework", "weekend", "recipe", "holiday", "garden", "football"]


def _rows(n, offset=0):
    q = 'Consider this post: "post {}" Question: Does the poster suffer from depression?'
    out = []
    for i in range(offset, offset + n):
        sad = i % 2 == 0
        words = SAD_WORDS if sad else CALM_WORDS
        text = f"The poster feels {words[i % 6]} and {words[(i + 1) % 6]}, {words[(i + 3) % 6]} every day."
        out.append((q.format(i), f"{YES if sad else NO}. Reasoning: {text}"))
    return out


@pytest.fixture
def label_root(tmp_path) -> Path:
    """A data folder with DR train/val/test and expert test files, nothing else."""
    root = tmp_path / "data"
    base = root / "imhi"
    write_csv_rows(base / "train_data/instruction_data/DR/train.csv", ["query", "gpt-3.5-turbo"], _rows(40))
    write_csv_rows(base / "train_data/instruction_data/DR/val.csv", ["query", "gpt-3.5-turbo"], _rows(10, 40))
    write_csv_rows(base / "test_data/test_instruction/DR.csv", ["query", "gpt-3.5-turbo"], _rows(12, 100))
    write_csv_rows(base / "test_data/test_instruction_expert/DR.csv", ["query", "gpt-3.5-turbo"], _rows(6, 200))
    return root


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No data, no cache, no Hub: each test adds what it needs."""
    monkeypatch.setenv("PHYASSIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    return tmp_path


def test_build_is_byte_stable_and_the_manifest_describes_it(label_root, tmp_path):
    m1 = C.build(tmp_path / "a", ["DR"], root=label_root)
    m2 = C.build(tmp_path / "b", ["DR"], root=label_root)
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert (tmp_path / "a" / "DR.npz").read_bytes() == (tmp_path / "b" / "DR.npz").read_bytes()
    e = m1["tasks"]["DR"]
    assert (m1["format"], m1["classifier_version"], list(m1["tasks"])) == (C.FORMAT, C.CLASSIFIER_VERSION, ["DR"])
    assert e["sha256"] == C.sha256_file(tmp_path / "a" / "DR.npz") and e["rows"] == 50 and e["classes"] == ["no", "yes"]
    assert e["held_out"] == {"instruction": {"accuracy": 100.0, "rows": 12}, "expert": {"accuracy": 100.0, "rows": 6}}
    assert m1 == m2 == json.loads((tmp_path / "a" / "manifest.json").read_text())
    found = C.ClassifierSet.open(tmp_path / "a")
    assert found.get("DR").predict(["so hopeless and numb", "football on the weekend"]) == ["yes", "no"]
    assert found.describe("dr") == f"DR v{C.CLASSIFIER_VERSION} sha256:{e['sha256'][:12]}"


def test_build_errors_name_what_is_missing(label_root, tmp_path):
    with pytest.raises(UserError, match=r"IMHI task CAMS has no training data, so no label classifier"):
        C.build(tmp_path / "x", ["CAMS"], root=label_root)
    with pytest.raises(UserError, match=r"no SAD training rows with a gold label"):
        C.build(tmp_path / "x", ["SAD"], root=label_root)
    assert not (tmp_path / "x").exists()  # nothing half-written


@pytest.fixture
def built(label_root, tmp_path) -> Path:
    C.build(tmp_path / "built", ["DR"], root=label_root)
    return tmp_path / "built"


def test_tampered_file_and_bad_manifests_are_one_line_errors(built, tmp_path):
    data = bytearray((built / "DR.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (built / "DR.npz").write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"DR.npz: sha256 does not match the manifest \(corrupt or tampered\)"):
        C.ClassifierSet.open(built).get("DR")
    manifest = json.loads((built / "manifest.json").read_text())
    with pytest.raises(UserError, match=r"no SAD label classifier \(it has: DR\)"):
        C.ClassifierSet.open(built).get("SAD")
    (built / "manifest.json").write_text(json.dumps({**manifest, "format": C.FORMAT + 1}))
    with pytest.raises(UserError, match=rf"manifest format {C.FORMAT + 1} is newer than this phyassist reads "
                                        rf"\({C.FORMAT}\); upgrade phyassist"):
        C.ClassifierSet.open(built)
    (built / "manifest.json").write_text("{not json")
    with pytest.raises(UserError, match="not a label-classifier manifest"):
        C.ClassifierSet.open(built)
    with pytest.raises(UserError, match="no manifest.json; expected a folder written by `phyassist labels build`"):
        C.ClassifierSet.open(tmp_path)


def test_lookup_env_folder_first_then_local_data_then_a_clear_error(built, label_root, isolated, monkeypatch):
    with pytest.raises(C.ClassifiersNotFound, match=r"no IMHI label classifiers on this machine: set "
                                                    r"PHYASSIST_LABEL_CLASSIFIERS=DIR .* or pass labels='strict'"):
        C.find_classifiers("DR")
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(label_root))
    local = C.find_classifiers("DR")
    assert local.source.startswith("built from this machine's IMHI training data")
    assert local.root.parent == isolated / "cache" / "label-classifiers"
    # the same data gives the same file as `labels build`
    assert local.manifest["tasks"]["DR"]["sha256"] == C.ClassifierSet.open(built).manifest["tasks"]["DR"]["sha256"]
    C._FOUND.clear()
    mtime = (local.root / "DR.npz").stat().st_mtime_ns
    assert C.find_classifiers("DR").root == local.root and (local.root / "DR.npz").stat().st_mtime_ns == mtime
    monkeypatch.setenv(C.ENV_VAR, str(built))
    assert C.find_classifiers("DR").root == built  # the env folder wins over everything
    monkeypatch.setenv(C.ENV_VAR, str(isolated / "nowhere"))
    with pytest.raises(UserError, match="nowhere: no manifest.json"):
        C.find_classifiers()


def _publish(built: Path, standin, tag=C.HUB_REVISION):
    """scripts/push_metric.py's work, against the stand-in (HF_ENDPOINT is read at import, so patched)."""
    from phyassist.hub.metric import MetricPushConfig, main, wheel_name

    wheel = built.parent / "dist" / wheel_name()  # stands in for the built wheel the Space installs
    wheel.parent.mkdir(exist_ok=True)
    wheel.write_bytes(b"PK\x03\x04 not a real wheel")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", TOKEN)
        mp.setattr("huggingface_hub.constants.ENDPOINT", standin.url)
        mp.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
        return main(MetricPushConfig(folder=str(REPO / "metrics" / "imhi"), classifiers=str(built), tag=tag,
                                     wheel=str(wheel)))


def test_publish_tags_once_and_download_verifies(built, hub_standin, isolated, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    assert _publish(built, hub_standin) == 0
    repo = hub_standin.repos[C.HUB_REPO]
    assert set(repo["files"]) == {"manifest.json", "DR.npz", "README.md"} and C.HUB_REVISION in repo["tags"]
    assert "IMHI label classifiers" in repo["files"]["README.md"].decode()
    assert "phyassist/imhi" in hub_standin.repos  # then the module, as a Space
    # a second publish under the same tag is refused: a pinned revision never moves
    with pytest.raises(PushError, match=rf"tag '{C.HUB_REVISION}' already exists on {C.HUB_REPO}; published "
                                        r"revisions are never moved"):
        _publish(built, hub_standin)
    # a tampered download never lands in the cache
    hub_standin.serve = lambda repo, name, data: data[:-1] + bytes([data[-1] ^ 1]) if name.endswith(".npz") else data
    with pytest.raises(UserError, match="DR.npz: sha256 does not match the manifest"):
        C.download(endpoint=hub_standin.url)
    cache = isolated / "cache" / "label-classifiers"
    assert not any(p.name.startswith(C.HUB_REPO.replace("/", "--")) for p in cache.iterdir())
    hub_standin.serve = lambda repo, name, data: data
    got = C.download(endpoint=hub_standin.url)
    assert got.root == cache / f"{C.HUB_REPO.replace('/', '--')}@{C.HUB_REVISION}"
    assert sorted(p.name for p in got.root.iterdir()) == ["DR.npz", "manifest.json"]
    assert got.get("DR").predict(["hopeless"]) == ["yes"]


def test_missing_tag_is_not_found_and_not_cached(built, hub_standin, isolated, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub_standin.url)
    with pytest.raises(C.ClassifiersNotFound):
        C.find_classifiers("DR")
    assert not (isolated / "cache" / "label-classifiers").exists() or not any(
        (isolated / "cache" / "label-classifiers").iterdir())


# One metric name, one number: the metric in a fresh HOME with no data folder, the classifiers served
# by the Hub stand-in, gives exactly the numbers of the same call on a machine that has the data.
METRIC_CALL = textwrap.dedent("""
    import json, sys
    import evaluate
    args = json.load(open(sys.argv[1]))
    imhi = evaluate.load(args.pop("metric"))
    try:
        print(json.dumps(imhi.compute(**args)))
    except Exception as e:
        print(json.dumps({"error": type(e).__name__, "message": str(e)}))
""")


def _metric(tmp_path, env_extra: dict, **kwargs) -> dict:
    home = Path(os.path.realpath(tmp_path)) / f"home-{len(list(tmp_path.iterdir()))}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHYASSIST_", "HF_", "XDG_"))}
    env.update({"HOME": str(home), "HF_HUB_OFFLINE": "1", **env_extra})
    (home / "args.json").write_text(json.dumps({"metric": str(REPO / "metrics" / "imhi"), **kwargs}))
    (home / "call.py").write_text(METRIC_CALL)
    out = subprocess.run([sys.executable, str(home / "call.py"), str(home / "args.json")], env=env, cwd=home,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_metric_same_numbers_with_or_without_the_data(data_dir, hub_standin, tmp_path):
    from phyassist.data.loading import load_imhi
    from phyassist.evaluation.labels import explanation

    rows = load_imhi("DR", "test", root=data_dir)[:80]
    # half state the label first (the parser), half are headless explanations (the classifier)
    preds = [r["response"] if i % 2 else explanation(r["response"]) for i, r in enumerate(rows)]
    call = dict(predictions=preds, references=[r["response"] for r in rows], queries=[r["query"] for r in rows],
                task="DR")
    published = C.build(tmp_path / "published", ["DR"], root=data_dir)
    assert _publish(tmp_path / "published", hub_standin) == 0

    fresh = _metric(tmp_path, {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub_standin.url}, **call)
    with_data = _metric(tmp_path, {"PHYASSIST_DATA_DIR": str(data_dir)}, **call)
    assert fresh == with_data, (fresh, with_data)
    assert fresh["label_method"] == "learned"
    assert fresh["label_classifier"] == f"DR v{C.CLASSIFIER_VERSION} sha256:{published['tasks']['DR']['sha256'][:12]}"
    assert any(r[0] == "GET" and "/resolve/" in r[1] for r in hub_standin.requests)
    # and the classifier mattered: the parser alone leaves the headless half unparsed
    strict = _metric(tmp_path, {}, **call, labels="strict")
    assert strict["unparsed"] == 40 and strict["weighted_f1"] < fresh["weighted_f1"]
    assert strict["label_method"] == "strict"
    # no data, no Hub: "learned" raises instead of quietly becoming "strict"
    none = _metric(tmp_path, {}, **call)
    assert none["error"] == "ClassifiersNotFound" and "PHYASSIST_LABEL_CLASSIFIERS=DIR" in none["message"]
