"""Year bounds stated in a message: decades, ranges, 'after 2010', 'something recent'.

Years are hard constraints, so the parser prefers saying nothing over guessing:
it reads only numbers that follow a cue ('after', 'from', 'the 80s') and is
given the message with movie titles blanked out, so 'Blade Runner 2049' or
'2001: A Space Odyssey' never become a year.
"""

from __future__ import annotations

import re

YEAR = r"((?:19|20)\d{2})"
RECENT_YEARS = 5
COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "few": 3, "couple of": 2}
RECENT = re.compile(r"\b(?:recent|recently released|newer|newest)\b")
LAST_YEARS = re.compile(r"\b(?:last|past)\s+(\d{1,2}|two|three|four|five|six|ten|few|couple of)\s+years\b")
NEGATION = r"(?:\b(?:nothing|none|not|no|never)|n't)\b(?:\s+\w+){0,3}?\s+"
DECADE = re.compile(
    r"(?:\b(early|mid|late)[\s-]+)?(?:\b(19|20)(\d)0|(?:^|(?<=\s))'?(\d)0)'?s\b"
    r"(?:\s+or\s+(earlier|before|older|later|after|newer))?"
)
PART_OF_DECADE = {"early": (0, 3), "mid": (4, 6), "late": (7, 9), None: (0, 9)}
OPEN_END = {"earlier": "min", "before": "min", "older": "min", "later": "max", "after": "max", "newer": "max"}


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


def decade_bounds(text: str) -> tuple[int | None, int | None] | None:
    """'the 90s' -> 1990-1999; 'late 70s or 1980s' -> 1977-1989; 'mid 2000s or earlier' -> up to 2006."""
    spans: list[tuple[int | None, int | None]] = []
    for match in DECADE.finditer(text):
        part, century, digit, short_digit, open_end = match.groups()
        if century:
            decade = int(f"{century}{digit}0")
        else:
            decade = int(f"{'20' if short_digit in '012' else '19'}{short_digit}0")
        first, last = PART_OF_DECADE[part]
        low: int | None = decade + first
        high: int | None = decade + last
        if open_end:
            low, high = (None, high) if OPEN_END[open_end] == "min" else (low, None)
        spans.append((low, high))
    if not spans:
        return None
    lows = [low for low, _ in spans if low is not None]
    highs = [high for _, high in spans if high is not None]
    open_below = len(lows) < len(spans)
    open_above = len(highs) < len(spans)
    return (None if open_below else min(lows)), (None if open_above else max(highs))


def year_constraints(text: str) -> tuple[int | None, int | None]:
    """Year bounds stated in ``text``: 'after 2010', 'before 1990', 'from the 90s', 'movies from 2017'."""
    lowered = text.casefold()
    between = re.search(rf"\b(?:between|from)\s+{YEAR}\s+(?:and|to|until|-)\s+{YEAR}\b", lowered)
    if between:
        low, high = sorted((int(between.group(1)), int(between.group(2))))
        return low, high
    year_min = year_max = None
    decades = decade_bounds(lowered)
    if decades is not None:
        year_min, year_max = decades
    # "nothing before 1970", "I don't want anything after 2000": a negated bound flips its side.
    negated_before = re.search(NEGATION + rf"(?:before|older than|earlier than)\s+{YEAR}\b", lowered)
    negated_after = re.search(NEGATION + rf"(?:after|newer than|later than)\s+{YEAR}\b", lowered)
    if negated_before:
        year_min = int(negated_before.group(1))
        lowered = lowered.replace(negated_before.group(0), " ")
    if negated_after:
        year_max = int(negated_after.group(1))
        lowered = lowered.replace(negated_after.group(0), " ")
    after = re.search(rf"\b(?:after|newer than|later than|post)\s+{YEAR}\b", lowered)
    since = re.search(
        rf"\b(?:since|starting|not before|no older than)\s+{YEAR}\b|\bfrom\s+{YEAR}\s+(?:on|onwards?|forward|and later)\b",
        lowered,
    )
    exact = re.search(rf"\b(?:from|in|of)\s+{YEAR}\b|\b{YEAR}\s+(?:movies?|films?)\b", lowered)
    before = re.search(rf"\b(?:before|older than|earlier than|pre)\s+{YEAR}\b", lowered)
    until = re.search(rf"\b(?:until|up to|not after|no later than)\s+{YEAR}\b", lowered)
    or_later = re.search(rf"\b{YEAR}\s+or\s+(?:later|newer|after)\b", lowered)
    or_earlier = re.search(rf"\b{YEAR}\s+or\s+(?:earlier|older|before)\b", lowered)
    if after:
        year_min = int(after.group(1)) + 1
    elif or_later:
        year_min = int(or_later.group(1))
    elif since:
        year_min = int(since.group(1) or since.group(2))
    if before:
        year_max = int(before.group(1)) - 1
    elif until:
        year_max = int(until.group(1))
    elif or_earlier:
        year_max = int(or_earlier.group(1))
    if exact and not (after or or_later or since or before or until or or_earlier):
        year = int(exact.group(1) or exact.group(2))
        year_min = year_max = year
    return year_min, year_max
