"""The grounding rule for everything the chat model writes outside a justification.

An introduction, an answer to small talk or a goodbye may use the person's
own words, their profile, the facts of this turn's suggestions and neutral
phrasing (:mod:`assistant.explain.words`), nothing else: every title, person,
number and content word is checked against those.  It must also speak to the
person as "you", never claim a taste as the assistant's own, never break one
of their limits ("a horror film" when horror is ruled out) and never offer a
film they already liked as a suggestion.  A sentence that fails is not shown;
the writer asks once more, then uses a template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.explain.faithfulness import NUMBER, RECOMMENDING, Verdict, title_forms
from assistant.explain.words import NEGATIONS, REPLY_PHRASING, THIRD_PERSON
from assistant.types import ItemCard
from assistant.understanding.linking import GENRE_SYNONYMS, EntityLinker, normalise

GENRE_FORMS = {normalise(word): normalise(genre) for word, genre in GENRE_SYNONYMS.items()}
"""Every word that names a genre, normalised, with the genre it names: built once, read per sentence."""
OWN_TASTE = re.compile(
    r" (?:i|we)(?: ve| d| have| would)?(?: really| also| just| always| absolutely)?"
    r" (?:love|loved|like|liked|enjoy|enjoyed|adore|adored|hate|hated|dislike|disliked)(?! to )"
    r"| i (?:m|am) (?:a |such a )?(?:big |huge )?fan"
    r"| (?:my|our) favou?rites? "
)
"""The model speaking of a taste as its own ("I love Heat"): it echoes the person's words in the first person,
which states something false about the assistant and hides that the taste is the person's."""
PROMPT_ECHOES = ("introduc", "instruction", "the list", "break down", "rules", "nothing yet", "limits:")


@dataclass(frozen=True)
class ReplyContext:
    """What one reply text may draw on."""

    message: str
    liked_titles: tuple[str, ...] = ()
    profile_values: tuple[str, ...] = ()
    """Everything else the profile holds, by name: liked and disliked attributes, the limits."""
    ruled_out: tuple[str, ...] = ()
    """Values the person excluded or disliked: a reply may name them only to keep them out."""
    suggestions: tuple[ItemCard, ...] = ()

    def names(self) -> set[str]:
        cards = [
            value
            for card in self.suggestions
            for value in (*title_forms(card.title), *card.genres, *card.directors, *card.cast)
        ]
        liked = [form for title in self.liked_titles for form in title_forms(title)]
        return {normalise(name) for name in (*cards, *liked, *self.profile_values) if name}

    def numbers(self) -> set[str]:
        texts = [self.message, *self.liked_titles, *self.profile_values, *(card.title for card in self.suggestions)]
        found = {number for text in texts for number in NUMBER.findall(text)}
        return found | {str(len(self.suggestions))}


class ReplyTextChecker:
    """Checks one sentence of a reply text against its :class:`ReplyContext`."""

    def __init__(self, linker: EntityLinker) -> None:
        self.linker = linker

    def check(self, sentence: str, context: ReplyContext) -> Verdict:
        lowered = f" {normalise(sentence)} "
        names = context.names()
        numbers = context.numbers()
        message_words = set(normalise(context.message).split())
        problems: list[str] = []
        problems += [f"says {word!r} about the person" for word in THIRD_PERSON if f" {word} " in lowered]
        if OWN_TASTE.search(lowered):
            problems.append("speaks of a taste as its own")
        problems += [f"echoes the prompt ({echo!r})" for echo in PROMPT_ECHOES if echo in sentence.casefold()]
        problems += [f"number {n} is not in the turn" for n in NUMBER.findall(sentence) if n not in numbers]
        problems += self._names(sentence, names, normalise(context.message))
        problems += self._broken_limits(lowered, context.ruled_out)
        problems += self._liked_as_suggestion(sentence, lowered, context.liked_titles)
        vocabulary = message_words | {word for name in names for word in name.split()} | REPLY_PHRASING
        added = sorted({word for word in lowered.split() if word not in vocabulary and not word.isdigit()})
        if added:
            problems.append(f"adds words the turn does not support: {', '.join(added[:6])}")
        return Verdict(faithful=not problems, problems=tuple(dict.fromkeys(problems)))

    def _names(self, sentence: str, names: set[str], message: str) -> list[str]:
        """Titles and people the sentence names must be the person's, the profile's or this turn's."""
        mentions, _ = self.linker.link(sentence)
        problems = []
        for mention in mentions:
            surface = normalise(mention.surface)
            if surface in names or f" {surface} " in f" {message} ":
                continue
            if mention.item_id is not None and len(surface.split()) > 1:
                title = self.linker.catalogue.items[mention.item_id].display_title
                problems.append(f"names the film {title!r}, which is not in this turn")
            elif mention.field in self.linker.person_fields:
                problems.append(f"names {mention.value!r}, who is not in this turn")
        return problems

    @staticmethod
    def _broken_limits(lowered: str, ruled_out: Sequence[str]) -> list[str]:
        """A ruled-out value named without a negation just before it contradicts the person's limit."""
        problems = []
        for value in {normalise(value) for value in ruled_out}:
            forms = {value} | {word for word, genre in GENRE_FORMS.items() if genre == value}
            for form in forms:
                for match in re.finditer(rf" {re.escape(form)} ", lowered):
                    before = lowered[: match.start()].split()[-3:]
                    if not NEGATIONS & set(before):
                        problems.append(f"contradicts the limit on {value!r}")
        return list(dict.fromkeys(problems))

    @staticmethod
    def _liked_as_suggestion(sentence: str, lowered: str, liked_titles: Sequence[str]) -> list[str]:
        """'You might enjoy Heat', or 'Heat' as an item of a numbered list, when the person already liked Heat."""
        problems = []
        for title in liked_titles:
            forms = title_forms(title)
            listed = any(re.search(rf"(?:^|\s)\d\.\s*{re.escape(form)}", sentence) for form in forms)
            for form in {normalise(form) for form in forms}:
                if listed or re.search(rf"\b{RECOMMENDING} {re.escape(form)}\b", lowered):
                    problems.append(f"offers {title!r}, which you already liked, as a suggestion")
        return list(dict.fromkeys(problems))
