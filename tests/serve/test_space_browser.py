"""The Space in a real browser: Playwright driving Debian's Chromium (`apt-get install -y chromium`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import one_torch_thread
from test_space import free_port, load_space_module

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (.ci/run: apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def app_url(chromium, smol_adapters, tmp_path_factory):
    config = tmp_path_factory.mktemp("browser-config") / "adapters.yaml"
    config.write_text(f"base_model: smollm2-135m-instruct\nadapters:\n  calm: {smol_adapters['calm']}\n"
                      f"  coach: {smol_adapters['coach']}\n  broken: /no/such/adapter\n")
    app = load_space_module()
    with one_torch_thread():
        demo = app.create(config)
        app.launch(demo, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
        yield demo.local_url
        demo.close()


@pytest.fixture(scope="module")
def page(chromium, app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        browser.close()


def bot_text(page) -> str:
    bots = page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']")
    return bots.last.inner_text() if bots.count() else ""


def user_messages(page) -> int:
    return page.locator("#chatbot .message.user").count()


def send(page, text: str):
    box = page.locator("#chat-input textarea")
    box.fill(text)
    box.press("Enter")


def test_chat_streams_switches_adapter_and_shows_crisis_banner(page):
    assert "not a substitute for professional care" in page.locator("#disclaimer").inner_text()
    status = page.locator("#adapter-status").inner_text()
    assert "broken" in status and "could not be loaded" in status and "/no/such" not in status

    send(page, "I feel stressed about my exams. What can I do?")
    seen, deadline = [], time.time() + 120
    while time.time() < deadline and len(set(seen)) < 3:  # the answer grows while tokens stream in
        text = bot_text(page)
        if text.strip():
            seen.append(text)
        time.sleep(0.05)
    assert len(set(seen)) >= 3, seen
    assert any(len(a) < len(b) and b.startswith(a[:10]) for a, b in zip(seen, seen[1:]))
    page.locator("#chat-input [data-testid='stop-button']").click()  # the chat's stop button ends the stream
    page.wait_for_function("!document.querySelector('#chat-input textarea').disabled")
    stopped = bot_text(page)
    time.sleep(1.5)
    assert bot_text(page) == stopped  # no more tokens after stopping

    page.locator("#adapter-choice input").click()
    page.get_by_role("option", name="coach").click()
    assert page.locator("#adapter-choice input").input_value() == "coach"

    send(page, "I want to kill myself")
    banner = page.locator("#chatbot").get_by_text("Crisis support")
    banner.wait_for(state="visible")
    page.wait_for_function("!document.querySelector('#chat-input textarea').disabled")
    assert "988" in bot_text(page) and "you don't have to face it alone" in bot_text(page)  # the fixed reply
    assert user_messages(page) == 2  # both turns kept
    assert "Traceback" not in page.content()

    page.locator("#chat-reset").click()  # a new conversation: the session's history is cleared
    page.wait_for_function("document.querySelectorAll('#chatbot .message').length === 0")
    send(page, "Hello again")
    page.wait_for_function("document.querySelectorAll('#chatbot .message.user').length === 1")
    page.wait_for_function("!document.querySelector('#chat-input textarea').disabled")
    assert bot_text(page).strip() and "Crisis support" not in bot_text(page)  # the screen starts afresh


def test_example_fills_the_box_and_the_analysis_tab_works(page):
    page.get_by_text("I can't sleep because I keep overthinking").first.click()
    page.wait_for_function("document.querySelector('#chat-input textarea').value.includes('overthinking')")
    page.get_by_role("tab", name="IMHI analysis").click()
    page.locator("#post textarea").fill("I want to end my life. Nothing is worth it anymore.")
    page.locator("#analyze").click()
    page.locator("#label-badge").wait_for(state="visible", timeout=120_000)
    assert "Crisis support" in page.locator("#analysis-crisis").inner_text()  # resources above the analysis
    assert page.locator("#analysis-answer").inner_text().strip()
