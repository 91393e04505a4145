"""Asking for less obvious films, and taking it back, read by rules."""

from __future__ import annotations

import pytest

from assistant.understanding.hidden_gems import read_hidden_gems
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("something less obvious", True),
        ("Any hidden gems like The Matrix?", True),
        ("lesser-known sci-fi please", True),
        ("I want something less mainstream, maybe underrated", True),
        ("no blockbusters please", True),
        ("nothing obscure please", False),
        ("popular ones are fine", False),
        ("hidden gems please... actually, popular ones are fine", False),
        ("I loved The Matrix", None),
        ("a funny movie for tonight", None),
    ],
)
def test_read_hidden_gems(message: str, asked: bool | None) -> None:
    assert read_hidden_gems(message) is asked


def test_the_turn_delta_carries_it_beside_the_likes(demo_linker: EntityLinker) -> None:
    understanding = TurnInterpreter(demo_linker).interpret("I loved The Matrix, any hidden gems like it?")
    assert understanding.intent == "recommend"
    assert understanding.delta.hidden_gems is True and understanding.delta.liked_items == ("2571",)
    assert TurnInterpreter(demo_linker).interpret("something less obvious").delta.hidden_gems is True
