"""Return visits through the assistant: a browser or a login finds its conversation, and Forget me empties it all."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.api import Assistant
from assistant.sessions.profile import UserProfile
from assistant.sessions.tokens import sign

pytestmark = pytest.mark.fast


@pytest.fixture
def assistant(scripted_assistant: Callable[..., Assistant]) -> Assistant:
    return scripted_assistant()


def test_a_browser_returns_to_its_conversation_with_its_token(assistant: Assistant) -> None:
    first = assistant.visit(None, None)
    assert first.token is not None and not first.logged_in
    assistant.chat(first.session_id, "I loved Heat")
    again = assistant.visit(None, first.token)
    assert again == first
    welcome = assistant.welcome(again.session_id)
    assert welcome.greeting is not None and welcome.greeting.startswith("Welcome back: you liked Heat (1995)")
    assert [role for role, _ in welcome.history] == ["user", "assistant"]
    assert len(welcome.recommendations) == assistant.settings.n_recommendations


def test_a_first_visit_has_no_greeting_and_two_browsers_share_nothing(assistant: Assistant) -> None:
    one, two = assistant.visit(None, None), assistant.visit(None, None)
    assert one.session_id != two.session_id and one.token != two.token
    assert assistant.welcome(one.session_id).greeting is None
    assistant.chat(one.session_id, "I loved Heat")
    assert assistant.profile(two.session_id) == UserProfile()


def test_a_forged_token_starts_a_new_browser_never_a_known_one(assistant: Assistant) -> None:
    victim = assistant.visit(None, None)
    assistant.chat(victim.session_id, "I loved Heat")
    assert victim.token is not None
    browser = victim.token.split(".")[0]
    for forged in (browser, f"{browser}.{'0' * 64}", sign(b"x" * 32, browser), victim.session_id):
        visit = assistant.visit(None, forged)
        assert visit.owner != victim.owner and visit.session_id != victim.session_id
        assert assistant.profile(visit.session_id) == UserProfile()


def test_a_login_finds_the_same_conversation_on_every_device(assistant: Assistant) -> None:
    alice = assistant.visit("alice", None)
    assert alice.logged_in and alice.token is None
    assistant.chat(alice.session_id, "I loved Heat")
    assert assistant.visit("alice", None).session_id == alice.session_id
    assert assistant.visit("alice", "a token from some browser").session_id == alice.session_id
    bob = assistant.visit("bob", None)
    assert bob.session_id != alice.session_id and assistant.profile(bob.session_id) == UserProfile()


def test_a_new_session_starts_empty_and_is_the_one_returned_to(assistant: Assistant) -> None:
    alice = assistant.visit("alice", None)
    assistant.chat(alice.session_id, "I loved Heat")
    fresh = assistant.new_session(alice)
    assert fresh.session_id != alice.session_id and assistant.profile(fresh.session_id) == UserProfile()
    assert assistant.visit("alice", None).session_id == fresh.session_id
    browser = assistant.visit(None, None)
    newer = assistant.new_session(browser)
    assert newer.token == browser.token and assistant.visit(None, browser.token).session_id == newer.session_id


def test_forget_deletes_every_conversation_of_the_person_and_starts_afresh(assistant: Assistant) -> None:
    first = assistant.visit(None, None)
    assistant.chat(first.session_id, "I loved Heat")
    second = assistant.new_session(first)
    assistant.chat(second.session_id, "I loved Toy Story")
    assistant.feedback(second.session_id, assistant.profile(second.session_id).liked[0], "seen")
    other = assistant.visit(None, None)
    assistant.chat(other.session_id, "I loved Heat")

    after = assistant.forget_visitor(second)
    for session_id in (first.session_id, second.session_id):
        assert assistant.profile(session_id) == UserProfile()
        assert assistant.welcome(session_id) == assistant.welcome(after.session_id)
    assert assistant.welcome(after.session_id).greeting is None
    assert after.owner != first.owner
    returning = assistant.visit(None, first.token)
    assert returning.owner != first.owner, "the forgotten browser's token names nothing any more"
    assert assistant.profile(returning.session_id) == UserProfile()
    assert assistant.profile(other.session_id).liked, "another person's profile is untouched"


def test_a_logged_in_user_is_forgotten_on_every_device(assistant: Assistant) -> None:
    alice = assistant.visit("alice", None)
    assistant.chat(alice.session_id, "I loved Heat")
    after = assistant.forget_visitor(alice)
    assert after.owner == alice.owner and after.session_id != alice.session_id
    assert assistant.visit("alice", None).session_id == after.session_id
    assert assistant.welcome(after.session_id).greeting is None
    assert assistant.profile(alice.session_id) == UserProfile()


def test_the_storage_note_says_where_and_what(assistant: Assistant) -> None:
    browser_note = assistant.storage_note(assistant.visit(None, None))
    assert "database on this server" in browser_note and "signed key" in browser_note
    assert "Forget me deletes all of it" in browser_note
    assert "recommendation graph" not in browser_note, "the scripted assistant has no graph to mirror into"
    assert "any device you log in on" in assistant.storage_note(assistant.visit("alice", None))
