"""The Gradio UI driven like a person would, in headless Debian Chromium.

Screenshots of each step land in ``tests/artifacts/`` for a human to look at.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from assistant.api import Assistant

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ui_url(fast_assistant: Assistant) -> Iterator[str]:
    from ui.app import build_app
    from ui.cards import CARDS_CSS

    port = free_port()
    app = build_app(fast_assistant).queue()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CARDS_CSS)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium is not installed (make test installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_chat_shows_recommendation_cards(ui_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(ui_url)
    page.get_by_placeholder("e.g. I loved The Matrix and Blade Runner").fill("I loved The Matrix and Blade Runner")
    page.screenshot(path=str(ARTIFACTS / "01-typed.png"))
    page.locator("#send").click()
    cards = page.locator(".concierge-card")
    cards.first.wait_for(timeout=120_000)
    page.wait_for_function("document.querySelectorAll('.concierge-card').length == 5", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "02-recommendations.png"), full_page=True)
    titles = cards.locator("h3").all_inner_texts()
    assert len(titles) == 5
    assert not any("Matrix (1999)" in title or "Blade Runner (1982)" in title for title in titles)
    chat_text = page.locator("#chat").inner_text()
    assert "I loved The Matrix and Blade Runner" in chat_text
    assert titles[0].split(". ", 1)[1] in chat_text
    page.close()


def test_empty_message_shows_a_message_not_a_trace(ui_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(ui_url)
    page.locator("#send").click()
    page.get_by_text("I could not take that message").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "03-empty-message-phone.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.close()
