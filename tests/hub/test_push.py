"""Hub pushes against a local HTTP stand-in (the real Hub is unreachable here), and where the secret scan
(tested kind by kind in test_secrets.py) sits in a push.

The stand-in (``HubStandIn`` in conftest.py) speaks the subset of the Hub API that huggingface_hub's
``create_repo`` and ``create_commit`` use and records every request, so these tests check what
phyassist actually sends: one commit with the expected files, the requested privacy, no deletions,
and never the token in a request body.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from phyassist.errors import PushError, UserError
from phyassist.hub import push as hub

TOKEN = "hf_" + "Tst0" * 9  # token-shaped, never valid


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "staged"
    (root / "eval").mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: apache-2.0\nlibrary_name: peft\n---\n# model\n")
    (root / "adapter_model.safetensors").write_bytes(bytes(range(256)) * 4)
    (root / "eval" / "adapter.json").write_text('{"tasks": {}}\n')
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


def _bodies(standin) -> bytes:
    return b"".join(body for _, _, _, body in standin.requests)


def test_push_makes_one_commit_with_the_files(hub_standin, folder):
    url = hub.push_folder(folder, "me/model", private=True, token=TOKEN, endpoint=hub_standin.url,
                          commit_message="Upload MultiWD adapter")
    assert url.rstrip("/").endswith("me/model")
    create = hub_standin.repos["me/model"]["payload"]
    assert create["visibility"] == "private" and create["type"] == "model"
    assert len(hub_standin.commits) == 1
    commit = hub_standin.commits[0]
    assert commit["lines"][0] == {"key": "header", "value": {"summary": "Upload MultiWD adapter", "description": ""}}
    assert set(commit["files"]) == {"README.md", "adapter_model.safetensors", "eval/adapter.json"}
    assert commit["files"]["adapter_model.safetensors"] == (folder / "adapter_model.safetensors").read_bytes()
    # the token travels only in the Authorization header, never in a body
    assert TOKEN.encode() not in _bodies(hub_standin)
    assert all(h.get("authorization", h.get("Authorization")) == f"Bearer {TOKEN}"
               for _, path, h, _ in hub_standin.requests)


def test_public_by_default_and_rerun_keeps_other_files(hub_standin, folder):
    hub.push_folder(folder, "me/model", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.repos["me/model"]["payload"]["visibility"] == "public"
    hub_standin.repos["me/model"]["files"]["user_notes.md"] = b"mine"  # a file the user added on the Hub
    (folder / "eval" / "adapter.json").write_text('{"tasks": {"MultiWD": {}}}\n')
    hub.push_folder(folder, "me/model", token=TOKEN, endpoint=hub_standin.url)
    assert len(hub_standin.commits) == 2  # create_repo answered 409 the second time; exist_ok went on
    assert all(line["key"] in ("header", "file") for c in hub_standin.commits for line in c["lines"])
    files = hub_standin.repos["me/model"]["files"]
    assert files["user_notes.md"] == b"mine" and files["eval/adapter.json"] == b'{"tasks": {"MultiWD": {}}}\n'


def test_transient_errors_are_retried(hub_standin, folder):
    hub_standin.fail_commits = 2
    hub.push_folder(folder, "me/model", token=TOKEN, endpoint=hub_standin.url, retry_wait=0.01)
    commit_posts = [p for m, p, _, _ in hub_standin.requests if "/commit/" in p]
    assert len(commit_posts) == 3 and len(hub_standin.commits) == 1


def test_unreachable_endpoint_is_retried_then_reported(hub_standin, folder, caplog):
    url = hub_standin.url
    hub_standin.close()  # nothing listens there any more: connection refused
    with pytest.raises(PushError, match="ConnectError.*retry with: phyassist push"):
        hub.push_folder(folder, "me/model", token=TOKEN, endpoint=url, retry_wait=0.01)
    assert caplog.text.count("create_repo failed (ConnectError); retry") == hub.RETRIES - 1
    assert TOKEN not in caplog.text


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_failed_push_keeps_folder_and_says_how_to_retry(hub_standin, folder):
    before = _snapshot(folder)
    hub_standin.fail_commits = 99
    with pytest.raises(PushError, match=f"retry with: phyassist push {folder} --repo-id me/model --private"):
        hub.push_folder(folder, "me/model", private=True, token=TOKEN, endpoint=hub_standin.url, retry_wait=0.01)
    assert _snapshot(folder) == before
    assert len([p for m, p, _, _ in hub_standin.requests if "/commit/" in p]) == hub.RETRIES


def test_planted_token_blocks_upload(hub_standin, folder):
    (folder / "eval" / "notes.txt").write_text("debug: token = hf_" + "aB3" * 12 + "\n")
    with pytest.raises(UserError, match=r"refusing to upload me/model: secrets found in 1 file\(s\) of .*: "
                                        r"eval/notes.txt \(Hugging Face token\); remove them, then push again$"):
        hub.push_folder(folder, "me/model", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.requests == []  # nothing was sent


def test_own_token_in_a_binary_file_blocks_upload(hub_standin, folder):
    (folder / "adapter_model.safetensors").write_bytes(b"\x00" * (1 << 20) + b"x" + TOKEN.encode() + b"\x00")
    own = r"secrets found in 1 file\(s\) of .*: adapter_model.safetensors \(your Hugging Face token\); remove them"
    with pytest.raises(UserError, match=own):
        hub.check_no_tokens(folder, TOKEN)
    with pytest.raises(UserError, match=own):
        hub.push_folder(folder, "me/model", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.requests == []
    hub.check_no_tokens(folder.parent / "nothing-here")  # nothing to send, nothing found


def test_space_push_uses_sdk_from_readme(hub_standin, tmp_path):
    space = tmp_path / "space"
    space.mkdir()
    (space / "README.md").write_text("---\ntitle: demo\nsdk: docker\napp_port: 7860\n---\n")  # not the fallback
    (space / "app.py").write_text("print('hi')\n")
    hub.push_folder(space, "me/demo", repo_type="space", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.repos["me/demo"]["payload"]["type"] == "space"
    assert hub_standin.repos["me/demo"]["payload"]["sdk"] == "docker"
    assert hub_standin.commits[0]["repo"] == "me/demo"
    assert any(p.startswith("/api/spaces/me/demo/commit/") for _, p, _, _ in hub_standin.requests)
    (space / "README.md").write_text("# demo without front matter\n")
    hub.push_folder(space, "me/plain", repo_type="space", token=TOKEN, endpoint=hub_standin.url)
    assert hub_standin.repos["me/plain"]["payload"]["sdk"] == "gradio"  # the fallback


def test_no_token_and_bad_input_are_user_errors(folder, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no login cache either
    with pytest.raises(UserError, match="no Hugging Face token.*phyassist push .* --repo-id me/model"):
        hub.push_folder(folder, "me/model")
    with pytest.raises(UserError, match="`repo_id` must look like ORG/NAME, got 'model'"):
        hub.push_folder(folder, "model", token=TOKEN)
    with pytest.raises(UserError, match="not a folder"):
        hub.push_folder(tmp_path / "missing", "me/model", token=TOKEN)


def test_cli_push_through_hf_endpoint(hub_standin, folder):
    (folder / ".env").write_text("DEBUG=1\n")  # sent with --include_hidden, after the scan
    env = {**os.environ, "HF_ENDPOINT": hub_standin.url, "HF_TOKEN": TOKEN, "HF_HUB_OFFLINE": "0",
           "TRANSFORMERS_OFFLINE": "0"}
    proc = subprocess.run([sys.executable, "-m", "phyassist.cli", "push", str(folder), "--repo-id", "me/cli",
                           "--private", "--include_hidden"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{hub_standin.url}/me/cli" in proc.stdout
    assert TOKEN not in proc.stdout + proc.stderr
    assert hub_standin.repos["me/cli"]["payload"]["visibility"] == "private"
    assert len(hub_standin.commits) == 1
    assert set(hub_standin.commits[0]["files"]) == {".env", "README.md", "adapter_model.safetensors", "eval/adapter.json"}
