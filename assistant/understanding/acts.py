"""What a message asks the assistant to do: recommend, show more, explain a suggestion, describe a film, chat.

Rules over the normalised message, read after the entity linker and the
preference rules: a message that states a preference is a recommendation
request whatever else it says (the distractors people write most: "hi! any
good horror movies?"), so only a message with no preference in it can be
small talk, thanks, a why-question or a question about a film.  The item a
question points at is resolved like feedback: a title it names, else "the
second one" or "that one" against the last answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.sessions.profile import PreferenceDelta
from assistant.types import Intent
from assistant.understanding.linking import Mention, normalise
from assistant.understanding.references import find_references

AboutTopic = Literal["plot", "people", "directors", "year", "length"]

WHY = re.compile(
    r"^(?:(?:but|so|and|ok|okay|hmm+|just curious|curious|really) )*(?:why|how come)"
    r"(?: (?:that|this|it|so|s that|is that|is it|that one|this one|the \w+ one))?$"
    r"|\bwhy (?:(?:did|do|does|would|should|will) )+you (?:suggest|recommend|pick|choose|think|say|prefer|like|love)"
    r"|\bwhat makes you (?:think|say)\b|\bwhy (?:that|this|the \w+) one\b|\bwhy would i (?:like|enjoy|love)\b"
    r"|\bwhat (?:do|did) you (?:like|love|enjoy)(?: (?:most|best))? about\b|\bwhat made you (?:pick|choose|suggest|think)\b"
    r"|\bwhat (?:do|did) you think (?:about|of) (?:it|that|this|the (?:movie|film)|that one|this one)\b"
    r"|\bdo you think (?:it|that|this|that one) (?:is|s|would be) worth\b"
    r"|\b(?:would|do|did|could) you (?:recommend|suggest) (?:it|this|that|this one|that one|this movie|that movie)\b"
    r"|\b(?:is|was) (?:it|that|this|that one|this one) (?:any )?(?:good|worth (?:it|watching|seeing|checking out))\b"
    r"|^(?:is it )?worth (?:it|watching|seeing|checking out)$"
)
ABOUT: dict[AboutTopic, re.Pattern[str]] = {
    "plot": re.compile(
        r"\bwhat(?: s| is| was)? (?:it|that|this|that one|this one|the (?:\w+ )?(?:movie|film|one)|.{1,60}) about\b"
        r"|\bwhat (?:is|s) (?:the )?(?:plot|story|premise|storyline)\b|\bwhat (?:kind|type|sort) of (?:movie|film) is\b"
        r"|\bwhat (?:is|s) (?:it|that|that one|this one) like\b|\bwhat is .{1,60} rated\b"
        r"|\b(?:is|was) (?:it|that|that one|this|this one) (?:a |an )?(?!possible\b|going\b)\w+(?: \w+){0,3}$"
        r"|\bwhat (?:genre|kind of movie|kind of film|type of movie|type of film) is (?:it|that|this)\b"
        r"|\bwhat (?:is|s) (?:its|the) (?:mpaa )?rating\b|\b(?:tell me|what is|what s) the rating\b"
        r"|\b(?:is (?:that|this|it)|that s) the (?:one|.{1,40} one)\b"
    ),
    "directors": re.compile(r"\bwho (?:directed|made|was the director of|is the director of)\b|\bwho s the director\b"),
    "people": re.compile(
        r"\bwho (?:is|s|was|plays|acts|starred|stars) (?:in|on|starring)\b|\bwho (?:stars|starred|plays|acts) (?:in|on)\b"
        r"|\bwho (?:is|s|are) the (?:actors|cast|stars?|leads?)\b|\bwho (?:is|s) (?:it|that) with\b"
    ),
    "year": re.compile(
        r"\b(?:when|what year) (?:was|did|is) (?:it|that|this|.{1,60}) (?:come out|made|released|out)\b"
        r"|\bhow old is (?:it|that|that one)\b"
    ),
    "length": re.compile(r"\bhow long is (?:it|that|that one|this one|the (?:movie|film))\b"),
}
THANKS = re.compile(
    r"\b(?:thanks|thank you|thank u|thx|cheers|much appreciated|i appreciate (?:it|that|the \w+|your \w+))\b|^ty\b"
    r"|\b(?:bye|goodbye|good bye|good night|goodnight|see you|see ya|take care|have a (?:good|great|nice|wonderful) "
    r"(?:night|day|one|evening|weekend))\b"
)
MORE = re.compile(
    r"\b(?:any|some|got|have|anything|what|show me|give me) (?:other|others|else|more)\b"
    r"|\b(?:more|other|another|different) (?:ones?|options?|suggestions?|recommendations?|picks?|movies?|films?|titles?)\b"
    r"|^(?:more|others|another|another one|any more|anymore|next)\b|\bmore (?:like|of) (?:these|those|that|this|them)\b"
    r"|\bone more\b|\b(?:recommend|suggest) (?:another|more)\b"
)
CLAUSE = re.compile(r"[.!?;]+|\s+-+\s*|-+\s+")
"""Sentence and dash breaks: "I have not seen that one- is it scary?" asks its question in the second clause."""
GREETING_REPLY = re.compile(
    r"\b(?:i m|im|i am|doing|been)(?: \w+)? (?:good|well|fine|great|ok|okay|alright)(?: too)? (?:thanks|thank you)\b"
    r"|\bthanks for asking\b|\bthanks and you\b|^(?:good|well|fine)(?: too)? (?:thanks|thank you)(?: and you| you)?$"
)
"""'Doing well, thanks': an answer to "how are you?", not a goodbye."""
NEW_LIMIT = re.compile(
    r"\b(?:older|newer|recent|modern|new|old|with (?:him|her|them)|starring|lead|time period|era|decade|similar)\b"
    r"|\b(?:other|another|more) (?!(?:ones?|suggestions?|recommendations?|movies?|films?|options?|ideas?|titles?|picks?"
    r"|of|like|please|for|you|i|that|do|to|with|than|along)\b)[a-z]{3,} (?:movies?|films?|ones|adaptations?|stories)\b"
)
"""'any other older ones?': a request for others that also says what they should be."""
ANSWER = re.compile(r"^\d+(?: (?:and|or|to) \d+)*(?: years?(?: old)?)?$")
"""'8 and 10': numbers alone answer the recommender's question (ages, a decade), they are not small talk."""
QUESTION = re.compile(r"\?$|^(?:what|who|where|when|why|how|which|is|are|do|does|did|can|could|will|would)\b")
"""A question: a theme word in one ("what is the capital of France?") is not a taste."""
MOVIE_CUES = re.compile(
    r"\b(?:movies?|films?|flicks?|watch|watched|watching|seen|see|recommend\w*|suggest\w*|like|liked|love|loved|"
    r"enjoy\w*|hate|hated|genre|genres|looking for|look for|in the mood|mood|something|anything|show|shows|series|"
    r"date night|classic|classics|favorite|favourite|fan of|into|check out|should i (?:watch|see))\b"
)


@dataclass(frozen=True)
class ConversationAct:
    act: Intent
    item_id: str | None = None
    """The suggestion or film a why- or about-question points at, when it could be resolved."""
    topic: AboutTopic | None = None
    """What an about-question asks: the plot, the people, the directors, the year, the length."""
    phrase_items: tuple[str, ...] = ()
    """Films whose title is only the act's own phrase ("Anything Else" in "anything else?"): no taste."""


class ActReader:
    """Reads the act of a message whose preferences the interpreter has already extracted."""

    def read(
        self, message: str, mentions: Sequence[Mention], delta: PreferenceDelta, last_suggestions: Sequence[str]
    ) -> ConversationAct:
        lowered = normalise(message)
        phrases = [match.group() for pattern in (MORE, THANKS) for match in pattern.finditer(lowered)]
        in_phrase = {m.item_id for m in mentions if m.item_id and any(normalise(m.surface) in p for p in phrases)}
        mentions = [mention for mention in mentions if mention.item_id not in in_phrase]
        delta = delta.model_copy(update={"liked_items": tuple(i for i in delta.liked_items if i not in in_phrase)})
        states_preferences = not _tastes(delta, last_suggestions).is_empty()
        reacts = not _tastes(delta, ()).is_empty()
        asks = bool(QUESTION.search(lowered)) or "?" in message
        clauses = [normalise(clause) for clause in CLAUSE.split(message) if clause.strip()]
        if any(WHY.search(clause) for clause in (lowered, *clauses)):
            return ConversationAct("why", _pointed_at(message, mentions, last_suggestions))
        topic = next((name for name, pattern in ABOUT.items() for clause in clauses if pattern.search(clause)), None)
        if topic is not None and (asks or not states_preferences):
            return ConversationAct("about", _pointed_at(message, mentions, last_suggestions), topic)
        if MORE.search(lowered):
            wants_other = states_preferences or NEW_LIMIT.search(lowered)
            return ConversationAct("recommend" if wants_other else "more", phrase_items=tuple(in_phrase))
        if THANKS.search(lowered) and not states_preferences and not GREETING_REPLY.search(lowered):
            return ConversationAct("thanks", phrase_items=tuple(in_phrase))
        if reacts or any(mention.is_item or mention.field != "tags" for mention in mentions):
            return ConversationAct("recommend")
        if mentions and not asks:
            return ConversationAct("recommend")
        if MOVIE_CUES.search(lowered) or ANSWER.search(lowered):
            return ConversationAct("recommend")
        return ConversationAct("chat")


def _tastes(delta: PreferenceDelta, last_suggestions: Sequence[str]) -> PreferenceDelta:
    """The delta less feedback on ``last_suggestions``, themes and unlinked names, which alone state no taste.

    "What do you like about that one?" marks no suggestion, and "the capital of France" likes no theme.
    """
    shown = set(last_suggestions)
    return delta.model_copy(
        update={
            "liked_items": tuple(item for item in delta.liked_items if item not in shown),
            "seen_items": tuple(item for item in delta.seen_items if item not in shown),
            "disliked_items": tuple(item for item in delta.disliked_items if item not in shown),
            "liked_attributes": tuple(pair for pair in delta.liked_attributes if pair[0] != "tags"),
            "unlinked": (),
        }
    )


def _pointed_at(message: str, mentions: Sequence[Mention], last_suggestions: Sequence[str]) -> str | None:
    """A title the message names, else the suggestion "the second one" or "that one" points at."""
    named = [mention.item_id for mention in mentions if mention.item_id is not None]
    if named:
        return named[0]
    references = find_references(message, last_suggestions)
    explicit = [reference for reference in references if reference.explicit and len(reference.item_ids) == 1]
    if explicit:
        return explicit[0].item_ids[0]
    if re.search(r"\b(?:it|that|this|that one|this one|the one)\b", normalise(message)) and last_suggestions:
        return last_suggestions[0]
    return None
