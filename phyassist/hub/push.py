"""Push a folder to the Hugging Face Hub: a secret scan first, then one commit, with retries.

``push_folder(folder, repo_id)`` first scans every file it would send for secrets (``secrets``: keys,
tokens, the user's own token, also encoded) and refuses with one line naming each blocked file; dotfiles
and key files are held back unless ``include_hidden``. Only then does it create the repo (``exist_ok``;
private only if asked) and upload the files in **one** commit with ``HfApi.create_commit``, which only
adds or overwrites, so files the user keeps in the repo are never deleted. Transient network errors
(connection failures, timeouts, HTTP 429/5xx) are retried with backoff. The token comes from
``HF_TOKEN`` or the huggingface_hub login cache and is never printed, logged or written. The same code
pushes adapters, the evaluate metric module and the demo Space (``repo_type="space"``); ``main`` is
``phyassist push``. Card metadata (``README.md``, ``eval.yaml``, ``.eval_results/``) the Hub would reject is
refused before any request too (``frontmatter``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PushError, UserError
from ..io import retry
from ..models import is_hub_id
from . import frontmatter, secrets

logger = logging.getLogger(__name__)

RETRIES = 4  # calls of create_repo and of create_commit each, at most


@dataclass
class PushConfig:
    """What ``phyassist push FOLDER`` uploads; the fields are its flags."""

    folder: str | None = field(default=None, metadata={"help": "Folder to upload (staged adapter, metric module or Space); also the first word."})
    repo_id: str | None = field(default=None, metadata={"help": "Target repo, ORG/NAME."})
    repo_type: str = field(default="model", metadata={"help": "model, space or dataset."})
    private: bool = field(default=False, metadata={"help": "Create the repo private (ignored if it exists)."})
    commit_message: str | None = field(default=None, metadata={"help": "Commit message."})
    include_hidden: bool = field(default=False, metadata={
        "help": "Also send dotfiles, dot-folders and key files (.env, *.pem, id_rsa, ...); they are scanned too."})

    def __post_init__(self):
        if not self.folder:
            raise UserError("a folder to push is required: phyassist push FOLDER --repo-id ORG/NAME")
        if not self.repo_id:
            raise UserError("`repo_id` is required (--repo-id ORG/NAME)")
        check_repo_id(self.repo_id)
        check_repo_type(self.repo_type)


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it looks like ORG/NAME, else a one-line ``UserError``."""
    if not is_hub_id(repo_id):
        raise UserError(f"`repo_id` must look like ORG/NAME, got {repo_id!r}")
    return repo_id


def check_repo_type(repo_type: str) -> str:
    if repo_type not in ("model", "space", "dataset"):
        raise UserError(f"`repo_type` must be 'model', 'space' or 'dataset', got {repo_type!r}")
    return repo_type


def get_token() -> str | None:
    """The Hub token from ``HF_TOKEN`` or ``hf auth login``'s cache, or None when there is none."""
    from huggingface_hub import get_token as hf_get_token

    return hf_get_token() or None


def check_no_tokens(folder: str | Path, token: str | None = None, repo_id: str | None = None,
                    include_hidden: bool = False) -> None:
    """A one-line ``UserError`` naming every file of ``folder`` that must not be uploaded, and why."""
    findings = secrets.scan_folder(folder, token, include_hidden)
    if findings:
        raise UserError(secrets.secrets_error(findings, folder, repo_id))


def _transport_errors() -> tuple[type, ...]:
    # huggingface_hub 2.x sends through httpx2, 1.x through httpx; both raise their own TransportError
    import importlib
    import importlib.util

    return tuple(importlib.import_module(m).TransportError for m in ("httpx2", "httpx") if importlib.util.find_spec(m))


def _is_transient(error: Exception) -> bool:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(error, OfflineModeIsEnabled):
        return False
    if isinstance(error, HfHubHTTPError):
        status = getattr(error.response, "status_code", None)
        return status is None or status == 429 or status >= 500
    return isinstance(error, (*_transport_errors(), ConnectionError, TimeoutError))


def _retry(what: str, fn, wait: float):
    def log(attempt: int, error: Exception, next_wait: float | None) -> None:
        if next_wait is not None:
            logger.warning("%s failed (%s); retry %d/%d in %.0f s", what, type(error).__name__, attempt, RETRIES - 1,
                           next_wait)

    return retry(fn, attempts=RETRIES, wait=wait, transient=_is_transient, on_error=log)


def _space_sdk(folder: Path) -> str:
    readme = folder / "README.md"
    if readme.exists():
        match = re.search(r"^sdk:\s*(\S+)", readme.read_text(encoding="utf-8", errors="replace"), re.M)
        if match:
            return match.group(1)
    return "gradio"


def retry_command(folder: str | Path, repo_id: str, repo_type: str = "model", private: bool = False,
                  include_hidden: bool = False) -> str:
    cmd = f"phyassist push {folder} --repo-id {repo_id}"
    if repo_type != "model":
        cmd += f" --repo-type {repo_type}"
    return cmd + (" --private" if private else "") + (" --include_hidden" if include_hidden else "")


def push_folder(folder: str | Path, repo_id: str, repo_type: str = "model", private: bool = False,
                commit_message: str | None = None, token: str | None = None, endpoint: str | None = None,
                retry_wait: float = 1.0, tag: str | None = None, include_hidden: bool = False) -> str:
    """Scan ``folder`` for secrets, then create ``repo_id`` if needed and upload it in one commit;
    return the repo URL. Dotfiles and key files stay out unless ``include_hidden`` (scanned too).

    ``tag`` then names that commit; an existing tag is never moved (what a pinned revision points at
    must not change), so it is an error that leaves the commit on ``main`` and the tag where it was."""
    from huggingface_hub import CommitOperationAdd, HfApi, constants

    folder = Path(folder)
    check_repo_type(repo_type)
    check_repo_id(repo_id)
    retry = retry_command(folder, repo_id, repo_type, private, include_hidden)
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder; expected a staged adapter, metric or Space folder")
    files, held = secrets.upload_files(folder, include_hidden)
    if held:
        logger.info("Not uploading %d hidden or key file(s) of %s: %s (--include_hidden sends them, after the scan)",
                    len(held), folder, ", ".join(held))
    if not files:
        raise UserError(f"{folder}: no files to push")
    token = token or get_token()  # HF_TOKEN or the login cache, no network: the scan looks for it too
    findings = secrets.scan_files(folder, files, token)
    if findings:
        raise UserError(secrets.secrets_error(findings, folder, repo_id))
    # card, eval.yaml and .eval_results metadata the Hub would refuse: refused here, before any request
    frontmatter.check_folder(folder, repo_type, [p.relative_to(folder).as_posix() for p in files])
    if not token:
        raise UserError(f"no Hugging Face token: set HF_TOKEN or run `hf auth login`, then: {retry}")
    if constants.is_offline_mode():
        raise UserError("HF_HUB_OFFLINE is set; unset it to push: " + retry)
    api = HfApi(endpoint=endpoint, token=token)
    logger.info("Pushing %d files (%.1f MB) to %s", len(files), sum(p.stat().st_size for p in files) / 1e6, repo_id)
    message = commit_message or f"Upload {folder.name} with phyassist ({len(files)} files)"
    extra = {"space_sdk": _space_sdk(folder)} if repo_type == "space" else {}
    try:
        url = _retry("create_repo", lambda: api.create_repo(
            repo_id, repo_type=repo_type, private=private, exist_ok=True, **extra), wait=retry_wait)
        # fresh operations per try: create_commit mutates them and refuses to reuse committed ones
        info = _retry("create_commit", lambda: api.create_commit(
            repo_id, repo_type=repo_type, commit_message=message,
            operations=[CommitOperationAdd(path_in_repo=p.relative_to(folder).as_posix(), path_or_fileobj=str(p))
                        for p in files]), wait=retry_wait)
    except UserError:
        raise
    except Exception as e:
        raise PushError(
            f"push to {repo_id} failed ({type(e).__name__}: {secrets.redact(str(e), token)}); the staged folder "
            f"{folder} is unchanged; retry with: {retry}"
        ) from None
    logger.info("Pushed %d files to %s in commit %s", len(files), repo_id, getattr(info, "oid", "?"))
    if tag:
        from huggingface_hub.errors import HfHubHTTPError

        try:
            api.create_tag(repo_id, tag=tag, revision=info.oid, repo_type=repo_type, exist_ok=False)
        except HfHubHTTPError as e:
            if getattr(e.response, "status_code", None) == 409:
                raise PushError(f"tag {tag!r} already exists on {repo_id}; published revisions are never moved: "
                                f"publish under a new tag (the files are on main in commit {info.oid})") from None
            raise PushError(f"tagging {repo_id} commit {info.oid} as {tag!r} failed "
                            f"({type(e).__name__}: {secrets.redact(str(e), token)})") from None
        logger.info("Tagged %s commit %s as %s", repo_id, info.oid, tag)
    return str(url)


def main(cfg: PushConfig) -> int:
    """``phyassist push``: upload the folder and print where it went."""
    url = push_folder(cfg.folder, cfg.repo_id, cfg.repo_type, cfg.private, cfg.commit_message,
                      include_hidden=cfg.include_hidden)
    print(f"Pushed {cfg.folder} to {url}")
    return 0
