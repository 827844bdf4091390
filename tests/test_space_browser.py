"""The Space in a real browser: Playwright driving Debian's Chromium (`apt-get install -y chromium`)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from test_space import free_port, load_space_module, train_tiny_adapter

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def app_url(smol_dir, tmp_path_factory):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("browser-adapters")
    hub_id = json.loads((smol_dir / "phyassist_base.json").read_text())["hub_id"]
    calm = train_tiny_adapter(smol_dir, root / "calm", "Breathe slowly. You are safe.", 0, hub_id)
    coach = train_tiny_adapter(smol_dir, root / "coach", "Let us make a small plan.", 1, hub_id)
    config = root / "adapters.yaml"
    config.write_text(f"base_model: smollm2-135m-instruct\nadapters:\n  calm: {calm}\n  coach: {coach}\n"
                      "  broken: /no/such/adapter\n")
    app = load_space_module()
    demo = app.create(config)
    app.launch(demo, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        browser.close()


def bot_text(page) -> str:
    bots = page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']")
    return bots.last.inner_text() if bots.count() else ""


def send(page, text: str):
    box = page.locator("#chat-input textarea")
    box.fill(text)
    box.press("Enter")


def test_chat_streams_switches_adapter_and_shows_crisis_banner(page):
    assert "not a substitute for professional care" in page.locator("#disclaimer").inner_text()
    status = page.locator("#adapter-status").inner_text()
    assert "broken" in status and "could not be loaded" in status

    send(page, "I feel stressed about my exams. What can I do?")
    seen, deadline = [], time.time() + 120
    while time.time() < deadline and len(set(seen)) < 3:  # the answer grows while tokens stream in
        text = bot_text(page)
        if text.strip():
            seen.append(text)
        time.sleep(0.05)
    assert len(set(seen)) >= 3, seen
    assert any(len(a) < len(b) and b.startswith(a[:10]) for a, b in zip(seen, seen[1:]))
    page.get_by_role("button", name="Stop").first.click()  # the chat's stop button ends the stream
    page.locator("#chat-input textarea").wait_for(state="visible")

    page.locator("#adapter-choice input").click()
    page.get_by_role("option", name="coach").click()
    assert page.locator("#adapter-choice input").input_value() == "coach"

    send(page, "I want to kill myself")
    banner = page.locator("#chatbot").get_by_text("Crisis support")
    banner.wait_for(state="visible")
    assert "988" in bot_text(page)
    assert "Traceback" not in page.content()
