"""The faithfulness checker: does a sentence state only what the evidence holds?

A justification may name the recommended item, the user's liked items and
attributes that the evidence connects, and the item's own card facts (genres,
directors, cast); it may cite only the numbers the evidence holds (co-like and
co-mention counts, each of the film it was counted from; ratings, years); and
a person it names must be credited with the role the catalogue gives them
("directed by X" only if X directed it).  Anything
else — another title, another person, a new number — fails the check, and the
caller falls back to the template, which is faithful by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.explain.templates import shared_attribute_paths
from assistant.types import ItemCard
from assistant.understanding.linking import GENRE_SYNONYMS, EntityLinker, normalise
from assistant.understanding.words import FUNCTION_WORDS
from kg.schema import CatalogueSchema
from retrieval.evidence import Evidence

ROLE_CUES: dict[str, tuple[str, ...]] = {
    "directors": ("direct", "filmmaker"),
    "cast": ("star", "act", "cast", "performance", "lead"),
    "writers": ("writ", "wrote", "screenplay", "script", "pen"),
    "composers": ("music", "score", "compos", "soundtrack"),
}
ROLE_WINDOW = 40
CAPITALISED_SPAN = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|the|and|de|la|von|van|[A-Z][\w'’.-]*)\b)*")
RECOMMENDING = r"(?:you (?:may|might|will|ll|would|should|could) (?:enjoy|like|love)|try|watch|check out)"
RATING_SCALE = "5"  # ratings are stated "out of 5"
NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
COUNT_CLAIM = re.compile(r"\b(\d+) (?:people|person|viewers|users) (?:who|that) (?:also )?(?:liked|loved|enjoyed) ")
CONVERSATION_WORDS = frozenset(("conversation", "conversations", "dialogue", "dialogues", "chats", "discussions"))
"""Words that say a count is of conversations; allowed only when the evidence holds a co-mention count."""
DISCOVERY_WORDS = frozenset(
    "less lesser known little obvious mainstream hidden gem gems variety brought against median score alone "
    "would have listed rarely shown underrated overlooked obscure discovery only fewer few".split()
)
"""Words that say re-ranking brought the item in; allowed only when the evidence holds that fact."""
DISCOVERY_CLAIM = re.compile(
    r"\b(?:less|lesser|little|not well) known\b|\bhidden gems?\b|\bunder the radar\b|\bunderrated\b|\boverlooked\b"
    r"|\bobscure\b|\bless (?:obvious|mainstream|popular)\b|\bfor variety\b|\brarely shown\b"
)
"""A claim that the item is less known, or was brought in for variety, said of the normalised sentence."""
PHRASING_WORDS = FUNCTION_WORDS | frozenset(
    [
        "about",
        "almost",
        "alongside",
        "among",
        "another",
        "appreciate",
        "appreciated",
        "around",
        "as",
        "ask",
        "asked",
        "audience",
        "average",
        "because",
        "being",
        "both",
        "catalogue",
        "choice",
        "close",
        "closest",
        "common",
        "composer",
        "connected",
        "connection",
        "could",
        "d",
        "description",
        "directed",
        "director",
        "directors",
        "each",
        "either",
        "enjoy",
        "enjoyed",
        "enjoying",
        "every",
        "fan",
        "fans",
        "favorite",
        "favourite",
        "five",
        "folks",
        "fond",
        "genre",
        "genres",
        "if",
        "likes",
        "link",
        "linked",
        "ll",
        "loves",
        "many",
        "match",
        "matches",
        "matching",
        "may",
        "might",
        "much",
        "music",
        "nearly",
        "ones",
        "other",
        "others",
        "people",
        "person",
        "pick",
        "picks",
        "picture",
        "produced",
        "producer",
        "rate",
        "rated",
        "rating",
        "ratings",
        "re",
        "recommend",
        "recommended",
        "release",
        "released",
        "request",
        "requested",
        "roughly",
        "s",
        "share",
        "shared",
        "shares",
        "sharing",
        "similar",
        "since",
        "star",
        "starred",
        "starring",
        "stars",
        "such",
        "suggestion",
        "t",
        "tag",
        "tagged",
        "tags",
        "their",
        "title",
        "titles",
        "together",
        "ve",
        "viewers",
        "want",
        "wanted",
        "wanting",
        "well",
        "whom",
        "whose",
        "would",
        "writer",
        "writers",
        "written",
        "year",
        "years",
    ]
)
FUNCTION_WORDS = frozenset(
    [
        "i",
        "it",
        "its",
        "if",
        "you",
        "your",
        "this",
        "that",
        "these",
        "those",
        "the",
        "a",
        "an",
        "and",
        "but",
        "both",
        "fans",
        "since",
        "because",
        "like",
        "as",
        "with",
        "also",
        "so",
        "here",
        "there",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "for",
        "from",
        "in",
        "on",
        "at",
        "by",
        "of",
        "to",
        "or",
        "its",
        "it's",
        "you'll",
        "you're",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "then",
        "than",
        "just",
        "plus",
        "more",
        "most",
        "many",
        "much",
        "some",
        "any",
        "all",
        "each",
        "every",
        "another",
        "other",
        "such",
        "same",
        "yes",
        "no",
        "not",
        "only",
        "very",
        "really",
        "even",
        "still",
        "yet",
        "again",
        "ever",
        "never",
        "sure",
        "perfect",
        "great",
        "good",
        "fantastic",
        "amazing",
        "wonderful",
        "enjoy",
        "enjoyed",
        "love",
        "loved",
        "liked",
        "given",
        "based",
        "recommended",
        "recommend",
        "watch",
        "viewers",
        "people",
        "fans",
        "audience",
    ]
)


@dataclass(frozen=True)
class Verdict:
    faithful: bool
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AllowedFacts:
    """Everything a justification of one item may mention."""

    names: frozenset[str]
    vocabulary: frozenset[str]
    titles: frozenset[str]
    numbers: frozenset[str]
    roles: dict[str, frozenset[str]]


ALSO_KNOWN_AS = re.compile(r"^\s*a\.?k\.?a\.?\s+", re.IGNORECASE)
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+(?=\S)", re.IGNORECASE)


def title_forms(title: str) -> set[str]:
    """A display title, without its year, without alternative titles, and each alternative title alone.

    'Alien (1979)' is also 'Alien'; 'Dumb & Dumber (Dumb and Dumber) (1994)' is
    also 'Dumb & Dumber' and 'Dumb and Dumber', the ways people write it;
    'Ghostbusters (a.k.a. Ghost Busters) (1984)' is also 'Ghost Busters'; each form is
    also itself without a leading article, as the linker finds 'Good, the Bad and the Ugly'.
    """
    without_year = re.sub(r"\s*\(\d{4}\)$", "", title)
    alternatives = [ALSO_KNOWN_AS.sub("", alternative) for alternative in re.findall(r"\(([^()]*)\)", without_year)]
    forms = (title, without_year, re.sub(r"\s*\([^)]*\)", "", without_year), *alternatives)
    return {bare for form in forms if form.strip() for bare in (form, LEADING_ARTICLE.sub("", form))}


def allowed_facts(
    evidence: Evidence, card: ItemCard, schema: CatalogueSchema, statements: Iterable[str] = ()
) -> AllowedFacts:
    titles = {card.title}
    titles.update(node.name for path in evidence.paths for node in path.nodes if node.kind == "item")
    others = set(card.genres) | set(card.directors) | set(card.cast)
    others.update(node.name for path in evidence.paths for node in path.nodes if node.kind != "item")
    roles: dict[str, set[str]] = {
        "directors": set(card.directors),
        "cast": set(card.cast),
        "writers": set(),
        "composers": set(),
    }
    for relation, path in shared_attribute_paths(evidence.paths, schema):
        if relation.field in roles:
            roles[relation.field].add(path.nodes[1].name)
    numbers: set[str] = {str(card.year)} if card.year is not None else set()
    if evidence.collaborative is not None:
        signal = evidence.collaborative
        titles.add(signal.source_title)
        numbers.add(str(signal.co_likers))
        if signal.mean_rating is not None:
            numbers.add(RATING_SCALE)
            numbers.add(f"{signal.mean_rating:.1f}")
            numbers.add(f"{signal.mean_rating:g}")
    if evidence.conversations is not None:
        titles.add(evidence.conversations.source_title)
        numbers.add(str(evidence.conversations.people))
    for match in evidence.attribute_matches:
        others.add(match.value)
        if match.field in roles:
            roles[match.field].add(match.value)
    if evidence.discovery is not None:
        numbers.update((str(evidence.discovery.likes), str(evidence.discovery.typical_likes)))
    for statement in evidence.constraints_met:
        numbers.update(NUMBER.findall(statement))
    title_variants = {form for title in titles for form in title_forms(title)}
    names = title_variants | others
    for name in names:
        numbers.update(NUMBER.findall(name))
    said = [
        *(CONVERSATION_WORDS if evidence.conversations is not None else ()),
        *(DISCOVERY_WORDS if evidence.discovery is not None else ()),
    ]
    text = " ".join([*names, *statements, *said, *(relation.clause for relation in schema.relations)])
    return AllowedFacts(
        names=frozenset(normalise(name) for name in names if name),
        vocabulary=frozenset(normalise(text).split()),
        titles=frozenset(normalise(form) for form in title_variants if form),
        numbers=frozenset(numbers),
        roles={key: frozenset(normalise(v) for v in values) for key, values in roles.items()},
    )


@dataclass(frozen=True)
class CountedSource:
    """A count of people the evidence holds, of which kind, and the film it was measured from."""

    kind: str
    title: str
    count: str

    def opens(self, text: str) -> bool:
        """Whether normalised ``text`` starts with this source's title in one of its forms."""
        return any(re.match(rf"{re.escape(normalise(form))}\b", text) for form in title_forms(self.title))


def _counted_sources(evidence: Evidence) -> list[CountedSource]:
    sources = []
    if evidence.collaborative is not None:
        signal = evidence.collaborative
        sources.append(CountedSource("collaborative", signal.source_title, str(signal.co_likers)))
    if evidence.conversations is not None:
        conversations = evidence.conversations
        sources.append(CountedSource("conversations", conversations.source_title, str(conversations.people)))
    return sources


def _of_conversations(clause: str, position: int) -> bool:
    """Whether the count at ``position`` of a normalised clause is said of conversations ("recommended to 14")."""
    return bool(CONVERSATION_WORDS & set(clause.split())) or clause[:position].endswith("to ")


def _count_problems(count: str, title: str, rest: str, sources: list[CountedSource]) -> list[str]:
    """What is wrong with "``count`` people who liked ``title``", ``rest`` being the clause from the title on."""
    measured = [source for source in sources if source.opens(rest)]
    if not measured:
        names = " or ".join(repr(source.title) for source in sources) or "no film"
        return [f"counts the people who liked {title!r}, but the count is of those who liked {names}"]
    if count not in {source.count for source in measured}:
        return [f"says {count} people who liked {title!r}, which the evidence does not count"]
    return []


class FaithfulnessChecker:
    """Checks sentences against the evidence of the item they justify."""

    def __init__(self, linker: EntityLinker, schema: CatalogueSchema) -> None:
        self.linker = linker
        self.schema = schema

    def check(self, sentence: str, evidence: Evidence, card: ItemCard, statements: Iterable[str] = ()) -> Verdict:
        """``statements``: the fact sentences the writer was given, whose wording may be reused."""
        facts = allowed_facts(evidence, card, self.schema, statements)
        problems: list[str] = []
        problems += [f"number {n} is not in the evidence" for n in NUMBER.findall(sentence) if n not in facts.numbers]
        mentions, _ = self.linker.link(sentence)
        for mention in mentions:
            surface = normalise(mention.surface)
            if mention.item_id is not None and surface not in facts.names:
                title = self.linker.catalogue.items[mention.item_id].display_title
                if normalise(title) not in facts.names and len(surface.split()) > 1:
                    problems.append(f"names the title {title!r}, which is not in the evidence")
            elif mention.field in ROLE_CUES and normalise(mention.value or "") not in facts.names:
                problems.append(f"names {mention.value!r}, who is not in the evidence")
        problems += self._unknown_names(sentence, facts)
        problems += self._wrong_roles(sentence, facts)
        problems += self._titles_in_roles(sentence, facts)
        problems += self._wrong_genres(sentence, card)
        problems += self._unsupported_words(sentence, facts)
        problems += self._recommends_another_title(sentence, facts, card)
        problems += self._wrong_count_source(sentence, facts, evidence)
        problems += self._unearned_discovery(sentence, evidence)
        return Verdict(faithful=not problems, problems=tuple(dict.fromkeys(problems)))

    def states_evidence(self, sentence: str, evidence: Evidence, card: ItemCard) -> bool:
        """Whether the sentence names something the evidence holds beyond the item's own title and year.

        A faithful sentence can still be empty ("You may enjoy Heat."); only one
        that carries a fact is worth showing instead of the template.
        """
        facts = allowed_facts(evidence, card, self.schema)
        own = {normalise(form) for form in title_forms(card.title)}
        lowered = f" {normalise(sentence)} "
        if any(f" {name} " in lowered for name in facts.names - own if name):
            return True
        year = str(card.year) if card.year is not None else None
        return any(number in facts.numbers and number != year for number in NUMBER.findall(sentence))

    @staticmethod
    def _unknown_names(sentence: str, facts: AllowedFacts) -> list[str]:
        """Capitalised spans that are neither evidence names nor ordinary words."""
        problems = []
        for match in CAPITALISED_SPAN.finditer(sentence):
            span = match.group().rstrip(".'’")
            words = [w for w in normalise(span).split() if w not in FUNCTION_WORDS]
            if not words:
                continue
            candidate = normalise(span)
            if candidate in facts.names or any(
                candidate in name or name in candidate for name in facts.names if len(name) > 3
            ):
                continue
            if all(
                word in FUNCTION_WORDS or any(word in name.split() for name in facts.names)
                for word in normalise(span).split()
            ):
                continue
            problems.append(f"mentions {span!r}, which is not in the evidence")
        return problems

    @staticmethod
    def _recommends_another_title(sentence: str, facts: AllowedFacts, card: ItemCard) -> list[str]:
        """'You may enjoy Blade Runner': the sentence recommends a liked item instead of this one."""
        lowered = normalise(sentence)
        own = {normalise(form) for form in title_forms(card.title)}
        return [
            f"recommends {title!r} instead of {card.title!r}"
            for title in facts.titles - own
            if not any(title in mine for mine in own) and re.search(rf"\b{RECOMMENDING} {re.escape(title)}\b", lowered)
        ]

    @staticmethod
    def _unsupported_words(sentence: str, facts: AllowedFacts) -> list[str]:
        """Content words that neither the evidence nor plain recommendation phrasing contains.

        This is what catches claims with no name or number in them ("critically
        acclaimed", "a man who can fly"): a justification may rephrase the
        facts, not add to them.
        """
        added = [
            word
            for word in normalise(sentence).split()
            if word not in facts.vocabulary and word not in PHRASING_WORDS and not word.isdigit()
        ]
        if not added:
            return []
        return [f"adds words the evidence does not support: {', '.join(sorted(set(added))[:6])}"]

    @staticmethod
    def _wrong_count_source(sentence: str, facts: AllowedFacts, evidence: Evidence) -> list[str]:
        """'28 people who liked X': X must be the title that count was measured from, and the count its own.

        Every name and number of a swapped sentence is in the evidence, so only
        the relation between them shows that it states something else.  A count
        said of conversations ("recommended in conversations to 14 people who
        liked X") is the co-mention count; any other, the co-like count.
        """
        counted = _counted_sources(evidence)
        problems = []
        for clause in re.split(r"[,;]", sentence):
            lowered = normalise(clause)
            for match in COUNT_CLAIM.finditer(lowered):
                rest = lowered[match.end() :]
                named = [title for title in facts.titles if re.match(rf"{re.escape(title)}\b", rest)]
                if named:
                    kind = "conversations" if _of_conversations(lowered, match.start()) else "collaborative"
                    sources = [source for source in counted if source.kind == kind]
                    problems += _count_problems(match.group(1), max(named, key=len), rest, sources)
        return problems

    @staticmethod
    def _unearned_discovery(sentence: str, evidence: Evidence) -> list[str]:
        """'A hidden gem': only a pick that re-ranking brought in, with fewer likes than the score's own, is one."""
        if evidence.discovery is None and DISCOVERY_CLAIM.search(normalise(sentence)):
            return ["calls it less known or brought in for variety, which the evidence does not hold"]
        return []

    @staticmethod
    def _titles_in_roles(sentence: str, facts: AllowedFacts) -> list[str]:
        """'stars Blade Runner': a title put where a person belongs."""
        lowered = normalise(sentence)
        cues = r"(?:stars|starring|starred|directed by|written by|music by|scored by|featuring|with)"
        return [
            f"credits the title {title!r} with a person's role"
            for title in facts.titles
            if re.search(rf"\b{cues} {re.escape(title)}\b", lowered)
        ]

    @staticmethod
    def _wrong_genres(sentence: str, card: ItemCard) -> list[str]:
        """A genre word ('action', 'comedy') must be one of the item's genres."""
        own = {normalise(genre) for genre in card.genres}
        words = normalise(sentence)
        problems = []
        for word, genre in GENRE_SYNONYMS.items():
            if len(word) > 3 and re.search(rf"\b{re.escape(word)}\b", words) and normalise(genre) not in own:
                problems.append(f"calls it genre {word!r}, which the catalogue does not")
        return problems

    @staticmethod
    def _wrong_roles(sentence: str, facts: AllowedFacts) -> list[str]:
        """'directed by X' must have X among the item's directors, and so on for each role.

        The role is read from the nearest cue before the name within its
        clause ("directed by", "starring", "music by").
        """
        lowered = normalise(sentence.replace(",", " , ").replace(";", " ; "))
        people = set().union(*facts.roles.values())
        problems = []
        for person in people:
            position = lowered.find(person)
            if position < 0:
                continue
            clause = re.split(r"[,;]", lowered[max(0, position - ROLE_WINDOW) : position])[-1]
            cue_positions = {
                role: max((clause.rfind(cue) for cue in cues), default=-1) for role, cues in ROLE_CUES.items()
            }
            role, where = max(cue_positions.items(), key=lambda entry: entry[1])
            if where >= 0 and person not in facts.roles[role]:
                problems.append(f"credits {person!r} with a role ({role}) the catalogue does not give them")
        return problems
