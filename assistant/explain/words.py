"""Words a reply may use around its facts: neutral phrasing that states nothing about any film."""

from __future__ import annotations

from assistant.understanding.words import FUNCTION_WORDS

REPLY_PHRASING = FUNCTION_WORDS | frozenset(
    (
        "again anything ask asked based below can chose chosen choices come decade decades dislike dislikes "
        "don do else enjoy find few fit fits genre genres glad happy hello help here hey hi hope how i know "
        "let lets like liked limit limits list look looking love loved m me mind mood more movie movies name "
        "names next now options people actors directors film films picked picks pick please ready selected "
        "several share some something suggest suggestions sure taste tell thank thanks there these time today "
        "tonight want wanted watch welcome what when whenever you your yours okay ok s re ll ve d t great "
        "request requested asking keep kind sort type also other others one ones two three four five six seven "
        "eight nine ten every each any anytime back just right away here s set enjoyed loving favourite favorite "
        "wish good day night evening weekend bye goodbye care questions question chat talking talk recommend "
        "recommendations recommendation suggestion no not without since because such fits everything nothing "
        "relax remove drop profile catalogue as did from until"
    ).split()
)
"""Introductions, small talk and thanks are made of these, the person's words and the turn's facts only."""

THIRD_PERSON = frozenset(("they", "their", "theirs", "them", "user", "users", "user s", "the user", "the person"))
"""A reply speaks to the person as "you"; these words mean the prompt's notes about them leaked into it."""

NEGATIONS = frozenset(("no", "not", "non", "without", "never", "nothing", "free", "avoid", "avoiding", "skip", "zero"))
"""Said just before a ruled-out genre, they keep to the person's limit instead of breaking it."""
