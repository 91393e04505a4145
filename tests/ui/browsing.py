"""Driving the Gradio UI in headless Debian Chromium: one server per module, helpers that act as a person would.

Screenshots land in ``tests/artifacts/`` for a human to look at.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from assistant.api import Assistant

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TURN_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(assistant: Assistant, auth: list[tuple[str, str]] | None = None) -> Iterator[str]:
    """The UI of ``assistant`` on a free local port, as ``concierge ui`` serves it; yields its address."""
    from ui.app import build_app
    from ui.cards import CARDS_CSS

    port = free_port()
    app = build_app(assistant).queue()
    app.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CARDS_CSS, auth=auth
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def wait_idle(page: Page) -> None:
    """Wait until no event is running (a turn, a page load)."""
    page.wait_for_function(
        "() => !document.querySelector('.generating') && !document.querySelector('.pending')", timeout=TURN_TIMEOUT_MS
    )


def send(page: Page, text: str) -> None:
    """Type a message, send it, and wait until the turn has finished."""
    page.locator("#message textarea").fill(text)
    page.locator("#send").click()
    expect(page.locator("#send")).to_be_enabled(timeout=TURN_TIMEOUT_MS)
    wait_idle(page)


def card_titles(page: Page) -> list[str]:
    return [re.sub(r"^\d+\. ", "", title) for title in page.locator(".concierge-card h3").all_inner_texts() if title]


def open_page(browser: Browser, ui_url: str, width: int = 1280) -> Page:
    """A page in a browser context of its own: its own local storage, as another browser or device has."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(ui_url)
    page.locator("#message textarea").wait_for()
    expect(page.locator("#storage-note")).to_contain_text("Stored", timeout=30_000)
    return page
