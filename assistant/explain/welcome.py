"""What a returning person sees first: one line of what is stored about them, the chat so far and the last list.

The line is built from the stored profile alone, by rule, never by the chat
model: every title is the catalogue's, every limit and mood is one the
person set, so it states no fact that is not in the profile.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation
from assistant.understanding.mood_words import mood_label
from kg.catalogue import Catalogue

TITLES_NAMED = 3
"""Titles named per list before "and N more", so the greeting stays one line."""
HISTORY_SHOWN = 20
"""Utterances of the conversation shown again on return."""


class Welcome(BaseModel):
    """A conversation as it is resumed; ``greeting`` None means nothing is stored, a first visit."""

    model_config = ConfigDict(frozen=True)

    greeting: str | None
    history: tuple[tuple[str, str], ...] = ()
    recommendations: tuple[Recommendation, ...] = ()


def greeting(profile: UserProfile, catalogue: Catalogue, talked_before: bool) -> str | None:
    """'Welcome back: you liked Heat (1995) and Collateral (2004); you asked for nothing before 1990'."""
    facts = known_facts(profile, catalogue)
    if facts:
        return "Welcome back: " + "; ".join(facts) + "."
    return "Welcome back. You have not told me what you like yet." if talked_before else None


def known_facts(profile: UserProfile, catalogue: Catalogue) -> list[str]:
    """One clause per kind of thing stored, in the order the profile panel lists them."""

    def titles(item_ids: Sequence[str]) -> str:
        return _listed([catalogue.items[i].display_title if i in catalogue.items else i for i in item_ids])

    facts = []
    for item_ids, verb in ((profile.liked, "you liked"), (profile.disliked, "you did not like")):
        if item_ids:
            facts.append(f"{verb} {titles(item_ids)}")
    if profile.seen:
        facts.append(f"you have seen {titles(profile.seen)}")
    for mapping, verb in ((profile.liked_attributes, "you like"), (profile.disliked_attributes, "you do not like")):
        values = [f"{value} ({field})" for field, found in mapping.items() for value in found]
        if values:
            facts.append(f"{verb} {_listed(values)}")
    asked = _limits(profile)
    if asked:
        facts.append(f"you asked for {_listed(asked, everything=True)}")
    if profile.moods:
        facts.append(f"you wanted it {_listed([mood_label(d, m) for d, m in profile.moods], everything=True)}")
    if profile.unlinked_mentions:
        facts.append(f"you mentioned {_listed(profile.unlinked_mentions)}, which I could not find in the catalogue")
    return facts


def _limits(profile: UserProfile) -> list[str]:
    constraints = profile.constraints
    limits = []
    if constraints.year_min is not None:
        limits.append(f"nothing before {constraints.year_min}")
    if constraints.year_max is not None:
        limits.append(f"nothing after {constraints.year_max}")
    limits += [f"only {_listed(list(values), 'or', everything=True)}" for values in constraints.include.values()]
    limits += [f"no {_listed(list(values), 'or', everything=True)}" for values in constraints.exclude.values()]
    return limits


def _listed(values: Sequence[str], conjunction: str = "and", everything: bool = False) -> str:
    """'A', 'A and B', 'A, B and C', or 'A, B, C and 2 more' when a list of titles runs long."""
    shown = list(values) if everything or len(values) <= TITLES_NAMED + 1 else list(values[:TITLES_NAMED])
    rest = len(values) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {conjunction} {shown[-1]}"
