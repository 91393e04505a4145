"""Title series: items whose titles share a main title ("Toy Story", "Toy Story 2"; "Alien", "Alien: Covenant").

Sequels and instalments are what people ask for after liking one of them,
and what human recommenders suggest next, yet few catalogues list series.
Two titles that differ only by a sequel number or a subtitle state the link
themselves, so the catalogue derives a ``series`` value from them: the graph
then links the instalments through one series node, and "why" can show that
path as it shows a shared director.

Items that merely carry the same title (a remake, a second entry for the
same film) form no series: at least two different titles must share the main
title.  A trailing number alone does not make a series either ("Apollo 13"
and "Apollo 18" are not instalments of "Apollo"): the main title must be a
title of its own ("Rocky", "Rocky II"), or two titles must each add a
subtitle to it ("Star Wars: Episode IV - A New Hope", "Star Wars: The Last Jedi").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from kg.titles import natural_title, normalise

if TYPE_CHECKING:
    from kg.catalogue import Item

SERIES_FIELD = "series"
_SEQUEL_MARK = re.compile(r"\s+(?:\d{1,2}|[IVX]{1,4}|Part \w+|Chapter \w+)$", re.IGNORECASE)
_SUBTITLE = re.compile(r"\s*(?::|\s[-\u2013\u2014]\s).*$")


def _full_title(title: str) -> str:
    """The title as people write it, without MovieLens's parenthesised alternative titles."""
    return natural_title(title).partition(" (")[0]


def main_title(title: str) -> str:
    """'Toy Story 2' -> 'Toy Story'; 'Lord of the Rings: The Two Towers, The' -> 'The Lord of the Rings'."""
    full = _full_title(title)
    return _SEQUEL_MARK.sub("", _SUBTITLE.sub("", full)).strip() or full


def _is_series(key: str, members: list[Item]) -> bool:
    full_keys = {normalise(_full_title(member.title)) for member in members}
    subtitled = sum(_SUBTITLE.search(_full_title(member.title)) is not None for member in members)
    return len(full_keys) >= 2 and (key in full_keys or subtitled >= 2)


def with_title_series(items: dict[str, Item]) -> dict[str, Item]:
    """``items`` with a ``series`` value on every item of a title series.

    An item that already lists a series (from the catalogue file) keeps its
    own.  The series is named by its shortest main title as written.
    """
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items.values():
        key = normalise(main_title(item.title))
        if key:
            groups[key].append(item)
    named: dict[str, str] = {}
    for key, members in groups.items():
        if _is_series(key, members):
            name = min((main_title(member.title) for member in members), key=lambda text: (len(text), text))
            named.update((member.id, name) for member in members)
    return {
        item_id: item
        if item_id not in named or item.values(SERIES_FIELD)
        else replace(item, attributes={**item.attributes, SERIES_FIELD: (named[item_id],)})
        for item_id, item in items.items()
    }
