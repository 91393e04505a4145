"""The page-load, New session and Forget me handlers without a browser: what each puts on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
import pytest

from assistant.api import Assistant

pytestmark = pytest.mark.fast


def screen(values: tuple[Any, ...], slots: int) -> dict[str, Any]:
    """Name the handler's outputs in the order the UI wires them."""
    token, visit, session, chat, shown = values[:5]
    profile = values[5 + 3 * slots + 3]
    note, confirm = values[-2:]
    return {
        "token": token,
        "visit": visit,
        "session": session,
        "chat": chat,
        "shown": shown,
        "profile": profile["value"],
        "note": note["value"],
        "confirm": confirm,
    }


def test_load_new_session_and_forget_me(scripted_assistant: Callable[..., Assistant]) -> None:
    from ui.app import FORGOTTEN, ConciergeUI

    assistant = scripted_assistant()
    ui = ConciergeUI(assistant)
    first = screen(ui.arrive(None, gr.Request()), ui.slots)
    assert first["chat"] == [] and first["shown"] == [] and first["token"] and "signed key" in first["note"]
    assistant.chat(first["session"], "I loved Heat")

    back = screen(ui.arrive(first["token"], gr.Request()), ui.slots)
    assert back["session"] == first["session"]
    assert [message["role"] for message in back["chat"]] == ["user", "assistant", "assistant"]
    assert back["chat"][-1]["content"].startswith("Welcome back: you liked Heat (1995)")
    assert len(back["shown"]) == ui.slots and "Liked: Heat (1995)" in back["profile"]

    fresh = screen(ui.reset(back["visit"]), ui.slots)
    assert fresh["session"] != back["session"] and fresh["token"] == back["token"]
    assert fresh["chat"] == [] and fresh["shown"] == [] and "Nothing yet" in fresh["profile"]

    gone = screen(ui.forget(fresh["visit"]), ui.slots)
    assert gone["chat"] == [{"role": "assistant", "content": FORGOTTEN}] and gone["token"] != first["token"]
    assert gone["confirm"]["visible"] is False
    for old in (first["session"], fresh["session"]):
        assert assistant.profile(old).is_empty() and assistant.welcome(old).greeting is None
    assert screen(ui.arrive(first["token"], gr.Request()), ui.slots)["chat"] == []


def test_a_login_is_its_own_key(scripted_assistant: Callable[..., Assistant]) -> None:
    from ui.app import ConciergeUI

    ui = ConciergeUI(scripted_assistant())
    alice = screen(ui.arrive(None, gr.Request(username="alice")), ui.slots)
    assert alice["token"] is None and "any device you log in on" in alice["note"]
    assert screen(ui.arrive("any token", gr.Request(username="alice")), ui.slots)["session"] == alice["session"]
    assert screen(ui.arrive(None, gr.Request(username="bob")), ui.slots)["session"] != alice["session"]
