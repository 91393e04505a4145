"""The browser tier's shared parts: Chromium once per module, and the UI of the fast assistant served once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from assistant.api import Assistant
from tests.ui.browsing import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, served


@pytest.fixture(scope="module")
def ui_url(fast_assistant: Assistant) -> Iterator[str]:
    with served(fast_assistant) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium is not installed (make test installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
