"""Constraints are law on real phrasings: ReDial seekers' own words, parsed and then obeyed.

Each case in ``cases/constraint_phrasings.jsonl`` is a seeker message from a
ReDial validation dialogue (its ``conversationId`` is kept) with the hard
constraints a person reads in it.  The parse must match that reading, and no
recommendation for it may break the person's reading of the constraint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from assistant.sessions.profile import UserProfile
from kg.constraints import Constraints

CASES: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[1] / "cases" / "constraint_phrasings.jsonl").read_text().splitlines()
]


def expected_constraints(case: dict[str, Any]) -> Constraints:
    expected = case["expected"]
    return Constraints(
        year_min=expected.get("year_min"),
        year_max=expected.get("year_max"),
        include={field: tuple(values) for field, values in expected.get("include", {}).items()},
        exclude={field: tuple(values) for field, values in expected.get("exclude", {}).items()},
    )


def test_the_set_has_at_least_fifty_real_phrasings() -> None:
    assert len(CASES) >= 50
    assert len({case["text"] for case in CASES}) == len(CASES)
    assert all(case["dialogue"].isdigit() for case in CASES)
    assert sum(bool(case["expected"]) for case in CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[f"{case['dialogue']}-{case['text'][:30]}" for case in CASES])
def test_the_phrasing_is_read_as_a_person_reads_it(fast_assistant: Assistant, case: dict[str, Any]) -> None:
    profile = UserProfile().apply(fast_assistant.pipeline.understand.interpreter.interpret(case["text"]).delta)
    assert profile.constraints == expected_constraints(case)


def test_no_recommendation_breaks_a_stated_constraint(fast_assistant: Assistant) -> None:
    violations: list[tuple[str, str]] = []
    answered = 0
    for case in CASES:
        profile = UserProfile().apply(fast_assistant.pipeline.understand.interpreter.interpret(case["text"]).delta)
        recommendations = fast_assistant.recommend(profile, case["text"]).recommendations
        answered += bool(recommendations)
        law = expected_constraints(case)
        violations += [
            (case["text"], rec.item.title)
            for rec in recommendations
            if not law.allows(fast_assistant.catalogue.items[rec.item.id])
        ]
    assert violations == []
    assert answered == len(CASES)
