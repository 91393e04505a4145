"""Understanding one user turn: intent plus a grounded preference delta.

A rule layer over the entity linker: it splits the message into clauses,
reads each clause's polarity ("loved", "not", "hate", "without", "I don't
mind", "haven't seen"), and turns mentions into likes, dislikes, "seen" marks,
included or excluded genres, lifted constraints and year ranges.  Feedback on
the last answer ("not the second one", "seen all of those") is resolved
against the items it showed.  Small language models miss negation and numbers;
these rules do not, and every name they emit was grounded by the linker first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.sessions.profile import PreferenceDelta
from assistant.types import Intent
from assistant.understanding.acts import ActReader, ConversationAct
from assistant.understanding.hidden_gems import read_hidden_gems
from assistant.understanding.linking import EntityLinker, Mention, normalise
from assistant.understanding.modifiers import Modifier, moods_of, read_modifiers
from assistant.understanding.references import find_references
from assistant.understanding.years import recency_floor, year_constraints

NEGATIVE_CUES = (
    "not",
    "no",
    "don t",
    "dont",
    "didn t",
    "didnt",
    "doesn t",
    "isn t",
    "wasn t",
    "never",
    "hate",
    "hated",
    "dislike",
    "disliked",
    "can t stand",
    "cannot stand",
    "without",
    "except",
    "avoid",
    "nothing",
    "none",
    "boring",
    "awful",
    "terrible",
    "worst",
    "overrated",
    "skip",
    "rather not",
    "not into",
    "no more",
    "anything but",
    "everything but",
    "anything other than",
)
TOLERANT_CUES = (
    "don t mind",
    "do not mind",
    "dont mind",
    "is fine",
    "are fine",
    "is ok",
    "is okay",
    "are ok",
    "are okay",
    "open to",
    "fine with",
    "ok with",
    "okay with",
    "doesn t matter",
    "does not matter",
    "after all",
)
UNSEEN_CUES = (
    "haven t seen",
    "have not seen",
    "havent seen",
    "never seen",
    "not seen",
    "haven t watched",
    "have not watched",
    "never watched",
    "didn t see",
    "did not see",
    "not yet seen",
    "haven t yet seen",
    "never heard",
    "haven t heard",
    "have not heard",
    "havent heard",
    "not heard of",
)
SEEN_CUES = ("seen", "already watched", "watched it", "saw it", "have watched", "ve watched", "i saw", "already saw")
POSITIVE_CUES = ("love", "loved", "like", "liked", "enjoy", "enjoyed", "favorite", "favourite", "fan of", "adore")
REQUEST_CUES = ("d love", "would love", "d like", "would like", "d prefer", "would prefer", "d enjoy", "would enjoy")

YEARS_LIFTED = re.compile(
    r"\b(?:any|whatever) (?:year|decade|era|time period|age)\b|\b(?:old or new|new or old|older or newer|newer or older)\b"
    r"|\b(?:year|decade|age|era|release date)s? (?:doesn t|does not|don t|do not) matter\b"
    r"|\b(?:don t|do not|dont) care (?:about|how) (?:the )?(?:year|decade|old|new|age|era|release)"
    r"|\bforget (?:about )?the (?:year|decade|date|era)|\bno matter how old\b"
)
GENRES_LIFTED = re.compile(
    r"\b(?:any|all|whatever) (?:genre|kind|type)s?\b|\b(?:don t|do not|dont) care (?:about|what) (?:the )?(?:genre|kind|type)"
    r"|\bgenres? (?:doesn t|does not|don t|do not) matter\b"
)
KIDS = ("genres", "Children")
EXCESS = re.compile(r"\b(?:too|overly|a (?:little|bit)(?: too)?)$")
"""Said just before a mood, it means more of it than wanted: "too sad for me", "a bit creepy for a five-year-old".

"Kind of" is not among them: "that was kind of funny" is mild praise.
"""
REACTION = re.compile(
    r"^(?:\d{4} )?(?:(?:oh|yes|yeah|ya|haha|lol|wow|ok|okay) )*"
    r"(?:(?:that|it|this|which|they|those|these)(?: (?:movie|movies|film|films|one|ones))?"
    r" (?:s|was|is|were|are|sounds|looks|seems)|sounds|looks|seems)"
    r"(?: (?:so|really|very|pretty|super|quite|too|kind of|kinda|not|never))*$"
)
"""Words opening a clause or following a title that say a genre of a film: a taste, not a request.

"That was so funny", "Bridesmaids (2011) that was funny", "those movies were funny", "sounds scary".
"""

CLAUSE_SPLIT = re.compile(
    r"[.;!?\n]+|,\s*(?:but|and|though|although)\b|\bhowever\b|\bwhereas\b"
    # a hedge after a comma: "anything but horror, maybe a comedy"
    r"|,\s*(?=(?:maybe|perhaps|preferably|ideally)\b)"
    # "but", except in "anything but X" (unless a new statement follows: "open to anything but I like drama")
    r"|\bbut\b(?=\s+(?:i|we|you|it|they|he|she)\b)|(?<!anything )(?<!everything )\bbut\b"
    # a reply word before a new statement: "No I was looking for ...", "Yes I loved it"
    r"|(?<![\w'])(?:no|nope|yes|yeah|yep)\b[,!]?(?=\s+(?:i|we|it|that|they|thanks?)\b)"
    # an unpunctuated new question: "I don't like action movies Do you know of another comedy?"
    r"|\s(?-i:(?=(?:Do|Does|Can|Could|Would|Will|What|Which|Any|Is|Are|Have|How|Maybe)\s))"
    r"|\b(?=(?:what|how) about\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Understanding:
    act: ConversationAct
    delta: PreferenceDelta
    """Empty unless the act is a recommendation request: a question or small talk changes no preference."""
    mentions: tuple[Mention, ...]

    @property
    def intent(self) -> Intent:
        return self.act.act


def _has_cue(text: str, cues: tuple[str, ...]) -> bool:
    padded = f" {text} "
    return any(f" {cue} " in padded for cue in cues)


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def _cue_before(clause: str, position: int, cues: tuple[str, ...]) -> bool:
    """A cue in the clause before the mention (negation scopes forward)."""
    return _has_cue(normalise(clause[:position]), cues)


class TurnInterpreter:
    """Turns a message into an :class:`Understanding` with the rules above."""

    def __init__(self, linker: EntityLinker) -> None:
        self.linker = linker
        self.acts = ActReader()
        years = [item.year for item in linker.catalogue.items.values() if item.year]
        self.latest_year = max(years) if years else None

    def interpret(self, message: str, last_suggestions: Sequence[str] = ()) -> Understanding:
        """``last_suggestions``: the items of the assistant's previous answer, in the order shown."""
        mentions, unlinked = self.linker.link(message)
        modifiers = self._modifiers(message, mentions)
        relative = [(modifier.start, modifier.end) for modifier in modifiers if modifier.relative]
        items: dict[str, list[str]] = {"liked": [], "disliked": [], "seen": []}
        attributes: dict[str, list[tuple[str, str]]] = {
            "liked": [],
            "disliked": [],
            "include": [],
            "exclude": [],
            "lifted": [],
        }
        for mention in mentions:
            if mention.item_id is not None:
                polarity = self._item_polarity(message, mention.start)
                if polarity is not None:
                    items[polarity].append(mention.item_id)
                continue
            if _overlaps(mention.start, mention.end, relative):
                continue
            if mention.field is not None and mention.value is not None:
                attributes[self._attribute_polarity(message, mention, mentions)].append((mention.field, mention.value))
        taken = [(mention.start, mention.end) for mention in mentions]
        for reference in find_references(message, last_suggestions):
            if any(start < reference.end and reference.start < end for start, end in taken):
                continue
            if not reference.explicit and self._title_just_before(message, mentions, reference.start):
                continue
            polarity = self._item_polarity(message, reference.start)
            if polarity is not None:
                items[polarity].extend(reference.item_ids)
        if KIDS in attributes["include"]:
            # "a comedy for my kids": suitability is the law, the genre a preference (include is any-of).
            attributes["liked"] += [pair for pair in attributes["include"] if pair != KIDS and pair[0] == KIDS[0]]
            attributes["include"] = [pair for pair in attributes["include"] if pair == KIDS or pair[0] != KIDS[0]]
        year_min, year_max = self._years(message, mentions)
        lowered = normalise(message)
        delta = PreferenceDelta(
            liked_items=tuple(dict.fromkeys(items["liked"])),
            disliked_items=tuple(dict.fromkeys(items["disliked"])),
            seen_items=tuple(dict.fromkeys(items["seen"])),
            liked_attributes=tuple(dict.fromkeys(attributes["liked"])),
            disliked_attributes=tuple(dict.fromkeys(attributes["disliked"])),
            include=tuple(dict.fromkeys(attributes["include"])),
            exclude=tuple(dict.fromkeys(attributes["exclude"])),
            lifted=tuple(dict.fromkeys(attributes["lifted"])),
            lift_years=bool(YEARS_LIFTED.search(lowered)),
            lift_include_fields=("genres",) if GENRES_LIFTED.search(lowered) else (),
            year_min=year_min,
            year_max=year_max,
            unlinked=tuple(unlinked),
            moods=moods_of(modifiers),
            hidden_gems=read_hidden_gems(message),
        )
        act = self.acts.read(message, mentions, delta, last_suggestions)
        if act.act in ("why", "about", "chat"):
            delta = PreferenceDelta()
        elif act.phrase_items:
            delta = delta.model_copy(
                update={"liked_items": tuple(item for item in delta.liked_items if item not in act.phrase_items)}
            )
        return Understanding(act=act, delta=delta, mentions=tuple(mentions))

    @staticmethod
    def _modifiers(message: str, mentions: Sequence[Mention]) -> tuple[Modifier, ...]:
        """The message's moods; a plain one that names a genre ("a funny movie") is left to the genre's constraint.

        A relative one ("more romantic", "less violent") takes its words from the linker: it moves the ranking,
        where the linked genre or tag would have been a constraint or a like.
        """
        titles = [(mention.start, mention.end) for mention in mentions if mention.is_item]
        genres = [(mention.start, mention.end) for mention in mentions if mention.field == "genres"]
        return tuple(
            modifier
            for modifier in read_modifiers(message, titles)
            if modifier.relative or not _overlaps(modifier.start, modifier.end, genres)
        )

    @staticmethod
    def _title_just_before(message: str, mentions: list[Mention], position: int) -> bool:
        """A title named earlier in the same sentence: 'Or Heat (1995), I really liked that one' is about Heat."""
        return any(
            mention.is_item and mention.end <= position and not re.search(r"[.!?]", message[mention.end : position])
            for mention in mentions
        )

    def _item_polarity(self, message: str, position: int) -> str | None:
        """liked, disliked, seen, or None for 'I haven't seen X' (no opinion yet)."""
        clause_start, clause = self._clause_of(message, position)
        offset = position - clause_start
        normalised_clause = normalise(clause)
        if _has_cue(normalised_clause, UNSEEN_CUES):
            return None
        if _cue_before(clause, offset, NEGATIVE_CUES):
            return "disliked"
        if _has_cue(normalised_clause, SEEN_CUES) and not _has_cue(normalised_clause, POSITIVE_CUES):
            return "seen"
        return "liked"

    def _attribute_polarity(self, message: str, mention: Mention, mentions: Sequence[Mention]) -> str:
        """liked, disliked, include, exclude, or lifted ('horror is fine now').

        A genre asked for is a constraint (include, exclude); a genre said of a
        film ("that was so funny") or liked in general is a preference, and
        "too scary" or "a bit creepy" is a dislike of it.
        """
        clause_start, clause = self._clause_of(message, mention.start)
        offset = mention.start - clause_start
        if _has_cue(normalise(clause), TOLERANT_CUES):
            return "lifted"
        negative = _cue_before(clause, offset, NEGATIVE_CUES)
        if not negative and EXCESS.search(normalise(clause[:offset])):
            return "disliked"
        if mention.field == "genres" and not self._said_of_a_film(message, mention, mentions, clause_start):
            if negative:
                return "exclude"
            liked = _cue_before(clause, offset, POSITIVE_CUES) and not _cue_before(clause, offset, REQUEST_CUES)
            return "liked" if liked else "include"
        return "disliked" if negative else "liked"

    @staticmethod
    def _said_of_a_film(message: str, mention: Mention, mentions: Sequence[Mention], clause_start: int) -> bool:
        """Whether the words before a genre, from the clause's start or the last title before it, describe a film."""
        start = max([clause_start, *(m.end for m in mentions if m.is_item and clause_start <= m.end <= mention.start)])
        return REACTION.match(normalise(message[start : mention.start])) is not None

    def _years(self, message: str, mentions: list[Mention]) -> tuple[int | None, int | None]:
        """Year bounds read with titles blanked out, so 'Blade Runner 2049' is not a year."""
        blanked = list(message)
        for mention in mentions:
            if mention.is_item:
                blanked[mention.start : mention.end] = " " * (mention.end - mention.start)
        text = "".join(blanked)
        year_min, year_max = year_constraints(text)
        if year_min is None and self.latest_year is not None:
            year_min = recency_floor(text, self.latest_year)
        return year_min, year_max

    @staticmethod
    def _clause_of(message: str, position: int) -> tuple[int, str]:
        start = 0
        for match in CLAUSE_SPLIT.finditer(message):
            if match.end() <= position:
                start = match.end()
            elif match.start() > position:
                return start, message[start : match.start()]
        return start, message[start:]
