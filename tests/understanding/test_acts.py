"""Conversation acts: real seeker messages read as what they ask, and questions change no preference."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from bench.acts import LAST_LIST, evaluate, read_cases

pytestmark = pytest.mark.fast
CASES = Path(__file__).resolve().parents[1] / "cases"
MATRIX, ALIEN, HEAT = LAST_LIST[:3]


@pytest.fixture(scope="module")
def interpreter(demo_linker: EntityLinker) -> TurnInterpreter:
    return TurnInterpreter(demo_linker)


@pytest.mark.parametrize("cases", sorted(CASES.glob("conversation_acts*.jsonl")), ids=lambda path: path.stem)
def test_real_messages_are_read_as_the_act_they_ask(interpreter: TurnInterpreter, cases: Path) -> None:
    result = evaluate(interpreter, read_cases(cases))
    assert result["n"] >= 80
    assert result["accuracy"] >= 0.90, result["misses"]
    assert result["requests_read_as_small_talk"] <= 0.02, result["misses"]


@pytest.mark.parametrize(
    ("message", "item"),
    [("why the second one?", ALIEN), ("Why did you suggest Heat?", HEAT), ("why that one?", MATRIX), ("why?", None)],
)
def test_a_why_question_points_at_a_suggestion_and_changes_nothing(
    interpreter: TurnInterpreter, message: str, item: str | None
) -> None:
    understanding = interpreter.interpret(message, LAST_LIST)
    assert (understanding.intent, understanding.act.item_id) == ("why", item)
    assert understanding.delta.is_empty()


@pytest.mark.parametrize(
    ("message", "topic", "item"),
    [
        ("what is it about?", "plot", MATRIX),
        ("who directed the third one?", "directors", HEAT),
        ("Who stars in Alien?", "people", ALIEN),
        ("I haven't seen that one, when did it come out?", "year", MATRIX),
    ],
)
def test_a_question_about_a_film_names_its_topic(
    interpreter: TurnInterpreter, message: str, topic: str, item: str
) -> None:
    understanding = interpreter.interpret(message, LAST_LIST)
    assert (understanding.intent, understanding.act.topic, understanding.act.item_id) == ("about", topic, item)
    assert understanding.delta.is_empty()


def test_an_off_topic_question_is_small_talk_and_likes_no_theme(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("What is the capital of France?", LAST_LIST)
    assert understanding.intent == "chat" and understanding.delta.is_empty()


def test_asking_for_more_likes_no_film_called_anything_else(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("anything else?", LAST_LIST)
    assert understanding.intent == "more" and understanding.delta.is_empty()


def test_a_request_with_a_greeting_is_still_a_request(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("hi! any good horror movies?", LAST_LIST)
    assert understanding.intent == "recommend" and understanding.delta.include == (("genres", "Horror"),)


def test_thanks_keeps_the_feedback_it_carries(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("Thanks, I will check that one out. Bye!", LAST_LIST)
    assert understanding.intent == "thanks" and understanding.delta.liked_items == (MATRIX,)
