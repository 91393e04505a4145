"""The chat handler while the chat model serves other people: a notice, then the reply without waiting."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.turn.pipeline import MODEL_BUSY_NOTE
from tests.llm.test_gate import held

pytestmark = pytest.mark.fast


def test_a_person_whose_turn_waits_is_told_the_model_is_busy_and_gets_the_list_after_the_deadline(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings
) -> None:
    from ui.app import ConciergeUI

    settings = small_settings.model_copy(
        update={"llm_queue_limit": 4, "turn_deadline_s": 3.0, "turn_finish_reserve_s": 2.0}
    )
    ui = ConciergeUI(scripted_assistant("Here are a few films for tonight.", settings=settings))
    with held(ui.assistant.parts.gate):
        frames = [values[0][-1]["content"] for values in ui.respond("I loved Heat", [], f"busy-{uuid.uuid4()}", [])]
    assert frames[0].startswith("_The language model is busy with 1 other turn(s);") and "1 s" in frames[0]
    assert "language model is busy with" not in frames[-1] and frames[-1].rstrip().endswith(f"_{MODEL_BUSY_NOTE}_")
    assert "1." in frames[-1], "the list came without the model"


def test_a_turn_that_will_not_wait_gets_no_notice_and_says_the_model_was_busy(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings
) -> None:
    from ui.app import ConciergeUI

    settings = small_settings.model_copy(update={"llm_queue_limit": 0})
    ui = ConciergeUI(scripted_assistant("Here are a few films for tonight.", settings=settings))
    with held(ui.assistant.parts.gate):
        frames = [values[0][-1]["content"] for values in ui.respond("I loved Heat", [], f"full-{uuid.uuid4()}", [])]
    assert not any("language model is busy with" in frame for frame in frames)
    assert frames[-1].rstrip().endswith(f"_{MODEL_BUSY_NOTE}_") and "1." in frames[-1]


def test_no_notice_when_the_model_is_free(scripted_assistant: Callable[..., Assistant]) -> None:
    from ui.app import ConciergeUI

    ui = ConciergeUI(scripted_assistant("Here are a few films for tonight."))
    frames = [values[0][-1]["content"] for values in ui.respond("I loved Heat", [], f"free-{uuid.uuid4()}", [])]
    assert not any("busy" in frame for frame in frames)


def test_text_that_comes_at_once_reaches_the_page_in_fewer_updates_and_whole(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    from ui.app import ConciergeUI

    ui = ConciergeUI(scripted_assistant("Here are a few films for tonight."))
    pieces = [
        event for event in ui.assistant.stream(f"pieces-{uuid.uuid4()}", "I loved Heat") if isinstance(event, str)
    ]
    frames = [values[0][-1]["content"] for values in ui.respond("I loved Heat", [], f"frames-{uuid.uuid4()}", [])]
    assert len(pieces) > 2 and len(frames) < len(pieces)
    assert frames[-1].startswith("".join(pieces))
