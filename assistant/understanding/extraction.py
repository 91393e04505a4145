"""The LLM's reading of a turn, parsed, repaired, grounded, and merged under the rules.

The chat model proposes likes, dislikes, seen titles, people and genres as a
JSON object (prompts/extract_*.txt).  Its answer is cut out of any surrounding
prose, repaired (code fences, single quotes, trailing commas, a bare string
where a list belongs) and validated by pydantic; an unreadable answer is asked
for again once, then dropped.  Every proposed name must occur in the message
and must be grounded by the entity linker; what the linker cannot find is kept
as text, never as an invented id.  The rule layer has the last word: a thing
the rules placed keeps the rules' polarity (small models lose negation), and
numbers (years, decades) come from the rules only.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import json_repair
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from assistant.sessions.profile import PreferenceDelta
from assistant.understanding.linking import EntityLinker, Mention, normalise
from prompts import load_examples, load_prompt

LOGGER = logging.getLogger(__name__)
ATTEMPTS = 2
MAX_NEW_TOKENS = 160
MAX_NAMES = 10
TITLE_FIELDS = ("liked_titles", "disliked_titles", "seen_titles")
PERSON_FIELDS = ("liked_people", "disliked_people")
GENRE_FIELDS = ("wanted_genres", "unwanted_genres")


class ProposalError(ValueError):
    """The model's answer is not a readable proposal, even after repair."""


class ProposedPreferences(BaseModel):
    """What the model says the message states, as names still to be grounded."""

    model_config = ConfigDict(extra="ignore")

    liked_titles: list[str] = []
    disliked_titles: list[str] = []
    seen_titles: list[str] = []
    liked_people: list[str] = []
    disliked_people: list[str] = []
    wanted_genres: list[str] = []
    unwanted_genres: list[str] = []

    @field_validator("*", mode="before")
    @classmethod
    def _names(cls, value: Any) -> list[str]:
        """A bare string becomes a one-name list; empty and non-text entries are dropped."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("expected a list of names")
        return [str(name).strip() for name in value if isinstance(name, str | int) and str(name).strip()][:MAX_NAMES]


def parse_proposal(text: str) -> ProposedPreferences:
    """Read the model's answer into :class:`ProposedPreferences`, repairing what can be repaired.

    ``json_repair`` cuts the object out of prose or code fences and mends quotes, commas and unclosed
    brackets: it read every fault our own repair did and three more (bench/results/libraries-json-repair.json).
    """
    data = json_repair.loads(text)
    if isinstance(data, list):  # several objects in the answer: the first is the proposal
        data = next((value for value in data if isinstance(value, dict)), None)
    if not isinstance(data, dict) or not data:
        raise ProposalError("there is no JSON object in the answer")
    try:
        return ProposedPreferences.model_validate(data)
    except ValidationError as exc:
        raise ProposalError(f"the object does not fit the schema: {exc.errors()[0]['msg']}") from exc


def combine(rules: PreferenceDelta, proposal: PreferenceDelta) -> PreferenceDelta:
    """The rules' delta plus what only the model found; the rules win every conflict."""
    placed_items = {*rules.liked_items, *rules.disliked_items, *rules.seen_items}
    placed_values = {
        normalise(value)
        for _, value in (
            *rules.liked_attributes,
            *rules.disliked_attributes,
            *rules.include,
            *rules.exclude,
            *rules.lifted,
        )
    }

    def new_items(item_ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(item_id for item_id in item_ids if item_id not in placed_items)

    def new_pairs(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple(pair for pair in pairs if normalise(pair[1]) not in placed_values)

    return rules.model_copy(
        update={
            "liked_items": tuple(dict.fromkeys((*rules.liked_items, *new_items(proposal.liked_items)))),
            "disliked_items": tuple(dict.fromkeys((*rules.disliked_items, *new_items(proposal.disliked_items)))),
            "seen_items": tuple(dict.fromkeys((*rules.seen_items, *new_items(proposal.seen_items)))),
            "liked_attributes": tuple(dict.fromkeys((*rules.liked_attributes, *new_pairs(proposal.liked_attributes)))),
            "disliked_attributes": tuple(
                dict.fromkeys((*rules.disliked_attributes, *new_pairs(proposal.disliked_attributes)))
            ),
            "include": tuple(dict.fromkeys((*rules.include, *new_pairs(proposal.include)))),
            "exclude": tuple(dict.fromkeys((*rules.exclude, *new_pairs(proposal.exclude)))),
            "unlinked": tuple(dict.fromkeys((*rules.unlinked, *proposal.unlinked))),
        }
    )


class PreferenceExtractor:
    """Asks the chat model for a proposal and grounds it against the catalogue."""

    def __init__(self, chat_model: BaseChatModel, linker: EntityLinker) -> None:
        self.chat_model = chat_model
        self.linker = linker

    def propose(self, message: str) -> PreferenceDelta:
        """The grounded delta the model proposes; empty when it gives nothing readable."""
        messages: list[BaseMessage] = [SystemMessage(load_prompt("extract_system"))]
        for request, answer in load_examples("extract_examples"):
            messages += [HumanMessage(request), AIMessage(answer)]
        messages.append(HumanMessage(load_prompt("extract_user").format(message=message)))
        for _ in range(ATTEMPTS):
            try:
                answer = str(self.chat_model.invoke(messages, max_new_tokens=MAX_NEW_TOKENS).content)
            except Exception as exc:
                LOGGER.warning("preference model failed, using the rules alone: %s", exc)
                return PreferenceDelta()
            try:
                return self.ground(parse_proposal(answer), message)
            except ProposalError as exc:
                messages += [AIMessage(answer), HumanMessage(load_prompt("extract_retry").format(error=exc))]
        LOGGER.info("preference model gave no readable proposal; using the rules alone")
        return PreferenceDelta()

    def ground(self, proposal: ProposedPreferences, message: str) -> PreferenceDelta:
        """Link every proposed name that the message really contains; keep unlinked titles as text."""
        said = f" {normalise(message)} "
        found: dict[str, list[Any]] = {name: [] for name in (*TITLE_FIELDS, *PERSON_FIELDS, *GENRE_FIELDS)}
        unlinked: list[str] = []
        for field_name in found:
            for name in getattr(proposal, field_name):
                bare = normalise(re.sub(r"\s*\(\d{4}\)\s*$", "", name))
                if not bare or f" {bare} " not in said:
                    continue
                mention = self._grounded(name, field_name)
                if mention is None:
                    if field_name in TITLE_FIELDS:
                        unlinked.append(name)
                    continue
                found[field_name].append(mention.item_id if mention.is_item else (mention.field, mention.value))
        return PreferenceDelta(
            liked_items=tuple(found["liked_titles"]),
            disliked_items=tuple(found["disliked_titles"]),
            seen_items=tuple(found["seen_titles"]),
            liked_attributes=tuple(found["liked_people"]),
            disliked_attributes=tuple(found["disliked_people"]),
            include=tuple(found["wanted_genres"]),
            exclude=tuple(found["unwanted_genres"]),
            unlinked=tuple(unlinked),
        )

    def _grounded(self, name: str, field_name: str) -> Mention | None:
        """The linker's reading of the whole name, of the kind the field asks for.

        A title is tried as written, then quoted, which lets the linker accept
        a lowercase single word ('heat') that it would not read as a title in
        free text.
        """
        mentions, _ = self.linker.link(name)
        if field_name in TITLE_FIELDS and not any(mention.is_item for mention in mentions):
            mentions, _ = self.linker.link(f'"{name}"')
        for mention in mentions:
            if field_name in TITLE_FIELDS and mention.is_item:
                return mention
            if field_name in GENRE_FIELDS and mention.field == "genres":
                return mention
            if (
                field_name in PERSON_FIELDS
                and not mention.is_item
                and mention.field in ("cast", "directors", "writers", "composers")
            ):
                return mention
        return None
