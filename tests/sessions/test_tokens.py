"""Browser tokens: the server accepts only ids it issued and signed with its own key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.sessions.tokens import new_browser_id, new_session_id, sign, user_id, verified

pytestmark = pytest.mark.fast

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def test_a_signed_id_verifies_and_ids_do_not_repeat() -> None:
    browser = new_browser_id()
    assert verified(KEY, sign(KEY, browser)) == browser
    assert len({new_browser_id() for _ in range(100)}) == 100
    assert len({new_session_id() for _ in range(100)}) == 100


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),  # altered signature
        lambda token: token.replace("browser-", "browser-f", 1)[:-1],  # altered id
        lambda token: token.split(".")[0],  # no signature
        lambda token: sign(OTHER_KEY, token.split(".")[0]),  # another deployment's key
        lambda token: sign(KEY, "web-" + "0" * 32),  # signed, but not an id this server issues to browsers
        lambda token: token + " ",
        lambda token: None,
        lambda token: 42,
        lambda token: {"token": token},
    ],
)
def test_a_forged_or_foreign_token_is_refused(forge: Callable[[str], object]) -> None:
    assert verified(KEY, forge(sign(KEY, new_browser_id()))) is None


def test_a_user_id_is_stable_and_does_not_spell_the_login() -> None:
    assert user_id("alice") == user_id("alice") != user_id("bob")
    assert "alice" not in user_id("alice")
