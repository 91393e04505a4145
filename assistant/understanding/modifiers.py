"""Relative and mood modifiers of a request: "a bit lighter", "funnier", "not cheesy", "something fun".

They become soft preferences (moods) that move the ranking and never filter.
Rules read them, because the direction is all that matters and small models
lose it: "less violent" asks for less, "too dark" and "isn't cheesy" turn the
word around, and "I don't want anything lighter" asks for no change at all.
A plain adjective that describes a film ("that was so funny") is a reaction,
not a request, and words inside a title ("The Dark Knight") are the title's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.understanding.mood_words import (
    ADJECTIVES,
    CLAUSE_BREAKS,
    COMPARATIVES,
    DEGREE_ONLY,
    EXCESS_WORDS,
    LESS_WORDS,
    MORE_WORDS,
    NEGATION_WINDOW,
    NEGATIONS,
    REACTION,
    SOFTENERS,
    MoodDirection,
)

FOLD = str.maketrans({"'": " ", "\u2019": " ", "-": " "})
"""Apostrophes and hyphens become spaces, one character for one, so positions stay those of the message."""


def _alternation(phrases: Sequence[str]) -> str:
    """Longest first, so "fast paced" wins over "fast"; spaces match any run of spaces."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in ordered)


WORDS = {**ADJECTIVES, **DEGREE_ONLY, **COMPARATIVES}
PATTERN = re.compile(
    rf"\b(?:(?:{_alternation(SOFTENERS)})\s+)?"
    rf"(?:(?P<degree>{_alternation((*MORE_WORDS, *LESS_WORDS, *EXCESS_WORDS))})\s+)?"
    rf"(?P<word>{_alternation(list(WORDS))})\b"
)
BREAK = re.compile(CLAUSE_BREAKS)
NEGATION = re.compile(rf"\b(?:{_alternation(NEGATIONS)})\b")
REACTION_WORDS = re.compile(REACTION)


@dataclass(frozen=True)
class Modifier:
    direction: MoodDirection
    name: str
    start: int
    end: int
    relative: bool
    """Said with a degree ("more romantic", "less violent", "funnier"): the words are the modifier's alone."""

    @property
    def mood(self) -> tuple[str, str]:
        return (self.direction, self.name)


def read_modifiers(message: str, titles: Sequence[tuple[int, int]] = ()) -> tuple[Modifier, ...]:
    """Every mood the message asks for, the last word on each mood winning; ``titles``: spans of named films."""
    folded = message.lower().translate(FOLD)
    found: dict[str, Modifier] = {}
    for match in PATTERN.finditer(folded):
        if any(start < match.end() and match.start() < end for start, end in titles):
            continue
        modifier = _modifier(folded, match, titles)
        if modifier is not None:
            found.pop(modifier.name, None)
            found[modifier.name] = modifier
    return tuple(found.values())


def moods_of(modifiers: Sequence[Modifier]) -> tuple[tuple[str, str], ...]:
    return tuple(modifier.mood for modifier in modifiers)


def _modifier(folded: str, match: re.Match[str], titles: Sequence[tuple[int, int]]) -> Modifier | None:
    word = " ".join(match.group("word").split())
    degree = " ".join((match.group("degree") or "").split())
    direction, name = WORDS[word]
    clause_start = max([0, *(b.end() for b in BREAK.finditer(folded, 0, match.start()))])
    before = folded[clause_start : match.start()].split()[-NEGATION_WINDOW:]
    negated = NEGATION.search(" ".join(before)) is not None
    relative = True
    if word in COMPARATIVES:
        if negated or degree in LESS_WORDS:
            return None
    elif degree in EXCESS_WORDS:
        direction = _turned(direction)
    elif degree in LESS_WORDS or degree in MORE_WORDS:
        if negated:
            return None
        direction = _turned(direction) if degree in LESS_WORDS else direction
    elif word in DEGREE_ONLY:
        return None
    else:
        relative = False
        if negated:
            direction = _turned(direction)
        elif _describes_a_film(folded, match.start(), clause_start, titles):
            return None
    return Modifier(direction, name, match.start(), match.end(), relative)


def _turned(direction: MoodDirection) -> MoodDirection:
    return "less" if direction == "more" else "more"


def _describes_a_film(folded: str, position: int, clause_start: int, titles: Sequence[tuple[int, int]]) -> bool:
    """The words before the adjective, from the clause's start or the last title, only say what a film was like."""
    start = max([clause_start, *(end for _, end in titles if clause_start <= end <= position)])
    return REACTION_WORDS.match(" ".join(folded[start:position].split()) + " ") is not None
