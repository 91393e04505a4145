"""Answers to questions about a film ("what is it about?", "who is in it?"), from catalogue facts only.

The catalogue holds genres, tags, people and years, not plot summaries, so
an answer about the plot says so and gives what the catalogue does hold;
nothing here can state a fact the item does not carry.
"""

from __future__ import annotations

from assistant.explain.templates import join_names
from assistant.understanding.acts import AboutTopic
from kg.catalogue import Item

NAMED = 5
TAGS = 4


def about_text(item: Item, topic: AboutTopic) -> str:
    title = item.display_title
    directors, cast = item.values("directors"), item.values("cast")
    if topic == "directors":
        return (
            f"{title} was directed by {join_names(list(directors))}."
            if directors
            else f"The catalogue names no director for {title}."
        )
    if topic == "people":
        if not cast:
            return f"The catalogue names no cast for {title}."
        more = f" and {len(cast) - NAMED} more" if len(cast) > NAMED else ""
        return f"{title} stars {join_names(list(cast[:NAMED]))}{more}."
    if topic == "year":
        return f"{item.title} came out in {item.year}." if item.year else f"The catalogue has no year for {title}."
    return _what_it_is(item)


def _what_it_is(item: Item) -> str:
    """The catalogue's facts about a film, with the plain statement that it holds no plot summary."""
    facts = []
    if genres := item.values("genres"):
        facts.append(f"it is {join_names(list(genres))}")
    if tags := item.values("tags"):
        facts.append(f"people tagged it {join_names(list(tags[:TAGS]))}")
    if directors := item.values("directors"):
        facts.append(f"it was directed by {join_names(list(directors))}")
    if cast := item.values("cast"):
        facts.append(f"it stars {join_names(list(cast[:3]))}")
    held = f" What it does hold: {'; '.join(facts)}." if facts else ""
    return f"I have no plot summary of {item.display_title} in the catalogue.{held}"


def which_film_text() -> str:
    """The answer when a question points at no film the conversation has named."""
    return 'Which film do you mean? Name it, or after a list say "the first one", "the second one" and so on.'
