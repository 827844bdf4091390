"""The downloader (phyassist.data.download): atomic, checked, reported, offline-safe."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest

from phyassist.errors import UserError


@pytest.fixture
def http_mirror(tiny_root):
    """A loopback HTTP server serving a folder laid out like the two GitHub repositories."""
    site = tiny_root.parent / "site"
    shutil.copytree(tiny_root / "imhi", site / "mentalllama")
    (site / "mentalllama/LICENSE").write_text("MIT")
    (site / "counsel/data").mkdir(parents=True)
    shutil.copy(tiny_root / "counsel-chat/20200325_counsel_chat.csv", site / "counsel/data/")
    (site / "counsel/LICENSE").write_text("MIT")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", site
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_over_http_is_atomic_and_reports(http_mirror, tmp_path, monkeypatch):
    from phyassist.data.download import download_all

    url, site = http_mirror
    monkeypatch.setenv("PHYASSIST_IMHI_URL", f"{url}/mentalllama")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"{url}/counsel")
    dest = tmp_path / "dest"
    result = download_all(dest, verify=False)  # a tiny mirror: not the release's bytes
    assert "imhi/train_data/instruction_data/MultiWD/val.csv" in result["downloaded"]
    assert "counsel-chat/20200325_counsel_chat.csv" in result["downloaded"]
    assert any(x.startswith("imhi/train_data/instruction_data/MultiWD/train.csv") for x in result["unavailable"])
    # The mirror lacks most release files: required ones are failures, and nothing partial is left.
    assert any(x.startswith("imhi/test_data/test_instruction/SAD.csv") for x in result["failed"])
    assert (dest / "imhi/train_data/instruction_data/MultiWD/val.csv").read_bytes() == \
        (site / "mentalllama/train_data/instruction_data/MultiWD/val.csv").read_bytes()
    assert not list(dest.rglob("*.tmp"))
    again = download_all(dest, only="counsel-chat", verify=False)
    assert again["kept"] == ["counsel-chat/LICENSE", "counsel-chat/20200325_counsel_chat.csv"]


def test_download_rejects_a_non_csv_answer(tmp_path, monkeypatch):
    from phyassist.data.download import download_all

    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "LICENSE").write_text("MIT")
    (site / "data/20200325_counsel_chat.csv").write_text("<html>rate limited</html>\n")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", site.as_uri())
    result = download_all(tmp_path / "dest", only="counsel-chat", verify=False)
    assert result["downloaded"] == ["counsel-chat/LICENSE"]
    assert "not the expected CSV" in result["failed"][0]
    assert not (tmp_path / "dest/counsel-chat/20200325_counsel_chat.csv").exists()


def test_download_without_network_is_one_user_error(tmp_path, monkeypatch):
    import socket

    from phyassist.data import download

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(download, "BACKOFF_S", 0)
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"http://127.0.0.1:{port}/counsel")
    with pytest.raises(UserError, match=r"cannot download http://127\.0\.0\.1:\d+/counsel/LICENSE: .*internet connection"):
        download.download_all(tmp_path / "dest", only="counsel-chat")
    assert not list((tmp_path / "dest").rglob("*.*"))


def test_transient_http_errors_are_retried(tmp_path, monkeypatch, caplog):
    from phyassist.data import download

    (tmp_path / "LICENSE").write_text("MIT")
    failures = {"/LICENSE": 2}  # two 503s, then the file

    class Flaky(_QuietHandler):
        def do_GET(self):
            if failures.get(self.path, 0):
                failures[self.path] -= 1
                self.send_error(503)
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Flaky, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(download, "BACKOFF_S", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert download.fetch(f"{url}/LICENSE", tmp_path / "dest" / "LICENSE").read_text() == "MIT"
        assert caplog.text.count(f"failed: {url}/LICENSE: HTTP 503") == 2 and "attempt 2/3" in caplog.text
        failures["/LICENSE"] = 3  # one more than the attempts
        with pytest.raises(ConnectionError, match=r"^http://127\.0\.0\.1:\d+/LICENSE: HTTP 503$"):
            download.fetch(f"{url}/LICENSE", tmp_path / "dest" / "again")
        assert "attempt 3/3 failed" in caplog.text and not (tmp_path / "dest" / "again").exists()
    finally:
        server.shutdown()


def test_checksums_pin_the_release(http_mirror, tmp_path, monkeypatch):
    import hashlib

    from phyassist.data import download

    url, site = http_mirror
    monkeypatch.setenv("PHYASSIST_IMHI_URL", f"{url}/mentalllama")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"{url}/counsel")
    # the shipped table covers the release's files, LICENSE and counsel-chat included
    shipped = download.checksums()
    assert {"imhi/LICENSE", "counsel-chat/20200325_counsel_chat.csv",
            "imhi/test_data/test_instruction_expert/DR.csv"} <= set(shipped)
    assert all(len(v) == 64 for v in shipped.values())
    good = (site / "counsel/data/20200325_counsel_chat.csv").read_bytes()
    table = {"counsel-chat/LICENSE": "0" * 64,
             "counsel-chat/20200325_counsel_chat.csv": hashlib.sha256(good).hexdigest()}
    monkeypatch.setattr(download, "checksums", lambda: table)
    result = download.download_all(tmp_path / "dest", only="counsel-chat")
    assert result["downloaded"] == ["counsel-chat/20200325_counsel_chat.csv"]
    assert "sha256" in result["failed"][0] and "is not the pinned release's 000000000000" in result["failed"][0]
    assert not (tmp_path / "dest/counsel-chat/LICENSE").exists()  # a file that fails the check never lands


def test_expert_files_come_from_either_release_folder(http_mirror, tmp_path, monkeypatch):
    from phyassist.data.download import download_all

    url, site = http_mirror
    (site / "mentalllama/human_evaluation/test_instruction_expert").mkdir(parents=True)
    (site / "mentalllama/human_evaluation/test_instruction_expert/DR.csv").write_text(
        'query,gpt-3.5-turbo\n"q","No, the poster does not suffer from depression. Reasoning: r."\n')
    monkeypatch.setenv("PHYASSIST_IMHI_URL", f"{url}/mentalllama")
    result = download_all(tmp_path / "dest", only="imhi", verify=False)
    assert "imhi/test_data/test_instruction_expert/DR.csv" in result["downloaded"]
    assert any(x.startswith("imhi/test_data/test_instruction_expert/SAD.csv") for x in result["unavailable"])


def test_ensure_data_offline_is_one_line_within_seconds(tmp_path, monkeypatch):
    import time

    from phyassist.data.download import ensure_data, needed_files

    assert needed_files("MultiWD") == ["imhi/train_data/instruction_data/MultiWD/val.csv",
                                       "imhi/test_data/test_instruction/MultiWD.csv"]
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    t0 = time.perf_counter()
    with pytest.raises(UserError, match=r"^MultiWD data missing under .*empty \(imhi/train_data/instruction_data/"
                                        r"MultiWD/val.csv, imhi/test_data/test_instruction/MultiWD.csv\); HF_HUB_OFFLINE "
                                        r"is set, so not downloading: run `phyassist data download` .*PHYASSIST_DATA_DIR"):
        ensure_data("MultiWD", tmp_path / "empty")
    assert time.perf_counter() - t0 < 5


def test_ensure_data_downloads_what_is_missing(http_mirror, tmp_path, monkeypatch):
    from phyassist.data.download import ensure_data

    url, site = http_mirror
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setenv("PHYASSIST_IMHI_URL", f"{url}/mentalllama")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", f"{url}/counsel")
    monkeypatch.setattr("phyassist.data.download.checksums", lambda: {})
    root = ensure_data("MultiWD", tmp_path / "fresh")
    assert (root / "imhi/test_data/test_instruction/MultiWD.csv").is_file()
    with pytest.raises(UserError, match=r"^SAD data still missing under .* after the download \(imhi/train_data/"):
        ensure_data("SAD", tmp_path / "fresh2")  # the mirror has no SAD files: a clear error, not a traceback
