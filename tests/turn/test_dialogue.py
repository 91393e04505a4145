"""Multi-turn dialogue: feedback on earlier answers, changes of mind, lifted constraints, restarts."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable

from assistant.api import Assistant
from assistant.types import Reply

ALIEN = "1214"


def session() -> str:
    return f"dialogue-{uuid.uuid4().hex}"


def shown(reply: Reply) -> list[str]:
    return [rec.item.id for rec in reply.recommendations]


def test_not_that_one_rules_out_the_top_suggestion_and_says_which(fast_assistant: Assistant) -> None:
    sid = session()
    first = fast_assistant.chat(sid, "I loved Alien (1979)")
    top = first.recommendations[0]
    second = fast_assistant.chat(sid, "not that one")
    assert fast_assistant.profile(sid).disliked == [top.item.id]
    assert second.understood["disliked"] == [top.item.title]
    assert top.item.id not in shown(second)


def test_ordinal_feedback_marks_the_item_it_points_at(fast_assistant: Assistant) -> None:
    sid = session()
    ids = shown(fast_assistant.chat(sid, "I loved Alien (1979)"))
    second = fast_assistant.chat(sid, "I've seen the second one. More like the third one please")
    profile = fast_assistant.profile(sid)
    assert (profile.seen, profile.liked) == ([ids[1]], [ALIEN, ids[2]])
    assert not {ids[1], ids[2]} & set(shown(second))
    third = fast_assistant.chat(sid, "no thanks, not the last one")
    assert fast_assistant.profile(sid).disliked == [shown(second)[-1]]
    assert shown(second)[-1] not in shown(third)


def test_seen_all_of_those_keeps_them_out_of_the_next_answer(fast_assistant: Assistant) -> None:
    sid = session()
    first = fast_assistant.chat(sid, "Something like The Matrix")
    second = fast_assistant.chat(sid, "I have seen all of those")
    assert fast_assistant.profile(sid).seen == shown(first)
    assert not set(shown(first)) & set(shown(second))
    assert second.recommendations


def test_a_film_not_yet_seen_is_neither_liked_nor_disliked(fast_assistant: Assistant) -> None:
    sid = session()
    fast_assistant.chat(sid, "I haven't seen Alien (1979) yet, I like science fiction")
    profile = fast_assistant.profile(sid)
    assert ALIEN not in profile.liked + profile.disliked + profile.seen


def test_change_of_mind_lifts_an_excluded_genre(fast_assistant: Assistant) -> None:
    sid = session()
    strict = fast_assistant.chat(sid, "A thriller please, but no horror")
    assert fast_assistant.profile(sid).constraints.exclude == {"genres": ("Horror",)}
    assert all("Horror" not in rec.item.genres for rec in strict.recommendations)
    relaxed = fast_assistant.chat(sid, "Actually horror is fine")
    assert fast_assistant.profile(sid).constraints.exclude == {}
    assert relaxed.understood["lifted"] == ["Horror"]
    assert fast_assistant.profile(sid).constraints.include == {"genres": ("Thriller",)}


def test_any_year_lifts_the_year_range_and_a_new_one_replaces_it(fast_assistant: Assistant) -> None:
    sid = session()
    fast_assistant.chat(sid, "Can you recommend any 1980's movies?")
    constraints = fast_assistant.profile(sid).constraints
    assert (constraints.year_min, constraints.year_max) == (1980, 1989)
    lifted = fast_assistant.chat(sid, "any year is fine really")
    constraints = fast_assistant.profile(sid).constraints
    assert (constraints.year_min, constraints.year_max) == (None, None)
    assert any(rec.item.year is not None and not 1980 <= rec.item.year <= 1989 for rec in lifted.recommendations)
    fast_assistant.chat(sid, "old or new, but nothing before 1970")
    assert fast_assistant.profile(sid).constraints.year_min == 1970


def test_any_genre_drops_the_required_genres(fast_assistant: Assistant) -> None:
    sid = session()
    fast_assistant.chat(sid, "I'm looking for a 90s comedy to watch")
    fast_assistant.chat(sid, "I don't care about the genre")
    constraints = fast_assistant.profile(sid).constraints
    assert constraints.include == {} and (constraints.year_min, constraints.year_max) == (1990, 1999)


def test_a_comedy_for_the_kids_makes_suitability_the_law(fast_assistant: Assistant) -> None:
    sid = session()
    reply = fast_assistant.chat(sid, "Know of any good comedies I can watch with my kids?")
    profile = fast_assistant.profile(sid)
    assert profile.constraints.include == {"genres": ("Children",)}
    assert profile.liked_attributes == {"genres": ["Comedy"]}
    assert reply.recommendations and all("Children" in rec.item.genres for rec in reply.recommendations)


def test_feedback_by_reference_survives_a_process_restart(run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """Two processes: the second resolves 'the first one' against the answer the first process stored."""
    sid = session()
    first = run("ask", "I loved Alien (1979), nothing before 1970", "--session", sid, "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    top = json.loads(first.stdout)["recommendations"][0]["item"]
    second = run("ask", "I've seen the first one", "--session", sid, "--json")
    assert second.returncode == 0, second.stderr[-2000:]
    assert top["id"] not in [rec["item"]["id"] for rec in json.loads(second.stdout)["recommendations"]]
    profile = json.loads(run("profile", "show", "--session", sid).stdout)
    assert (profile["liked"], profile["seen"], profile["constraints"]["year_min"]) == ([ALIEN], [top["id"]], 1970)


def test_when_nothing_fits_the_reply_says_so_and_relaxes_nothing(fast_assistant: Assistant) -> None:
    sid = session()
    reply = fast_assistant.chat(sid, "I want a musical from 1902")
    assert reply.recommendations == ()
    assert "Nothing in the catalogue fits" in reply.text and "from 1902" in reply.text and "Musical" in reply.text
    constraints = fast_assistant.profile(sid).constraints
    assert (constraints.year_min, constraints.year_max, constraints.include) == (1902, 1902, {"genres": ("Musical",)})
