"""The turn pipeline on the fast tier: every stage's output lands in the trace, in order, and the law holds."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.sessions.memory import InMemorySessionStore
from assistant.sessions.profile import UserProfile
from assistant.settings import Settings
from assistant.turn.trace import TurnTrace
from kg.catalogue import Catalogue
from retrieval.candidates import GRAPH_DOWN_NOTE
from retrieval.vector_store import VectorIndex

pytestmark = pytest.mark.fast
MATRIX = "2571"


def session() -> str:
    return f"pipeline-{uuid.uuid4().hex}"


def test_a_turn_fills_every_stage_of_the_trace(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Here are some films for you.")
    trace = assistant.turn(session(), "I loved The Matrix, but no horror please")
    assert trace.understanding is not None and trace.understanding.delta.liked_items == (MATRIX,)
    assert trace.profile is not None and trace.profile.liked == [MATRIX] and trace.turn == 0
    assert trace.request is not None and trace.request.liked_ids == (MATRIX,)
    assert len(trace.pool) > len(trace.allowed) > 0 and trace.dropped == len(trace.pool) - len(trace.allowed)
    assert {entry.candidate.item_id for entry in trace.ranked} <= {candidate.item_id for candidate in trace.allowed}
    assert [rec.item.id for rec in trace.recommendations] == [entry.candidate.item_id for entry in trace.ranked]
    assert trace.reply is not None and trace.reply.recommendations == trace.recommendations
    assert trace.reply.text == "".join(part.text for part in trace.texts)


def test_the_law_removes_liked_and_excluded_items_before_ranking(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant()
    trace = assistant.turn(session(), "I loved The Matrix, but no horror please")
    for candidate in trace.allowed:
        item = assistant.catalogue.items[candidate.item_id]
        assert candidate.item_id != MATRIX and "Horror" not in item.values("genres")
    assert any(candidate.item_id == MATRIX for candidate in trace.pool) or trace.dropped > 0


def test_texts_record_who_wrote_them(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Here are a few films for tonight.")
    trace = assistant.turn(session(), "I loved The Matrix")
    roles = [(part.role, part.source) for part in trace.texts]
    assert roles[0] == ("introduction", "llm")
    assert [role for role, _ in roles].count("list_line") == len(trace.recommendations)
    assert all(source == "template" for role, source in roles if role in {"list_line", "note"})


def test_an_introduction_naming_a_film_outside_the_list_falls_back_to_the_template(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant("You will love Titanic (1997) and Forrest Gump (1994).")
    trace = assistant.turn(session(), "I loved The Matrix")
    introduction = [part for part in trace.texts if part.role == "introduction"]
    assert [part.source for part in introduction] == ["template"]
    assert "Titanic" not in trace.texts[0].text


def test_small_talk_stores_the_turn_and_shows_no_list(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Hello! Tell me what you like.")
    sid = session()
    trace = assistant.turn(sid, "hello")
    assert trace.intent == "chat" and trace.ranked == () and trace.recommendations == ()
    assert {part.role for part in trace.texts} == {"small_talk"} and trace.reply is not None
    assert trace.reply.text == "Hello! Tell me what you like."
    assert assistant.parts.sessions.history(sid) == [("user", "hello"), ("assistant", trace.reply.text)]


def test_the_stream_yields_text_then_the_reply(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Here are a few.")
    events = list(assistant.stream(session(), "I loved The Matrix"))
    *pieces, reply = events
    assert all(isinstance(piece, str) for piece in pieces) and reply.text == "".join(pieces)


def test_a_graph_that_is_down_is_a_note_in_the_trace_and_the_reply(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    reply = scripted_assistant().chat(session(), "I loved The Matrix")
    assert GRAPH_DOWN_NOTE in reply.notes and GRAPH_DOWN_NOTE in reply.text


def test_a_turn_that_fails_midway_leaves_the_session_as_before(
    scripted_assistant: Callable[..., Assistant], monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = scripted_assistant()
    sid = session()
    assistant.chat(sid, "I loved Alien")
    sessions = assistant.parts.sessions
    before = (assistant.profile(sid), sessions.history(sid), sessions.suggested_ids(sid))

    def broken(*_: object) -> None:
        raise RuntimeError("retrieval broke")

    monkeypatch.setattr(assistant.pipeline.retrieve, "run", broken)
    with pytest.raises(RuntimeError, match="retrieval broke"):
        assistant.chat(sid, "I loved The Matrix")
    assert (assistant.profile(sid), sessions.history(sid), sessions.suggested_ids(sid)) == before


def test_a_stream_abandoned_before_its_end_stores_nothing(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    sid = session()
    stream = assistant.stream(sid, "I loved The Matrix")
    assert isinstance(next(stream), str)
    stream.close()
    assert assistant.profile(sid) == UserProfile() and assistant.parts.sessions.history(sid) == []


def test_a_chat_model_that_fails_still_stores_the_turn_with_the_template_reply(
    small_settings: Settings, small_catalogue: Catalogue, small_vector_index: VectorIndex
) -> None:
    failing = FakeListChatModel(responses=["Here you go."], error_on_chunk_number=0)
    assistant = Assistant(small_settings, small_catalogue, failing, None, small_vector_index, InMemorySessionStore())
    sid = session()
    reply = assistant.chat(sid, "I loved The Matrix")
    assert reply.recommendations and reply.parts[0].source == "template"
    assert assistant.profile(sid).liked == [MATRIX]
    assert assistant.parts.sessions.history(sid) == [("user", "I loved The Matrix"), ("assistant", reply.text)]
    assert assistant.parts.sessions.last_suggestions(sid) == [rec.item.id for rec in reply.recommendations]


def test_recommend_ranks_a_profile_without_storing_anything(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    trace = assistant.recommend(UserProfile(liked=[MATRIX]), "something like The Matrix", n=7)
    assert isinstance(trace, TurnTrace) and trace.session_id is None and len(trace.ranked) == 7
    assert trace.texts == [] and assistant.parts.sessions.suggested_ids("anyone") == []


def test_why_answers_from_the_stored_evidence_of_the_turn(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    sid = session()
    reply = assistant.chat(sid, "I loved The Matrix")
    first = reply.recommendations[0]
    answer = assistant.why(sid, first.item.id)
    assert answer.suggested and answer.recommendation == first
    assert answer.text.startswith(f"I suggested {first.item.title} because: {first.justification}")


def test_a_why_question_in_the_chat_answers_from_the_stored_evidence(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant()
    sid = session()
    second = assistant.chat(sid, "I loved The Matrix").recommendations[1]
    before = assistant.profile(sid)
    reply = assistant.chat(sid, "why the second one?")
    assert (reply.intent, reply.item_id, reply.recommendations) == ("why", second.item.id, ())
    assert reply.text == assistant.why(sid, second.item.id).text
    assert assistant.profile(sid) == before and [part.source for part in reply.parts] == ["template"]


def test_a_question_about_a_film_is_answered_from_the_catalogue(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    reply = scripted_assistant().chat(session(), "Who directed The Matrix?")
    assert reply.intent == "about" and reply.item_id == MATRIX
    assert reply.text == "The Matrix (1999) was directed by The Wachowskis."


def test_an_off_topic_question_gets_a_grounded_steer_back_and_no_list(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant("Paris is the capital of France.", "The capital of France is Paris.")
    sid = session()
    reply = assistant.chat(sid, "What is the capital of France?")
    assert reply.intent == "chat" and reply.recommendations == () and assistant.profile(sid).is_empty()
    assert [(part.source, part.llm_attempts) for part in reply.parts] == [("template", 2)]
    assert "Paris" not in reply.text and "film" in reply.text


def test_a_second_draft_is_kept_when_it_is_grounded(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant("Arrival is a timeless classic.", "Here are some picks for you.")
    trace = assistant.turn(session(), "something like The Matrix")
    assert (trace.texts[0].text, trace.texts[0].source, trace.texts[0].llm_attempts) == (
        "Here are some picks for you.",
        "llm",
        2,
    )


def test_asking_for_more_shows_other_films(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    sid = session()
    first = {rec.item.id for rec in assistant.chat(sid, "I loved The Matrix").recommendations}
    more = assistant.chat(sid, "show me others")
    assert more.intent == "more" and more.recommendations
    assert not first & {rec.item.id for rec in more.recommendations}


def test_thanks_is_answered_without_a_list(scripted_assistant: Callable[..., Assistant]) -> None:
    reply = scripted_assistant().chat(session(), "thanks, bye!")
    assert reply.intent == "thanks" and reply.recommendations == () and "welcome" in reply.text
