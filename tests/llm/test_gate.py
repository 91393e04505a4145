"""The generation gate: a bounded queue and a per-turn deadline in front of the chat model."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from assistant.api import Assistant
from assistant.llm.gate import TURN_DEADLINE, GatedChatModel, GenerationGate, ModelBusy, TurnDeadline
from assistant.settings import Settings
from assistant.turn.pipeline import MODEL_BUSY_NOTE

pytestmark = pytest.mark.fast
HELLO = [HumanMessage("hello")]


@contextmanager
def held(gate: GenerationGate) -> Iterator[None]:
    """Another turn holding the model's only slot until the block ends."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot(None):
            taken.set()
            release.wait()

    worker = threading.Thread(target=hold)
    worker.start()
    taken.wait()
    try:
        yield
    finally:
        release.set()
        worker.join()


@contextmanager
def within(deadline: TurnDeadline) -> Iterator[None]:
    token = TURN_DEADLINE.set(deadline)
    try:
        yield
    finally:
        TURN_DEADLINE.reset(token)


def test_a_full_queue_answers_busy_at_once() -> None:
    gate = GenerationGate(slots=1, queue_limit=0)
    with held(gate), pytest.raises(ModelBusy, match="already waiting"), gate.slot(TurnDeadline.after(60)):
        pass
    assert gate.load().running == 0


def test_a_turn_waits_for_the_slot_only_until_its_deadline() -> None:
    gate = GenerationGate(slots=1, queue_limit=4)
    with held(gate):
        assert gate.load().busy
        with pytest.raises(ModelBusy, match="deadline"), gate.slot(TurnDeadline.after(0.05)):
            pass
        assert gate.load().waiting == 0


def test_a_turn_whose_expected_wait_outlasts_its_deadline_is_told_at_once() -> None:
    gate = GenerationGate(slots=1, queue_limit=4)
    with gate.slot(None):
        time.sleep(0.3)  # the typical generation now holds the slot for 0.3 s
    with held(gate):
        with pytest.raises(ModelBusy, match="would hold the language model"), gate.slot(TurnDeadline.after(0.1)):
            pass
        assert gate.load().waiting == 0
        with (
            pytest.raises(ModelBusy, match="stayed busy until the turn's deadline"),
            gate.slot(TurnDeadline.after(0.6)),
        ):
            pass


def test_the_load_says_whether_a_turn_starting_now_would_wait() -> None:
    gate = GenerationGate(slots=1, queue_limit=1)
    assert not gate.load().would_wait(20), "a free model: no wait"
    with held(gate):
        assert gate.load().would_wait(20), "busy, nothing learnt yet: it would queue"
    with held(gate):
        assert gate.load().would_wait(20), "a wait shorter than the deadline: it would queue"
        assert not gate.load().would_wait(0), "an expected wait past the deadline: answered at once"


def test_a_turn_told_the_model_is_busy_is_not_queued_again() -> None:
    gate = GenerationGate(slots=1, queue_limit=4)
    deadline = TurnDeadline.after(60)
    deadline.busy = "the language model stayed busy until the turn's deadline"
    with pytest.raises(ModelBusy, match="stayed busy"), gate.slot(deadline):
        pass
    assert gate.load().running == 0


def test_a_free_slot_is_taken_without_waiting_and_given_back() -> None:
    gate = GenerationGate(slots=2, queue_limit=0)
    with gate.slot(TurnDeadline.after(0)), gate.slot(None):
        assert gate.load().running == 2
    assert (gate.load().running, gate.load().waiting, gate.load().slots) == (0, 0, 2)


def test_the_gated_model_answers_as_the_inner_one_outside_a_turn() -> None:
    gated = GatedChatModel(inner=FakeListChatModel(responses=["Arrival is a quiet film."]), gate=GenerationGate(1, 0))
    assert gated.invoke(HELLO).content == "Arrival is a quiet film."
    assert "".join(str(chunk.content) for chunk in gated.stream(HELLO)) == "Arrival is a quiet film."


def test_the_gated_model_stops_writing_at_the_deadline_and_marks_the_turn_busy() -> None:
    inner = GenericFakeChatModel(messages=iter([AIMessage("one two three four")]))
    gated = GatedChatModel(inner=inner, gate=GenerationGate(1, 0))
    deadline = TurnDeadline.after(0)
    with within(deadline), pytest.raises(ModelBusy, match="still writing"):
        list(gated.stream(HELLO))
    assert deadline.busy is not None and gated.gate.load().running == 0


def test_a_busy_model_gives_the_checked_template_and_says_so(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings
) -> None:
    settings = small_settings.model_copy(update={"llm_queue_limit": 0})
    assistant = scripted_assistant("Here are a few films for tonight.", settings=settings)
    with held(assistant.parts.gate):
        reply = assistant.chat(f"gate-{uuid.uuid4().hex}", "I loved The Matrix")
    assert reply.recommendations, "retrieval and ranking do not wait for the model"
    assert reply.notes[-1] == MODEL_BUSY_NOTE and reply.text.rstrip().endswith(f"_{MODEL_BUSY_NOTE}_")
    assert [part.source for part in reply.parts if part.role == "introduction"] == ["template"]


def test_a_free_model_writes_the_introduction_and_no_busy_note(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Here are a few films for tonight.")
    reply = assistant.chat(f"gate-{uuid.uuid4().hex}", "I loved The Matrix")
    assert MODEL_BUSY_NOTE not in reply.notes
    assert [part.source for part in reply.parts if part.role == "introduction"] == ["llm"]
