"""The Gradio UI driven like a person would, in headless Debian Chromium (helpers in :mod:`tests.ui.browsing`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from assistant.api import Assistant
from tests.ui.browsing import ARTIFACTS, TURN_TIMEOUT_MS, card_titles, free_port, open_page, send

pytestmark = pytest.mark.browser


def test_chat_why_feedback_and_profile(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url)
    send(page, "I loved The Matrix and Blade Runner")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "01-recommendations.png"), full_page=True)
    titles = card_titles(page)
    assert len(titles) == 5 and "The Matrix (1999)" not in titles and "Blade Runner (1982)" not in titles
    assert titles[0] in page.locator("#chat").inner_text()
    expect(page.locator("#profile-list")).to_contain_text("Liked: The Matrix (1999)")
    expect(page.locator("#profile-list")).to_contain_text("Liked: Blade Runner (1982)")

    page.locator("#why-1").click()
    expect(page.locator("#why-text")).to_contain_text(f"I suggested {titles[0]} because", timeout=30_000)
    expect(page.locator("#why-picture img")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "02-why.png"), full_page=True)

    rejected = titles[1]
    page.locator("#dislike-2").click()
    expect(page.locator("#card-2").first).to_be_hidden(timeout=30_000)
    expect(page.locator("#profile-list")).to_contain_text(f"Disliked: {rejected}")
    page.screenshot(path=str(ARTIFACTS / "03-thumbs-down.png"), full_page=True)
    send(page, "more like those please")
    expect(page.locator(".concierge-card").first).to_be_visible(timeout=TURN_TIMEOUT_MS)
    assert rejected not in card_titles(page)
    page.screenshot(path=str(ARTIFACTS / "04-next-answer.png"), full_page=True)

    page.locator("#profile-entry input").click()
    page.get_by_role("option", name="Liked: The Matrix (1999)").click()
    page.locator("#profile-remove").click()
    expect(page.locator("#profile-list")).not_to_contain_text("Liked: The Matrix (1999)", timeout=30_000)
    expect(page.locator("#profile-list")).to_contain_text("Liked: Blade Runner (1982)")
    page.screenshot(path=str(ARTIFACTS / "05-profile-entry-removed.png"), full_page=True)

    other = open_page(browser, ui_url, width=390)
    expect(other.locator("#profile-list")).to_contain_text("Nothing yet")
    send(other, "I loved Toy Story")
    expect(other.locator("#profile-list")).to_contain_text("Liked: Toy Story (1995)", timeout=TURN_TIMEOUT_MS)
    expect(other.locator("#profile-list")).not_to_contain_text("Blade Runner")
    other.screenshot(path=str(ARTIFACTS / "06-second-tab-phone.png"), full_page=True)
    expect(page.locator("#profile-list")).not_to_contain_text("Toy Story")
    page.close()
    other.close()


def test_why_asked_in_the_chat_opens_the_why_panel(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url)
    send(page, "I loved The Matrix and Blade Runner")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    titles = card_titles(page)

    send(page, "why the second one?")
    expect(page.locator("#chat")).to_contain_text(f"I suggested {titles[1]} because", timeout=TURN_TIMEOUT_MS)
    expect(page.locator("#why-panel").first).to_be_visible()
    expect(page.locator("#why-text")).to_contain_text(f"I suggested {titles[1]} because")
    expect(page.locator("#why-picture img")).to_be_visible(timeout=30_000)
    assert card_titles(page) == titles
    page.screenshot(path=str(ARTIFACTS / "09-why-in-the-chat.png"), full_page=True)
    page.close()


def test_off_topic_question_changes_no_card_and_no_profile(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url)
    send(page, "I loved Toy Story")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    titles, profile = card_titles(page), page.locator("#profile-list").inner_text()
    answers = page.locator("#chat .message").count()

    send(page, "What is the capital of France?")
    expect(page.locator("#chat .message")).not_to_have_count(answers, timeout=TURN_TIMEOUT_MS)
    assert card_titles(page) == titles
    assert page.locator("#profile-list").inner_text() == profile
    expect(page.locator("#why-panel")).to_be_hidden()
    assert not re.search(r"\bllm\b|\bsource\b|list_line|small_talk", page.locator("#chat").inner_text())
    page.screenshot(path=str(ARTIFACTS / "10-off-topic.png"), full_page=True)
    page.close()


def test_a_new_list_closes_the_why_panel_of_the_old_one(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url)
    send(page, "I loved The Matrix and Blade Runner")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    titles = card_titles(page)
    page.locator("#why-1").click()
    expect(page.locator("#why-text")).to_contain_text(f"I suggested {titles[0]} because", timeout=30_000)

    send(page, "A comedy from the 90s with Jim Carrey")
    expect(page.locator(".concierge-card").first).to_be_visible(timeout=TURN_TIMEOUT_MS)
    assert card_titles(page) != titles
    expect(page.locator("#why-panel")).to_be_hidden()
    expect(page.get_by_text(f"I suggested {titles[0]} because")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "11-new-list-closes-why.png"), full_page=True)
    page.close()


def test_empty_message_shows_a_message_not_a_trace(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url, width=390)
    page.locator("#send").click()
    expect(page.get_by_text("I could not take that message")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "07-empty-message-phone.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.close()


def test_login_is_required_when_auth_is_set(fast_assistant: Assistant, browser: Browser) -> None:
    from ui.app import auth_pairs, build_app

    settings = fast_assistant.settings.model_copy(update={"ui_auth": "alice:wonderland"})
    port = free_port()
    app = build_app(fast_assistant).queue()
    app.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, auth=auth_pairs(settings)
    )
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.locator("#message textarea")).to_have_count(0)
        page.get_by_label("username").fill("alice")
        page.get_by_label("password").fill("wonderland")
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#message textarea")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "08-after-login.png"))
        page.close()
    finally:
        app.close()
