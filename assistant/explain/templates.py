"""Justifications built only from evidence.

Each sentence restates facts that the evidence holds — a shared director from a
graph path, a co-like count from the interaction log, a co-mention count from
real conversations, an attribute the user asked for — in a fixed, fluent form.  Nothing here can introduce a name or a
number that the evidence does not contain, which is what makes the template
the safe fallback for any generated wording.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from assistant.types import ItemCard
from assistant.understanding.linking import normalise
from kg.schema import AttributeRelation, CatalogueSchema
from retrieval.evidence import ConversationEvidence, DiscoveryEvidence, Evidence, PathEvidence

MAX_FACTS = 2
CARD_FACT_CAST = 2


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def shared_attribute_paths(
    paths: tuple[PathEvidence, ...], schema: CatalogueSchema
) -> Iterator[tuple[AttributeRelation, PathEvidence]]:
    """Two-hop paths (liked item, attribute, this item) with the schema relation they run through."""
    for path in paths:
        if len(path.nodes) != 3:
            continue
        try:
            yield schema.relation_by_type(path.relations[-1]), path
        except KeyError:
            continue


def _path_facts(paths: tuple[PathEvidence, ...], schema: CatalogueSchema) -> list[str]:
    """'like Blade Runner (1982), it was directed by Ridley Scott', strongest relations first.

    At most ``MAX_FACTS`` attribute values are used, grouped by the liked item
    they connect to; weak links (a shared genre) are used only when nothing
    stronger connects the items.
    """
    links = [
        (relation.weight, path.nodes[0].name, relation.clause, path.nodes[1].name)
        for relation, path in shared_attribute_paths(paths, schema)
    ]
    links.sort(key=lambda link: -link[0])
    chosen: list[tuple[float, str, str, str]] = []
    for link in links:
        # "tagged sci-fi and is also Sci-Fi" says one thing twice: a value counts once, at its strongest.
        if len(chosen) < MAX_FACTS and all(normalise(link[3]) != normalise(other[3]) for other in chosen):
            chosen.append(link)
    by_source: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for _, source_name, clause, value in chosen:
        by_source[source_name][clause].append(value)
    return [
        f"like {source_name}, it {' and '.join(f'{clause} {join_names(values)}' for clause, values in clauses.items())}"
        for source_name, clauses in by_source.items()
    ]


def people(count: int) -> str:
    """'1 person', '14 people'."""
    return f"{count} {'person' if count == 1 else 'people'}"


def conversation_fact(evidence: ConversationEvidence) -> str:
    """'recommended in conversations to 14 people who also liked Heat (1995)': the co-mention count as said."""
    return f"recommended in conversations to {people(evidence.people)} who also liked {evidence.source_title}"


def discovery_fact(evidence: DiscoveryEvidence) -> str:
    """'a less-known pick, brought in for variety: 9 people liked it, against a median of 180 for the films that
    score alone would have listed': what re-ranking did, with the counts that make "less-known" true."""
    return (
        f"a less-known pick, brought in for variety: {people(evidence.likes)} liked it, against a median of "
        f"{evidence.typical_likes} for the films that score alone would have listed"
    )


def count_facts(evidence: Evidence) -> list[str]:
    """The people counts of the evidence as sentences about "it": co-likes, then conversation co-mentions."""
    facts = []
    if evidence.collaborative is not None:
        signal = evidence.collaborative
        rating = f", rating it {signal.mean_rating:.1f} on average" if signal.mean_rating is not None else ""
        facts.append(f"{people(signal.co_likers)} who liked {signal.source_title} also liked it{rating}.")
    if evidence.conversations is not None:
        said = conversation_fact(evidence.conversations)
        facts.append(f"{said[0].upper()}{said[1:]}.")
    return facts


def template_justification(evidence: Evidence, schema: CatalogueSchema, item_title: str) -> str:
    """One or two sentences built from the strongest pieces of evidence.

    A pick that re-ranking brought in says so first, with its counts; the strongest other fact follows.
    """
    sentences: list[str] = []
    budget = MAX_FACTS - (evidence.discovery is not None)
    facts = _path_facts(evidence.paths, schema)[:MAX_FACTS]
    if facts:
        sentences.append(f"{facts[0][0].upper()}{facts[0][1:]}" + (f"; {facts[1]}" if len(facts) > 1 else "") + ".")
    sentences += count_facts(evidence)[: max(budget - len(sentences), 0)]
    if evidence.attribute_matches and len(sentences) < budget:
        values = [match.value for match in evidence.attribute_matches][:3]
        sentences.append(f"It matches what you asked for: {join_names(values)}.")
    if not sentences and evidence.vector_similarity is not None:
        sentences.append("Its description is among the closest matches to your request in the catalogue.")
    if evidence.discovery is not None:
        said = discovery_fact(evidence.discovery)
        sentences.insert(0, f"{said[0].upper()}{said[1:]}.")
    if not sentences:
        sentences.append(f"{item_title} is among the most liked titles in the catalogue that fit your request.")
    return " ".join(sentences)


def card_fact(card: ItemCard) -> str | None:
    """'Heat (1995) is Action, Crime and Thriller, directed by Michael Mann, starring Al Pacino and Robert De Niro.'"""
    parts = [f"is {join_names(list(card.genres))}"] if card.genres else []
    if card.directors:
        parts.append(f"directed by {join_names(list(card.directors))}")
    if card.cast:
        parts.append(f"starring {join_names(list(card.cast[:CARD_FACT_CAST]))}")
    return f"{card.title} {', '.join(parts)}." if parts else None


def evidence_facts(evidence: Evidence, schema: CatalogueSchema, card: ItemCard) -> list[str]:
    """The evidence as short statements to the user: the only material a generated justification may use.

    When no liked item connects to the suggestion (it came from the request's
    wording or its genres alone), the item's own catalogue facts are added so
    that the sentence can say what the item is rather than only that it matched.
    """
    item_title = card.title
    facts: list[str] = []
    for relation, path in shared_attribute_paths(evidence.paths, schema):
        facts.append(f"You liked {path.nodes[0].name}; {item_title} {relation.clause} {path.nodes[1].name} as well.")
    if evidence.collaborative is not None:
        signal = evidence.collaborative
        rating = f", rating it {signal.mean_rating:.1f} out of 5 on average" if signal.mean_rating is not None else ""
        facts.append(f"{people(signal.co_likers)} who liked {signal.source_title} also liked {item_title}{rating}.")
    if evidence.conversations is not None:
        facts.append(f"{item_title} was {conversation_fact(evidence.conversations)}.")
    thin = not facts
    if evidence.attribute_matches:
        values = ", ".join(match.value for match in evidence.attribute_matches)
        facts.append(f"{item_title} has what you asked for: {values}.")
    if evidence.discovery is not None:
        facts.append(f"{item_title} is {discovery_fact(evidence.discovery)}.")
    if thin and (described := card_fact(card)) is not None:
        facts.append(described)
    if not facts:
        facts.append(f"The description of {item_title} is among the closest matches to your request.")
    return facts
