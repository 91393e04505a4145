"""The phrases of a request for less obvious films ("hidden gems") and of its withdrawal ("popular ones are fine").

Said in a message, they set the session's soft preference that turns
exposure-aware re-ranking up (:mod:`retrieval.reranking`); it never filters.
"""

from __future__ import annotations

import re

ASKED = (
    "hidden gem",
    "hidden gems",
    "less obvious",
    "not so obvious",
    "not too obvious",
    "something not obvious",
    "less mainstream",
    "not mainstream",
    "not so mainstream",
    "not too mainstream",
    "less popular",
    "not so popular",
    "not too popular",
    "lesser known",
    "less known",
    "little known",
    "less well known",
    "not well known",
    "underrated",
    "under rated",
    "underappreciated",
    "under appreciated",
    "under the radar",
    "overlooked",
    "obscure",
    "off the beaten path",
    "off the beaten track",
    "deep cut",
    "deep cuts",
    "not the usual",
    "nothing obvious",
    "few people have seen",
    "nobody has seen",
    "no one has seen",
    "not a blockbuster",
    "no blockbusters",
)
"""Asking for less obvious films."""

WITHDRAWN = (
    "mainstream is fine",
    "mainstream are fine",
    "mainstream ones are fine",
    "popular is fine",
    "popular ones are fine",
    "popular films are fine",
    "popular movies are fine",
    "something more mainstream",
    "more mainstream",
    "more popular",
    "the obvious ones",
    "obvious ones are fine",
    "no hidden gems",
    "not hidden gems",
    "nothing obscure",
    "no obscure",
    "not obscure",
    "not anything obscure",
    "well known ones",
    "something well known",
)
"""Asking for popular films again; matched before :data:`ASKED`, so "nothing obscure" is not "obscure"."""


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered) + r")\b")


ASKED_PATTERN = _pattern(ASKED)
WITHDRAWN_PATTERN = _pattern(WITHDRAWN)
