"""The pre-upload secret scan: one test per kind of secret, held-back files, the one-line refusal, and
clean scans of real folders (a peft adapter, metrics/imhi/, space/, a training run's output).

Every secret here is built at run time from a seeded random generator and split literals, so this
file holds none (GitHub push protection, and `detect-secrets scan` of this file, stay quiet).
"""

from __future__ import annotations

import base64
import logging
import random
import re
import string
from urllib.parse import quote

import pytest
from conftest import REPO

from phyassist.errors import UserError
from phyassist.hub import push
from phyassist.hub import secrets as sec

_rng = random.Random(0)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


HF = "hf" + "_" + rand(34, string.ascii_letters)  # the shape of a user access token
OWN = rand(40)  # the user's own token, in a shape no rule knows (a custom endpoint's, say)


def _write(folder, name: str, text: str):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "staged"
    root.mkdir()
    _write(root, "README.md", "---\nlicense: apache-2.0\n---\n# model\n")
    (root / "adapter_model.safetensors").write_bytes(bytes(range(256)) * 64)
    return root


def kinds(folder, token=None, include_hidden=False) -> dict[str, tuple[str, ...]]:
    return {f.path: f.kinds for f in sec.scan_folder(folder, token, include_hidden)}


def test_hugging_face_token(folder):
    _write(folder, "train_log.txt", f"HF_TOKEN={HF}\n")
    assert kinds(folder) == {"train_log.txt": ("Hugging Face token",)}


def test_hugging_face_org_token(folder):
    _write(folder, "config.json", '{"token": "api' + "_org_" + rand(34, string.ascii_letters) + '"}\n')
    assert kinds(folder) == {"config.json": ("Hugging Face token",)}


@pytest.mark.parametrize("key", [
    "sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20),
    "sk-" + "proj-" + rand(74, ALNUM + "_-") + "T3Blbk" + "FJ" + rand(74, ALNUM + "_-"),
    "sk-" + "proj-" + rand(156, ALNUM + "_-"),  # without the marker detect-secrets needs
], ids=["legacy", "project", "project-unmarked"])
def test_openai_api_key(folder, key):
    _write(folder, "app.py", f'client = OpenAI(api_key="{key}")\n')
    assert kinds(folder) == {"app.py": ("OpenAI API key",)}


def test_aws_access_key_id_and_secret_key(folder):
    key_id = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits)
    _write(folder, "aws.ini", f"[default]\naws_access_key_id = {key_id}\n"
                              f"aws_secret_access_key = {rand(40, ALNUM + '/+')}\n")
    assert kinds(folder) == {"aws.ini": ("AWS access key", "AWS secret access key")}


@pytest.mark.parametrize("token", ["gh" + "p_" + rand(36), "github" + "_pat_" + rand(22) + "_" + rand(59)],
                         ids=["classic", "fine-grained"])
def test_github_token(folder, token):
    _write(folder, "notes.md", f"push with {token}\n")
    assert kinds(folder) == {"notes.md": ("GitHub token",)}


def test_google_api_key(folder):
    _write(folder, "space_config.yaml", f"maps_key: AI{'za'}{rand(35, ALNUM + '-_')}\n")
    assert kinds(folder) == {"space_config.yaml": ("Google API key",)}


def test_pem_private_key(folder):
    body = "\n".join(rand(64, ALNUM + "+/") for _ in range(5))
    _write(folder, "deploy.txt", f"-----BEGIN RSA PRIV{'ATE'} KEY-----\n{body}\n-----END RSA PRIV{'ATE'} KEY-----\n")
    assert kinds(folder) == {"deploy.txt": ("private key",)}


def test_detect_secrets_plugins_cover_other_vendors(folder):
    _write(folder, "payments.py", f'STRIPE = "sk_{"live"}_{rand(24)}"\n')  # a kind only detect-secrets knows
    assert kinds(folder) == {"payments.py": ("Stripe Access Key",)}


@pytest.mark.parametrize("pad", [0, 1, 2])
@pytest.mark.parametrize("encode", [base64.b64encode, lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")],
                         ids=["standard", "urlsafe-unpadded"])
@pytest.mark.parametrize("glued", ["", "v2_"], ids=["alone", "glued-to-a-prefix"])
def test_base64_hugging_face_token_at_each_alignment(folder, pad, encode, glued):
    # pad bytes before the token shift it through the 3 positions of a 3-byte base64 group; a prefix of
    # base64 characters glued on shifts where the encoding starts within the run
    encoded = encode(("x" * pad + f"token={HF}\n").encode()).decode()
    _write(folder, "env.json", f'{{"blob": "{glued}{encoded}"}}\n')
    assert kinds(folder) == {"env.json": ("base64-encoded Hugging Face token",)}


@pytest.mark.parametrize("encoded", [quote(f"token={HF}", safe=""), "".join(f"%{b:02X}" for b in HF.encode())],
                         ids=["query-string", "every-byte"])
def test_url_encoded_hugging_face_token(folder, encoded):
    _write(folder, "links.md", f"https://example.org/callback?state={encoded}&x=1\n")
    assert kinds(folder) == {"links.md": ("URL-encoded Hugging Face token",)}


def test_hex_encoded_hugging_face_token(folder):
    _write(folder, "dump.txt", HF.encode().hex() + "\n")
    assert kinds(folder) == {"dump.txt": ("hex-encoded Hugging Face token",)}


@pytest.mark.parametrize("form, kind", [
    (OWN, "your Hugging Face token"),
    (base64.b64encode(OWN.encode()).decode(), "your Hugging Face token base64-encoded"),
    (base64.urlsafe_b64encode(b"a" + OWN.encode()).decode(), "your Hugging Face token base64-encoded"),
    (base64.b64encode(b"ab" + OWN.encode()).decode().rstrip("="), "your Hugging Face token base64-encoded"),
    ("".join(f"%{b:02x}" for b in OWN.encode()), "your Hugging Face token URL-encoded"),
], ids=["clear", "base64", "urlsafe-shift-1", "base64-shift-2", "url"])
def test_users_own_token_in_clear_and_encoded(folder, form, kind):
    _write(folder, "eval/log.txt", f"auth {form} end\n")
    assert kinds(folder) == {}  # no rule knows its shape ...
    assert kinds(folder, OWN) == {"eval/log.txt": (kind,)}  # ... but it is the user's


@pytest.mark.parametrize("name, token", [("hf", HF), ("own", OWN)], ids=["hf", "own"])
def test_token_split_across_a_chunk_boundary_of_a_large_binary(folder, name, token):
    # 2.5 chunks of weight-like bytes; the token starts 10 bytes before the first chunk ends
    weights = random.Random(1).randbytes(sec.CHUNK * 5 // 2)
    blob = weights[: sec.CHUNK - 10] + b"\x00" + token.encode() + b"\x00" + weights[sec.CHUNK - 10:]
    (folder / "adapter_model.safetensors").write_bytes(blob)
    expected = "Hugging Face token" if name == "hf" else "your Hugging Face token"
    assert kinds(folder, OWN) == {"adapter_model.safetensors": (expected,)}


def test_dotenv_held_back_by_default_then_scanned_and_blocked(folder, hub_standin, caplog):
    _write(folder, ".env", f"OPENAI_API_KEY=sk-{rand(48)}\n")
    caplog.set_level(logging.INFO)
    push.push_folder(folder, "me/model", token=HF, endpoint=hub_standin.url)
    assert set(hub_standin.commits[0]["files"]) == {"README.md", "adapter_model.safetensors"}
    assert "Not uploading 1 hidden or key file(s)" in caplog.text and ": .env (" in caplog.text
    before = len(hub_standin.requests)
    with pytest.raises(UserError, match=r"secrets found in 1 file\(s\) of .*: \.env \(OpenAI API key\); remove"):
        push.push_folder(folder, "me/model", token=HF, endpoint=hub_standin.url, include_hidden=True)
    assert len(hub_standin.requests) == before  # refused before any request


def test_key_files_and_dot_folders_held_back(folder):
    for name in ("id_rsa", "id_ed25519.pub", "server.PEM", "tls.key", "cert.p12", "credentials.json",
                 "client_secret_123.json", ".ssh/config", ".netrc", ".hf_token", "eval/.env.local"):
        _write(folder, name, "harmless\n")
    _write(folder, ".gitattributes", "*.safetensors filter=lfs\n")
    _write(folder, ".eval_results/imhi.yaml", "- task: MultiWD\n")
    _write(folder, ".git/HEAD", "ref: refs/heads/main\n")
    sent, held = sec.upload_files(folder)
    assert [p.relative_to(folder).as_posix() for p in sent] == [
        ".eval_results/imhi.yaml", ".gitattributes", "README.md", "adapter_model.safetensors"]
    assert held == sorted([".hf_token", ".netrc", ".ssh/config", "cert.p12", "client_secret_123.json",
                           "credentials.json", "eval/.env.local", "id_ed25519.pub", "id_rsa", "server.PEM",
                           "tls.key"])
    sent, held = sec.upload_files(folder, include_hidden=True)
    assert held == [] and len(sent) == 15  # everything but .git


def test_error_names_every_blocked_file_and_never_the_secret(folder, hub_standin, monkeypatch, caplog):
    openai = "sk-" + rand(48)
    _write(folder, "config.json", f'{{"openai": "{openai}"}}\n')
    _write(folder, "notes.txt", base64.b64encode(f"token {HF}".encode()).decode() + "\n")
    _write(folder, "eval/run.log", f"login {HF}\n")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(folder.parent / "hf-home"))  # no token anywhere: the scan still comes first
    with pytest.raises(UserError) as error:
        push.push_folder(folder, "me/model", endpoint=hub_standin.url)
    assert str(error.value) == (
        f"refusing to upload me/model: secrets found in 3 file(s) of {folder}: config.json (OpenAI API key), "
        "eval/run.log (Hugging Face token), notes.txt (base64-encoded Hugging Face token); "
        "remove them, then push again")
    assert "\n" not in str(error.value) and hub_standin.requests == []
    for secret in (openai, HF, base64.b64encode(f"token {HF}".encode()).decode()):
        assert secret not in str(error.value) and secret not in caplog.text
    with pytest.raises(UserError, match=re.escape(f"refusing to upload: secrets found in 3 file(s) of {folder}: ")):
        push.check_no_tokens(folder)  # the staging steps' check, before a repo is known


def test_redact_takes_tokens_out_of_error_messages():
    org = "api" + "_org_" + rand(34, string.ascii_letters)
    message = f"401 for {HF}: bad token ({org}); header Bearer {OWN}"
    assert sec.redact(message, OWN) == "401 for hf_***: bad token (hf_***); header Bearer ***"


@pytest.fixture(params=["peft-adapter", "metrics/imhi", "space"])
def real_folder(request):
    if request.param == "peft-adapter":
        return request.getfixturevalue("tiny_adapter_dir")
    return REPO / request.param


def test_real_folders_scan_clean(real_folder):
    sent, held = sec.upload_files(real_folder)
    assert sent and held == []
    if real_folder.name.startswith("tiny-adapter"):
        assert {"tokenizer.json", "adapter_model.safetensors", "README.md"} <= {p.name for p in sent}
    assert sec.scan_files(real_folder, sent, token=HF) == []


@pytest.mark.slow
def test_hf_token_in_the_environment_never_reaches_a_run(tiny_llama_dir, data_dir, tmp_path, monkeypatch):
    import yaml
    from conftest import tiny_train_config

    from phyassist.train.trainer import build_trainer

    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("PHYASSIST_DATA_DIR", str(data_dir))
    config = tiny_train_config(tiny_llama_dir, tmp_path / "run", max_steps=1, save_steps=1)
    for text in (repr(config), str(config), config.to_json_string(), yaml.safe_dump(config.recipe_dict())):
        assert HF not in text
    assert "hub_token=<HUB_TOKEN>" in repr(config)  # TrainingArguments' masking repr, not @dataclass's
    prep = build_trainer(config)
    prep.trainer.train()  # save_steps=1: checkpoint-1/ with training_args.bin, the pickled config
    prep.trainer.save_model(str(tmp_path / "run"))
    sent, _ = sec.upload_files(tmp_path / "run", include_hidden=True)
    assert any(p.name == "training_args.bin" for p in sent)
    assert sec.scan_files(tmp_path / "run", sent, token=HF) == []
