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
    result = download_all(dest)
    assert "imhi/train_data/instruction_data/MultiWD/val.csv" in result["downloaded"]
    assert "counsel-chat/20200325_counsel_chat.csv" in result["downloaded"]
    assert any(x.startswith("imhi/train_data/instruction_data/MultiWD/train.csv") for x in result["unavailable"])
    # The mirror lacks most release files: required ones are failures, and nothing partial is left.
    assert any(x.startswith("imhi/test_data/test_instruction/SAD.csv") for x in result["failed"])
    assert (dest / "imhi/train_data/instruction_data/MultiWD/val.csv").read_bytes() == \
        (site / "mentalllama/train_data/instruction_data/MultiWD/val.csv").read_bytes()
    assert not list(dest.rglob("*.tmp"))
    again = download_all(dest, only="counsel-chat")
    assert again["kept"] == ["counsel-chat/LICENSE", "counsel-chat/20200325_counsel_chat.csv"]


def test_download_rejects_a_non_csv_answer(tmp_path, monkeypatch):
    from phyassist.data.download import download_all

    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "LICENSE").write_text("MIT")
    (site / "data/20200325_counsel_chat.csv").write_text("<html>rate limited</html>\n")
    monkeypatch.setenv("PHYASSIST_COUNSEL_CHAT_URL", site.as_uri())
    result = download_all(tmp_path / "dest", only="counsel-chat")
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
