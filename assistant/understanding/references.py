"""Which earlier suggestion a message points at: 'the second one', 'not that one', 'seen all of those'.

Feedback in chat rarely names the title again.  References are resolved
against the items of the assistant's last answer, in the order they were
shown; a reference that points past the list resolves to nothing rather than
to a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ORDINALS = {
    "first": 0,
    "1st": 0,
    "top": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
ORDINAL = re.compile(
    r"\b(?:the\s+)?(first|1st|top|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\s+(?:one|movie|film|suggestion|pick)s?\b"
    r"|\bthe\s+(first|second|third|fourth|fifth|last)\b(?!\s+(?:time|part|movie of|film of))"
    r"|\b(?:number|no\.|#)\s*([1-9])\b",
    re.IGNORECASE,
)
DEMONSTRATIVE = re.compile(
    r"\b(?:that|this)\s+(?:one|movie|film|suggestion)\b|\bthat\b(?=\s*[.!?]?\s*$)"
    # "it" only as the object of a verb about watching or liking: "I didn't like it", "I'll check it out"
    r"|\b(?:like|liked|love|loved|hate|hated|enjoy|enjoyed|check|checked|watch|watched|try|rent|into|seen|saw)\s+it\b",
    re.IGNORECASE,
)
PLURAL = re.compile(r"\b(?:check|try|watch|rent|look into|seen|saw)\s+(?:them|those|these)(?:\s+out)?\b", re.IGNORECASE)
ACCEPTANCE = re.compile(
    r"\b(?:sounds|looks)\s+(?:good|great|interesting|fun|perfect|awesome)\b|\bthat'?s\s+(?:the one|more my speed)\b",
    re.IGNORECASE,
)
ALL_OF_THEM = re.compile(
    r"\b(?:all|any|none|both|each)\s+of\s+(?:them|those|these|your suggestions)\b|\b(?:those|these)\s+(?:ones|movies|films)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reference:
    """Earlier suggestions a span of the message points at.

    ``explicit`` is False for 'that one' or 'it': those may mean a title the
    same message names ("Or Leap Year, I really liked that one").
    """

    start: int
    end: int
    item_ids: tuple[str, ...]
    explicit: bool = True


def find_references(message: str, last_suggestions: Sequence[str]) -> list[Reference]:
    """References in ``message`` to ``last_suggestions`` (the last answer's items, best first).

    'That one' means the first suggestion when the last answer had several:
    the reply reports which title was marked, so the user can see and undo it.
    """
    if not last_suggestions:
        return []
    references: list[Reference] = []
    for match in ORDINAL.finditer(message):
        word = (match.group(1) or match.group(2) or "").casefold()
        position = ORDINALS[word] if word else int(match.group(3)) - 1
        if -len(last_suggestions) <= position < len(last_suggestions):
            references.append(Reference(match.start(), match.end(), (last_suggestions[position],)))
    for pattern in (ALL_OF_THEM, PLURAL):
        for match in pattern.finditer(message):
            references.append(Reference(match.start(), match.end(), tuple(last_suggestions)))
    if not references:
        for pattern in (DEMONSTRATIVE, ACCEPTANCE):
            for match in pattern.finditer(message):
                references.append(Reference(match.start(), match.end(), (last_suggestions[0],), explicit=False))
    return references
