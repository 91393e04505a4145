"""A bare series name ("Star Wars", "Harry Potter") read as the film that started it.

People name a series when they mean its first film: "we loved Star Wars" is
about the 1977 film, not the Clone Wars cartoon.  The series are the
catalogue's own (titles that share a main title, see kg.series) and the names
that open the titles of two or more films before "and the" ("Harry Potter and
the ...", "Indiana Jones and the ...").  A name stands for its earliest
instalment whose title starts with the name; of two in one year, the more
popular.  A name that is a title already ("Toy Story", "Paddington") keeps
its own film, and one that is a person's name ("Kevin Hart", whose stand-up
specials form a series) stays the person: the caller passes those as taken.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable

from kg.catalogue import Item
from kg.series import SERIES_FIELD
from kg.titles import natural_title, normalise

ARTICLES = ("the", "a", "an")
_BEFORE_AND_THE = re.compile(r"^(.+?) and the ")


def _shared_openings(items: Iterable[Item]) -> dict[str, list[Item]]:
    """Names of two or more words that open two or more films' titles before 'and the'."""
    openings: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        match = _BEFORE_AND_THE.match(normalise(natural_title(item.title)))
        if match and len(match.group(1).split()) >= 2 and match.group(1).split()[0] not in ARTICLES:
            openings[match.group(1)].append(item)
    return {name: members for name, members in openings.items() if len(members) >= 2}


def series_heads(items: Collection[Item], popularity: Callable[[str], float], taken: Collection[str]) -> dict[str, str]:
    """Normalised series name -> the item it stands for, for every name not in ``taken``."""
    members: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        for series in item.values(SERIES_FIELD):
            members[normalise(series)].append(item)
    for name, opening in _shared_openings(items).items():
        members[name].extend(opening)
    heads: dict[str, str] = {}
    for name, instalments in members.items():
        named = [item for item in instalments if normalise(natural_title(item.title)).startswith(f"{name} ")]
        if name in taken or not named:
            continue
        first = min(named, key=lambda item: (item.year or 9999, -popularity(item.id), item.id))
        heads[name] = first.id
        bare = name.split(" ", 1)
        if len(bare) == 2 and bare[0] in ARTICLES and bare[1] not in taken:
            heads.setdefault(bare[1], first.id)
    return heads
