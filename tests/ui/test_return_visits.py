"""Coming back to the web UI: a browser or a login finds its profile, chat and last cards; Forget me leaves nothing.

Each browser context is a browser of its own (its own local storage); a
reload is a return visit.  A forged token is sent the way a client would
send it: by rewriting the page-load request that carries the stored token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from assistant.api import Assistant
from tests.ui.browsing import ARTIFACTS, TURN_TIMEOUT_MS, card_titles, open_page, send, served, wait_idle

pytestmark = pytest.mark.browser

TOKEN = re.compile(r"browser-[0-9a-f]{32}\.[0-9a-f]{64}")
NOTHING_YET = "Nothing yet"


def reload(page: Page) -> None:
    page.reload()
    page.locator("#message textarea").wait_for()
    expect(page.locator("#storage-note")).to_contain_text("Stored", timeout=30_000)
    wait_idle(page)


@pytest.fixture(scope="module")
def heat_lover(ui_url: str, browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A browser that said "I loved Heat" and got a list: one turn shared by the tests that only read it."""
    page = open_page(browser, ui_url)
    expect(page.locator("#storage-note")).to_contain_text("This browser keeps only a signed key")
    send(page, "I loved Heat")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    yield page, card_titles(page)
    page.close()


def test_a_reload_brings_back_the_like_the_chat_and_the_last_cards(
    heat_lover: tuple[Page, list[str]], ui_url: str, browser: Browser
) -> None:
    page, titles = heat_lover
    reload(page)
    expect(page.locator("#chat")).to_contain_text("Welcome back: you liked Heat (1995)")
    expect(page.locator("#chat")).to_contain_text("I loved Heat")
    expect(page.locator("#profile-list")).to_contain_text("Liked: Heat (1995)")
    expect(page.locator(".concierge-card")).to_have_count(5)
    assert card_titles(page) == titles
    page.screenshot(path=str(ARTIFACTS / "20-return-visit.png"), full_page=True)

    page.locator("#why-1").click()
    expect(page.locator("#why-text")).to_contain_text(f"I suggested {titles[0]} because", timeout=30_000)

    other = open_page(browser, ui_url)
    expect(other.locator("#profile-list")).to_contain_text(NOTHING_YET)
    expect(other.locator("#chat")).not_to_contain_text("Welcome back")
    expect(other.locator(".concierge-card")).to_have_count(0)
    other.close()


def stored_token(page: Page) -> str:
    """Reload and read the token this browser presents on page load."""
    with page.expect_request(lambda request: _carries_token(request)) as loading:
        reload(page)
    found = TOKEN.search(loading.value.post_data or "")
    assert found is not None
    return found.group(0)


def _carries_token(request: Request) -> bool:
    return "/queue/join" in request.url and TOKEN.search(request.post_data or "") is not None


def presenting(page: Page, token: str) -> None:
    """From now on, the page load sends ``token`` in place of the one the browser keeps."""

    def rewrite(route: Route) -> None:
        body = route.request.post_data or ""
        route.continue_(post_data=TOKEN.sub(token, body) if TOKEN.search(body) else body)

    page.unroute("**/queue/join*")
    page.route("**/queue/join*", rewrite)


def test_a_forged_token_reaches_no_profile(heat_lover: tuple[Page, list[str]], ui_url: str, browser: Browser) -> None:
    token = stored_token(heat_lover[0])
    browser_id, signature = token.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    attacker = open_page(browser, ui_url)
    own = stored_token(attacker)
    presenting(attacker, token)
    reload(attacker)
    expect(attacker.locator("#profile-list")).to_contain_text("Liked: Heat (1995)")  # the real key opens: a bearer key
    for forged in (f"{browser_id}.{flipped}", f"{browser_id[:-1]}0.{signature}", f"{own.split('.')[0]}.{signature}"):
        presenting(attacker, forged)
        reload(attacker)
        expect(attacker.locator("#profile-list")).to_contain_text(NOTHING_YET)
        expect(attacker.locator("#chat")).not_to_contain_text("Heat")
        expect(attacker.locator(".concierge-card")).to_have_count(0)
    attacker.close()


def test_forget_me_then_reload_leaves_nothing(ui_url: str, browser: Browser) -> None:
    page = open_page(browser, ui_url)
    send(page, "I loved Heat")
    expect(page.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    token = stored_token(page)

    page.locator("#forget").click()
    expect(page.locator("#forget-confirm").first).to_contain_text("It cannot be undone")
    page.locator("#forget-cancel").click()
    expect(page.locator("#forget-confirm").first).to_be_hidden()
    expect(page.locator("#profile-list")).to_contain_text("Liked: Heat (1995)")

    page.locator("#forget").click()
    page.locator("#forget-yes").click()
    expect(page.locator("#chat")).to_contain_text("I deleted everything I had stored about you", timeout=30_000)
    expect(page.locator("#profile-list")).to_contain_text(NOTHING_YET)
    expect(page.locator(".concierge-card")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "21-forgotten.png"), full_page=True)

    assert stored_token(page) != token
    for visit in (page, _presenting_old(browser, ui_url, token)):
        expect(visit.locator("#profile-list")).to_contain_text(NOTHING_YET)
        expect(visit.locator("#chat")).not_to_contain_text("Heat")
        expect(visit.locator(".concierge-card")).to_have_count(0)
        visit.close()


def _presenting_old(browser: Browser, ui_url: str, token: str) -> Page:
    """A copy of the browser's old token, kept from before Forget me, presented again."""
    page = open_page(browser, ui_url)
    presenting(page, token)
    reload(page)
    return page


@pytest.fixture(scope="module")
def login_url(fast_assistant: Assistant) -> Iterator[str]:
    with served(fast_assistant, auth=[("alice", "wonderland"), ("bob", "builder")]) as url:
        yield url


def logged_in(browser: Browser, url: str, user: str, password: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#storage-note")).to_contain_text("any device you log in on", timeout=30_000)
    wait_idle(page)
    return page


def test_a_login_sees_its_profile_on_another_device_and_never_another_users(
    login_url: str, browser: Browser, fast_assistant: Assistant
) -> None:
    laptop = logged_in(browser, login_url, "alice", "wonderland")
    laptop.locator("#new-session").click()  # earlier runs of this test left alice a profile: start hers empty
    expect(laptop.locator("#profile-list")).to_contain_text(NOTHING_YET, timeout=30_000)
    send(laptop, "I loved Heat")
    expect(laptop.locator(".concierge-card")).to_have_count(5, timeout=TURN_TIMEOUT_MS)
    titles = card_titles(laptop)

    bob = logged_in(browser, login_url, "bob", "builder")
    expect(bob.locator("#profile-list")).not_to_contain_text("Heat")
    expect(bob.locator("#chat")).not_to_contain_text("you liked Heat")

    phone = logged_in(browser, login_url, "alice", "wonderland")
    expect(phone.locator("#chat")).to_contain_text("Welcome back: you liked Heat (1995)")
    expect(phone.locator("#profile-list")).to_contain_text("Liked: Heat (1995)")
    assert card_titles(phone) == titles
    phone.screenshot(path=str(ARTIFACTS / "22-login-another-device.png"), full_page=True)
    for page in (laptop, bob, phone):
        page.close()
