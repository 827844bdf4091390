"""Find secrets in a folder before it is uploaded, and hold back the files that are secrets by name.

``upload_files`` splits a folder into what an upload sends and what it holds back (dotfiles, dot-folders
and key files, unless ``include_hidden``). ``scan_files`` reads every file sent, binaries included, in
overlapping chunks with our byte rules (Hub tokens, also base64-, hex- or URL-encoded; OpenAI, Google,
GitHub and AWS keys; PEM private keys; the user's own token in clear or encoded), and text files also
with detect-secrets' pattern plugins. ``secrets_error`` names every blocked file and the kind of secret,
never the secret itself; ``redact`` takes Hugging Face tokens out of an error message.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote_to_bytes

CHUNK = 1 << 20
OVERLAP = 4096  # longer than any secret looked for: one split across two chunks is whole in one window
# detect-secrets' patterns are slow on big text: tokenizer vocabularies and datasets get the byte rules
# only, the small files where keys get pasted (configs, cards, code, notes) both
TEXT_LIMIT = 1 << 20
PROGRESS_FROM = 256 << 20  # bytes to scan before a progress bar is worth showing

# Tool bookkeeping, never content: not sent, not listed.
NEVER_SENT = {".git", ".cache", "__pycache__", ".DS_Store"}
# The Hub's own dot names (LFS rules, evaluation results): sent, and scanned like everything else.
HUB_DOT_NAMES = {".gitattributes", ".eval_results"}
# Held back like dotfiles: private keys and keystores, and Google's OAuth client and credential files.
KEY_FILES = ("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk",
             "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "credentials.json", "client_secret*.json")

# detect-secrets plugins left out: IPPublicDetector (an address is not a secret); the entropy plugins
# (each sha256 in the label classifiers' manifest.json is a "Hex High Entropy String"); the keyword ones
# (KeywordDetector; IBM, Cloudant and SoftLayer credentials: most of the patterns' time on text).
_DS_SKIP = {"IPPublicDetector", "Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector",
            "CloudantDetector", "IbmCloudIamDetector", "IbmCosHmacDetector", "SoftlayerDetector"}
# detect-secrets' names for what our rules also find, so a file lists each kind once
_DS_KINDS = {"AWS Access Key": "AWS access key", "GitHub Token": "GitHub token", "OpenAI Token": "OpenAI API key",
             "Private Key": "private key"}

# A Hugging Face token: hf_ (user and org tokens) or the older api_ and api_org_, then 30+ letters and digits.
HF_TOKEN_PREFIXES = (rb"hf_", rb"api_(?:org_)?")
_HF_TOKEN_BODY = rb"[A-Za-z0-9]{30,}"
HF_TOKEN = rb"(?:" + rb"|".join(HF_TOKEN_PREFIXES) + rb")" + _HF_TOKEN_BODY
# Every rule starts with a literal, so re skips to candidates with a substring search (a leading \b, (?i) or
# alternation would make it try a match at every byte of the weights); word boundaries are checked after a match.
_RULES = (
    *(("hf", re.compile(prefix + _HF_TOKEN_BODY)) for prefix in HF_TOKEN_PREFIXES),
    ("openai", re.compile(rb"sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{32,}")),
    ("Google API key", re.compile(rb"AIza[0-9A-Za-z_-]{35}")),
    ("GitHub token", re.compile(rb"gh[pousr]_[A-Za-z0-9]{36}")),
    ("GitHub token", re.compile(rb"github_pat_[A-Za-z0-9_]{60,}")),
    ("AWS access key", re.compile(rb"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}")),
    ("private key", re.compile(rb"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----\s+"
                               rb"(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{40}")),
)
# on the lower-cased window: the key name's case varies, the value's does not matter
_AWS_SECRET = re.compile(rb"aws_?secret_?(?:access_?)?key[^\n=:]{0,8}[=:]\s*[\"']?[a-z0-9/+]{40}(?![a-z0-9/+])")
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_WORD = _ALNUM | {ord("_")}
_HF_DECODED = re.compile(HF_TOKEN)  # no boundary: decoding may glue on a prefix
_HF_REDACT = re.compile(rb"\b" + HF_TOKEN + rb"\b")
# hf_ + 30 characters = 33 bytes = 44 base64 characters; "-_" are the URL-safe alphabet's "+/"
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{44,}")
_HEX_RUN = re.compile(rb"(?i:68665f)(?:[0-9A-Fa-f]{2}){30,}")  # 68665f is "hf_"
_PCT_RUN = re.compile(rb"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9_.~-])*")
_UNRESERVED = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~-")
_URLSAFE = bytes.maketrans(b"-_", b"+/")


@dataclass(frozen=True)
class Finding:
    """One file that must not be uploaded and the kinds of secret in it (never the secret)."""

    path: str  # relative to the folder, with /
    kinds: tuple[str, ...]


def held_back(relative: str | PurePosixPath) -> bool:
    """True for dotfiles, files in dot-folders and key files: sent only with ``include_hidden``."""
    parts = PurePosixPath(relative).parts
    if any(p.startswith(".") and p not in HUB_DOT_NAMES for p in parts):
        return True
    return any(fnmatch.fnmatch(parts[-1].lower(), pattern) for pattern in KEY_FILES)


def upload_files(folder: str | Path, include_hidden: bool = False) -> tuple[list[Path], list[str]]:
    """(files an upload of ``folder`` sends, relative names of the files it holds back), both sorted."""
    folder = Path(folder)
    sent, kept = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part in NEVER_SENT for part in relative.parts):
            continue
        if not include_hidden and held_back(relative.as_posix()):
            kept.append(relative.as_posix())
        else:
            sent.append(path)
    return sent, kept


def _looks_random(body: bytes, digits: bool = False) -> bool:
    """Keeps identifiers and words out: a key's body mixes upper and lower case (and digits)."""
    return (any(65 <= b <= 90 for b in body) and any(97 <= b <= 122 for b in body)
            and (not digits or any(48 <= b <= 57 for b in body)))


def _hf_kind(value: bytes, own: bytes | None, how: str) -> str | None:
    if not _looks_random(value[value.rindex(b"_") + 1:]):
        return None
    if own and value == own:
        return "your Hugging Face token" + (f" {how}" if how else "")
    return (f"{how} " if how else "") + "Hugging Face token"


def _b64_middles(raw: bytes) -> set[bytes]:
    """The base64 characters made of ``raw``'s bits alone, at each of the 3 byte alignments, in both
    alphabets: whatever surrounds ``raw``, its encoding contains one of these."""
    out = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)
        middle = encoded[math.ceil(8 * pad / 6):8 * (pad + len(raw)) // 6]  # 6-bit groups inside raw's bits
        out |= {middle, middle.translate(bytes.maketrans(b"+/", b"-_"))}
    return out


_B64_GATE = _b64_middles(b"hf_") | _b64_middles(b"api_")


def _own_needles(token: str | None) -> dict[bytes, str]:
    """The user's token in clear and base64-encoded."""
    if not token or len(token) < 8:
        return {}
    needles = {needle: "your Hugging Face token base64-encoded" for needle in _b64_middles(token.encode())}
    needles[token.encode()] = "your Hugging Face token"
    return needles


def _decoded(window: bytes):
    """(kind of encoding, decoded bytes) for every stretch of ``window`` that may encode a token."""
    if any(gate in window for gate in _B64_GATE):
        for run in _B64_RUN.finditer(window):
            text = run.group().translate(_URLSAFE)
            for start in range(4):  # the run may begin mid-group (a chunk edge, a glued prefix)
                part = text[start:].rstrip(b"=")
                part = part[: len(part) - (len(part) % 4 == 1)]
                yield "base64-encoded", base64.b64decode(part + b"=" * (-len(part) % 4))
    for run in _HEX_RUN.finditer(window):
        yield "hex-encoded", binascii.unhexlify(run.group())
    for run in _PCT_RUN.finditer(window):
        start = run.start()
        while start > max(0, run.start() - 256) and window[start - 1] in _UNRESERVED:
            start -= 1  # the unencoded characters before the first %XX
        if run.end() - start >= 33:
            yield "URL-encoded", unquote_to_bytes(window[start:run.end()])


def _window_kinds(window: bytes, own: bytes | None, needles: dict[bytes, str]) -> set[str]:
    kinds = set()
    for name, rule in _RULES:
        for match in rule.finditer(window):
            start, end, value = match.start(), match.end(), match.group()
            if name != "private key" and ((start and window[start - 1] in _WORD)
                                          or (end < len(window) and window[end] in _ALNUM)):
                continue  # part of a longer word
            if name == "hf":
                kinds.add(_hf_kind(value, own, ""))
            elif name == "openai":
                if _looks_random(value[3:], digits=True):
                    kinds.add("Anthropic API key" if value.startswith(b"sk-ant-") else "OpenAI API key")
            else:
                kinds.add(name)
    if (b"ecret" in window or b"ECRET" in window) and _AWS_SECRET.search(window.lower()):
        kinds.add("AWS secret access key")
    for how, data in _decoded(window):
        kinds.update(_hf_kind(m.group(), own, how) for m in _HF_DECODED.finditer(data))
        if own and own in data:
            kinds.add(f"your Hugging Face token {how}")
    kinds.update(kind for needle, kind in needles.items() if needle in window)
    kinds.discard(None)
    return kinds


def scan_bytes(path: str | Path, token: str | None = None, progress=None) -> set[str]:
    """Kinds of secret our byte rules find in a file of any type, read in overlapping chunks."""
    needles = _own_needles(token)
    own = token.encode() if needles else None
    kinds = set()
    with open(path, "rb") as f:
        tail = b""
        while chunk := f.read(CHUNK):
            window = tail + chunk
            kinds |= _window_kinds(window, own, needles)
            tail = window[-OVERLAP:]
            if progress is not None:
                progress.update(len(chunk))
    return kinds


@functools.lru_cache(maxsize=1)
def _detect_secrets_config() -> dict:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    return {"plugins_used": [{"name": cls.__name__} for cls in get_mapping_from_secret_type_to_class().values()
                             if issubclass(cls, RegexBasedDetector) and cls.__name__ not in _DS_SKIP]}


def scan_text_files(paths: list[Path]) -> dict[Path, set[str]]:
    """Kinds of secret detect-secrets' pattern plugins find, for the UTF-8 files of ``paths`` up to
    ``TEXT_LIMIT``. Its scan runs filters on every line, so a file goes through it only when one of the
    plugins' own patterns matches somewhere in its text."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import get_plugins, transient_settings

    found = {}
    with transient_settings(_detect_secrets_config()):
        patterns = [regex for plugin in get_plugins() for regex in plugin.denylist]
        for path in paths:
            if path.stat().st_size > TEXT_LIMIT:
                continue
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue  # binary: the byte rules cover it
            if not any(regex.search(text) for regex in patterns):
                continue
            collection = SecretsCollection()
            collection.scan_file(str(path))
            kinds = {_DS_KINDS.get(s.type, s.type) for secrets in collection.data.values() for s in secrets}
            if kinds:
                found[path] = kinds
    return found


def scan_files(folder: str | Path, files: list[Path], token: str | None = None) -> list[Finding]:
    """Every file of ``files`` (under ``folder``) holding a secret or ``token``, in order."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    text_kinds = scan_text_files(files)
    total = sum(path.stat().st_size for path in files)
    findings = []
    with tqdm(total=total, unit="B", unit_scale=True, desc="Scanning for secrets", disable=total < PROGRESS_FROM) as bar:
        for path in files:
            kinds = scan_bytes(path, token, bar) | text_kinds.get(path, set())
            if kinds:
                findings.append(Finding(path.relative_to(folder).as_posix(), tuple(sorted(kinds))))
    return findings


def scan_folder(folder: str | Path, token: str | None = None, include_hidden: bool = False) -> list[Finding]:
    """``scan_files`` over what an upload of ``folder`` would send."""
    return scan_files(folder, upload_files(folder, include_hidden)[0], token)


def secrets_error(findings: list[Finding], folder: str | Path, repo_id: str | None = None) -> str:
    """The one-line refusal: every blocked file with its kinds of secret."""
    where = f"upload {repo_id}" if repo_id else "upload"
    files = ", ".join(f"{f.path} ({', '.join(f.kinds)})" for f in findings)
    return (f"refusing to {where}: secrets found in {len(findings)} file(s) of {folder}: {files}; "
            "remove them, then push again")


def redact(text: str, token: str | None = None) -> str:
    """``text`` with every Hugging Face token, and ``token`` itself, replaced (for error messages)."""
    text = _HF_REDACT.sub(b"hf_***", text.encode()).decode(errors="replace")
    return text.replace(token, "***") if token else text
