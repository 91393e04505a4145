"""Resolving 'the second one', 'not that one' and 'seen all of those' against the last answer."""

from __future__ import annotations

import pytest

from assistant.understanding.references import find_references

pytestmark = pytest.mark.fast

LAST = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("not that one", [("a",)]),
        ("I've seen the second one", [("b",)]),
        ("more like the 3rd movie please", [("c",)]),
        ("number 4 looks good", [("d",)]),
        ("not the last one", [("e",)]),
        ("I have seen all of those", [tuple(LAST)]),
        ("I'll check them out", [tuple(LAST)]),
        ("I didn't like it", [("a",)]),
        ("Sounds good, thanks", [("a",)]),
        ("the seventh one", []),
        ("it was a long day", []),
        ("the first time I watched a western", []),
    ],
)
def test_references_resolve_to_the_items_shown(message: str, expected: list[tuple[str, ...]]) -> None:
    assert [reference.item_ids for reference in find_references(message, LAST)] == expected


def test_nothing_to_point_at_without_a_previous_answer() -> None:
    assert find_references("not that one", []) == []
