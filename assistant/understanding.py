"""Understanding one user turn: intent plus a grounded preference delta.

A rule layer over the entity linker: it splits the message into clauses,
reads each clause's polarity ("loved", "not", "hate", "without"), and turns
mentions into likes, dislikes, "seen" marks, included or excluded genres and
year ranges.  Small language models miss negation and numbers; these rules do
not, and every name they emit was grounded by the linker first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.linking import EntityLinker, Mention, normalise
from assistant.profile import PreferenceDelta

Intent = Literal["recommend", "chat"]

NEGATIVE_CUES = (
    "not", "no", "don t", "dont", "didn t", "didnt", "doesn t", "isn t", "wasn t", "never", "hate", "hated",
    "dislike", "disliked", "can t stand", "cannot stand", "without", "except", "avoid", "nothing", "none",
    "boring", "awful", "terrible", "worst", "overrated", "skip", "rather not", "not into", "no more",
)
SEEN_CUES = ("seen", "already watched", "watched it", "saw it", "have watched", "ve watched", "i saw", "already saw")
POSITIVE_CUES = (
    "love", "loved", "like", "liked", "enjoy", "enjoyed", "favorite", "favourite", "fan of", "adore", "great", "amazing",
)
SMALL_TALK = frozenset(("hi", "hello", "hey", "thanks", "thank you", "bye", "good morning", "good evening", "ok", "okay"))

CLAUSE_SPLIT = re.compile(r"[.;!?\n]+|,\s*(?:but|and|though|although)\b|\bbut\b|\bhowever\b|\bwhereas\b", re.IGNORECASE)


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    delta: PreferenceDelta
    mentions: tuple[Mention, ...]


def _has_cue(text: str, cues: tuple[str, ...]) -> bool:
    padded = f" {text} "
    return any(f" {cue} " in padded for cue in cues)


def _cue_before(clause: str, position: int, cues: tuple[str, ...]) -> bool:
    """A cue in the clause before the mention (negation scopes forward)."""
    return _has_cue(normalise(clause[:position]), cues)


NEGATION = r"(?:\b(?:nothing|none|not|no|never)|n't)\b(?:\s+\w+){0,3}?\s+"


RECENT_YEARS = 5
COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "few": 3, "couple of": 2}
RECENT = re.compile(r"\b(?:recent|recently released|newer|newest)\b")
LAST_YEARS = re.compile(r"\b(?:last|past)\s+(\d{1,2}|two|three|four|five|six|ten|few|couple of)\s+years\b")


def recency_floor(text: str, latest_year: int) -> int | None:
    """The first year meant by 'something recent' or 'the last 3 years', counted back from ``latest_year``.

    'Recent' is relative to the newest item in the catalogue, not to today:
    a catalogue that ends in 2018 has nothing from last year.
    """
    lowered = text.casefold()
    span = LAST_YEARS.search(lowered)
    if span:
        count = span.group(1)
        years = int(count) if count.isdigit() else COUNT_WORDS[count]
        return latest_year - years + 1
    if RECENT.search(lowered):
        return latest_year - RECENT_YEARS + 1
    return None


def year_constraints(text: str) -> tuple[int | None, int | None]:
    """Year bounds stated in ``text``: 'after 2010', 'before 1990', 'from the 90s', 'between 1980 and 1990'."""
    lowered = text.casefold()
    between = re.search(r"\bbetween\s+((?:19|20)\d{2})\s+and\s+((?:19|20)\d{2})\b", lowered)
    if between:
        low, high = sorted((int(between.group(1)), int(between.group(2))))
        return low, high
    year_min = year_max = None
    decade = re.search(r"\b(19|20)(\d)0'?s\b", lowered) or re.search(r"(?:^|\s)'?(\d)0'?s\b", lowered)
    if decade:
        if decade.lastindex == 2:
            start = int(f"{decade.group(1)}{decade.group(2)}0")
        else:
            digit = decade.group(1)
            start = int(f"{'20' if digit in '012' else '19'}{digit}0")
        year_min, year_max = start, start + 9
    # "nothing before 1970", "I don't want anything after 2000": a negated bound flips its side.
    negated_before = re.search(NEGATION + r"(?:before|older than|earlier than)\s+((?:19|20)\d{2})\b", lowered)
    negated_after = re.search(NEGATION + r"(?:after|newer than|later than)\s+((?:19|20)\d{2})\b", lowered)
    if negated_before:
        year_min = int(negated_before.group(1))
        lowered = lowered.replace(negated_before.group(0), " ")
    if negated_after:
        year_max = int(negated_after.group(1))
        lowered = lowered.replace(negated_after.group(0), " ")
    after = re.search(r"\b(?:after|newer than|later than|post)\s+((?:19|20)\d{2})\b", lowered)
    since = re.search(r"\b(?:since|from|starting|not before|no older than)\s+((?:19|20)\d{2})\b(?!\s*(?:to|-|until))", lowered)
    before = re.search(r"\b(?:before|older than|earlier than|pre)\s+((?:19|20)\d{2})\b", lowered)
    until = re.search(r"\b(?:until|up to|not after|no later than)\s+((?:19|20)\d{2})\b", lowered)
    or_later = re.search(r"\b((?:19|20)\d{2})\s+or\s+(?:later|newer|after)\b", lowered)
    or_earlier = re.search(r"\b((?:19|20)\d{2})\s+or\s+(?:earlier|older|before)\b", lowered)
    if after:
        year_min = int(after.group(1)) + 1
    elif or_later:
        year_min = int(or_later.group(1))
    elif since:
        year_min = int(since.group(1))
    if before:
        year_max = int(before.group(1)) - 1
    elif until:
        year_max = int(until.group(1))
    elif or_earlier:
        year_max = int(or_earlier.group(1))
    return year_min, year_max


class TurnInterpreter:
    """Turns a message into an :class:`Understanding` with the rules above."""

    def __init__(self, linker: EntityLinker) -> None:
        self.linker = linker
        years = [item.year for item in linker.catalogue.items.values() if item.year]
        self.latest_year = max(years) if years else None

    def interpret(self, message: str) -> Understanding:
        mentions, unlinked = self.linker.link(message)
        liked: list[str] = []
        disliked: list[str] = []
        seen: list[str] = []
        liked_attributes: list[tuple[str, str]] = []
        disliked_attributes: list[tuple[str, str]] = []
        include: list[tuple[str, str]] = []
        exclude: list[tuple[str, str]] = []
        for mention in mentions:
            clause_start, clause = self._clause_of(message, mention.start)
            offset = mention.start - clause_start
            negative = _cue_before(clause, offset, NEGATIVE_CUES)
            normalised_clause = normalise(clause)
            if mention.is_item:
                if negative:
                    disliked.append(mention.item_id)
                elif _has_cue(normalised_clause, SEEN_CUES) and not _has_cue(normalised_clause, POSITIVE_CUES):
                    seen.append(mention.item_id)
                else:
                    liked.append(mention.item_id)
                continue
            pair = (mention.field, mention.value)
            if mention.field == "genres":
                if negative:
                    exclude.append(pair)
                elif _cue_before(clause, offset, POSITIVE_CUES):
                    liked_attributes.append(pair)
                else:
                    include.append(pair)
            elif negative:
                disliked_attributes.append(pair)
            else:
                liked_attributes.append(pair)
        year_min, year_max = year_constraints(message)
        if year_min is None and self.latest_year is not None:
            year_min = recency_floor(message, self.latest_year)
        delta = PreferenceDelta(
            liked_items=tuple(dict.fromkeys(liked)),
            disliked_items=tuple(dict.fromkeys(disliked)),
            seen_items=tuple(dict.fromkeys(seen)),
            liked_attributes=tuple(dict.fromkeys(liked_attributes)),
            disliked_attributes=tuple(dict.fromkeys(disliked_attributes)),
            include=tuple(dict.fromkeys(include)),
            exclude=tuple(dict.fromkeys(exclude)),
            year_min=year_min,
            year_max=year_max,
            unlinked=tuple(unlinked),
        )
        intent: Intent = "chat" if delta.is_empty() and normalise(message) in SMALL_TALK else "recommend"
        return Understanding(intent=intent, delta=delta, mentions=tuple(mentions))

    @staticmethod
    def _clause_of(message: str, position: int) -> tuple[int, str]:
        start = 0
        for match in CLAUSE_SPLIT.finditer(message):
            if match.end() <= position:
                start = match.end()
            elif match.start() > position:
                return start, message[start : match.start()]
        return start, message[start:]
