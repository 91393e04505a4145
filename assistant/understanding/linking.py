"""Entity linking: ground names in a message in the catalogue.

Deterministic and conservative: a span becomes an item only if its normalised
text is a catalogue title or a series name (assistant.understanding.series),
or, when quoted, a close fuzzy match of a title, or, unquoted, a title a slip
or two away that holds an odd word (assistant.understanding.typos); a short
title made of common words ("Up", "Her", "It") counts only when the user
capitalised or quoted it.  People, genres and other attribute values are
looked up the same way in the values of the fields the schema marks linkable
(tags are the moods and themes: "atmospheric", "heist", "time travel").  A
name that matches nothing is reported as unlinked text, never as an invented id.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, process

from assistant.understanding.english import english_words
from assistant.understanding.everyday_words import EVERYDAY_WORDS
from assistant.understanding.series import series_heads
from assistant.understanding.typos import MAX_SPAN_WORDS, PlainWords, TypoTitles
from assistant.understanding.words import FUNCTION_WORDS
from kg.catalogue import Catalogue, Item
from kg.titles import natural_title, normalise

MAX_TITLE_TOKENS = 12
FUZZY_MIN_SCORE = 90.0
TAGS_FIELD = "tags"
PERSON_FUZZY_MIN_SCORE = 90.0
PERSON_FUZZY_MARGIN = 3.0
"""A misspelt name links only when one person scores this much better than any other."""
WELL_KNOWN_SHARE = 0.15
"""A one-word slip ("intersteller") names a film from the catalogue's most popular 15%: one word is weak
evidence, and the films people misspell are the ones everybody talks about ("pickpocket" is a word)."""

COMMON_WORDS = FUNCTION_WORDS | frozenset(
    [
        "again",
        "am",
        "anything",
        "best",
        "big",
        "boy",
        "day",
        "did",
        "do",
        "does",
        "done",
        "down",
        "family",
        "first",
        "fun",
        "funny",
        "girl",
        "good",
        "great",
        "had",
        "has",
        "have",
        "hello",
        "hi",
        "home",
        "how",
        "kids",
        "last",
        "life",
        "little",
        "man",
        "me",
        "men",
        "my",
        "new",
        "next",
        "nice",
        "night",
        "no",
        "not",
        "now",
        "old",
        "only",
        "own",
        "please",
        "see",
        "seen",
        "something",
        "thank",
        "thanks",
        "time",
        "two",
        "under",
        "up",
        "very",
        "war",
        "watch",
        "watched",
        "when",
        "where",
        "why",
        "woman",
        "women",
        "young",
    ]
)

VERDICT_WORDS = frozenset(
    [
        "bad",
        "good",
        "great",
        "best",
        "poor",
        "stupid",
        "lack",
        "not",
        "needed",
        "stop",
        "awesome",
        "dumb",
        "smart",
        "hilarious",
        "ridiculous",
        "overrated",
        "underrated",
        "boring",
        "predictable",
        "masterpiece",
        "brilliant",
        "classic",
        "remake",
        "remade",
        "sequel",
        "cinematography",
        "beautiful",
        "clever",
        "interesting",
        "underestimated",
        "netflix",
        "imdb",
        "dvd",
        "seen",
        "oscar",
        "budget",
    ]
)
"""A tag with one of these words judges a film or notes a viewing ("bad acting", "not seen", "great soundtrack")."""
VAGUE_TAGS = frozenset(
    (
        "ending",
        "dialogue",
        "hope",
        "moving",
        "memory",
        "future",
        "long",
        "slow",
        "long shots",
        "quick cuts",
        "class",
        "tv",
        "writing",
        "union",
        "radio",
        "theater",
        "weird",
        "death",
    )
)
"""Tags whose words people mostly use in another sense ("I hope", "I'm moving", "on TV")."""


def is_mood_or_theme(tag: str) -> bool:
    """Whether a catalogue tag says what a film is like or about, and so may be linked in a message."""
    return tag not in VAGUE_TAGS and not VERDICT_WORDS.intersection(tag.split())


GENRE_SYNONYMS = {
    "sci fi": "Sci-Fi",
    "scifi": "Sci-Fi",
    "science fiction": "Sci-Fi",
    "romcom": "Romance",
    "rom com": "Romance",
    "romantic": "Romance",
    "animated": "Animation",
    "cartoon": "Animation",
    "cartoons": "Animation",
    "scary": "Horror",
    "horrors": "Horror",
    "comedies": "Comedy",
    "funny": "Comedy",
    "thrillers": "Thriller",
    "documentaries": "Documentary",
    "musicals": "Musical",
    "westerns": "Western",
    "dramas": "Drama",
    "action": "Action",
    "kids": "Children",
    "kiddie": "Children",
    "childrens": "Children",
    "children": "Children",
    "family": "Children",
    "noir": "Film-Noir",
    "film noir": "Film-Noir",
    "war": "War",
    "crime": "Crime",
    "mystery": "Mystery",
    "mysteries": "Mystery",
    "fantasy": "Fantasy",
    "adventure": "Adventure",
    "adventures": "Adventure",
    "romance": "Romance",
    "animation": "Animation",
    "horror": "Horror",
    "thriller": "Thriller",
    "comedy": "Comedy",
    "drama": "Drama",
    "documentary": "Documentary",
    "musical": "Musical",
    "western": "Western",
    "imax": "IMAX",
}


def title_keys(item: Item) -> set[str]:
    """The normalised forms a person might use for an item's title."""
    natural = natural_title(item.title)
    main = natural.partition(" (")[0]
    keys = {normalise(natural), normalise(main)}
    for alternative in re.findall(r" \((?:a\.k\.a\. |aka )?([^)]{3,})\)", natural):
        keys.add(normalise(natural_title(alternative)))
    keys |= {key.removeprefix("the ") for key in keys if key.startswith("the ")}
    return {key for key in keys if key}


@dataclass(frozen=True)
class Mention:
    """A span of the message grounded in the catalogue."""

    surface: str
    start: int
    end: int
    item_id: str | None = None
    field: str | None = None
    value: str | None = None

    @property
    def is_item(self) -> bool:
        return self.item_id is not None


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(message: str) -> list[_Token]:
    tokens: list[_Token] = []
    # Words are split at spaces and at an ellipsis ("disagree...Aliens"); a single dot stays ("L.A.", "Mr.").
    for match in re.finditer(r"[^\s.…](?:[^\s.…]|\.(?![.…]))*\.?", message):
        word = normalise(match.group())
        if word:
            for part in word.split():
                tokens.append(_Token(part, match.start(), match.end()))
    return tokens


def _inside_longer_name(span: list[_Token], message: str) -> bool:
    """One word followed by a capitalised word is part of a longer name ("Forest Whitaker", "Heat Miser").

    Not when a comma ends the word: "Castaway, Into the Wild" names two films.  (After a full
    stop the capital starts a sentence and says nothing: "LOL. Very different" stays unlinked.)
    """
    end = span[0].end
    return (
        len(span) == 1
        and message[end - 1] not in ",;:"
        and re.match(r"\s+(?!I\b)[A-Z]\w", message[end : end + 4]) is not None
    )


def _covers_whole_mentions(span: list[_Token], mentions: list[Mention]) -> bool:
    """A span that touches a mention holds all of it."""
    start, end = span[0].start, span[-1].end
    return all(m.end <= start or end <= m.start or (start <= m.start and m.end <= end) for m in mentions)


def _crosses_punctuation(span: list[_Token], message: str) -> bool:
    """A title does not run across a comma, a full stop or a bracket ("matirx, inception")."""
    return any(re.search(r"[,.;!?()\"“”]", message[left.end : right.start]) for left, right in pairwise(span))


class EntityLinker:
    """Finds catalogue items and attribute values named in free text."""

    def __init__(self, catalogue: Catalogue, popularity: Callable[[str], float], misspelt_titles: bool = True) -> None:
        """``misspelt_titles=False`` links titles only as written (or quoted), the baseline the typo bench times."""
        self.catalogue = catalogue
        self.misspelt_titles = misspelt_titles
        self._popularity = popularity
        self._titles: dict[str, list[str]] = defaultdict(list)
        for item in catalogue.items.values():
            for key in title_keys(item):
                self._titles[key].append(item.id)
        self._attributes: dict[str, tuple[str, str]] = {}
        self.person_fields = catalogue.schema.person_fields
        for field_name in catalogue.schema.linkable_fields:
            carriers: Counter[str] = Counter()
            spelling: dict[str, str] = {}
            for item in catalogue.items.values():
                for value in item.values(field_name):
                    key = normalise(value)
                    carriers[key] += 1
                    spelling.setdefault(key, value)
            least = catalogue.schema.relation_for(field_name).link_min_items
            for key, count in carriers.items():
                if field_name in self.person_fields and len(key.split()) < 2:
                    continue
                if count >= least and (field_name != TAGS_FIELD or is_mood_or_theme(key)):
                    self._attributes.setdefault(key, (field_name, spelling[key]))
        if "genres" in catalogue.schema.field_names:
            for synonym, genre in GENRE_SYNONYMS.items():
                self._attributes[synonym] = ("genres", genre)
        self._person_keys = [
            key for key, (field_name, _) in self._attributes.items() if field_name in self.person_fields
        ]
        heads = series_heads(list(catalogue.items.values()), popularity, {*self._titles, *self._person_keys})
        for name, item_id in heads.items():
            self._titles[name] = [item_id]
        self._title_keys = list(self._titles)
        name_words = {word for key in self._person_keys for word in key.split()}
        self._typos = TypoTitles(
            self._title_keys, PlainWords(EVERYDAY_WORDS | COMMON_WORDS, english_words() | name_words)
        )
        ranked = sorted((popularity(item_id) for item_id in catalogue.items), reverse=True)
        self._well_known = ranked[int(len(ranked) * WELL_KNOWN_SHARE)] if ranked else 0.0

    def link(self, message: str) -> tuple[list[Mention], list[str]]:
        """Return grounded mentions (longest first wins) and unlinked quoted names."""
        tokens = _tokens(message)
        taken = [False] * len(tokens)
        mentions: list[Mention] = []
        quoted = self._quoted_spans(message)
        for length in range(min(MAX_TITLE_TOKENS, len(tokens)), 0, -1):
            for start in range(0, len(tokens) - length + 1):
                if any(taken[start : start + length]):
                    continue
                span = tokens[start : start + length]
                key = " ".join(token.text for token in span)
                surface = message[span[0].start : span[-1].end]
                mention = self._match(key, surface, span, message, quoted)
                if mention is not None:
                    mentions.append(mention)
                    taken[start : start + length] = [True] * length
        mentions.extend(self._misspelt_people(message, tokens, taken))
        if self.misspelt_titles:
            found = self._misspelt_titles(message, tokens, taken, mentions)
            mentions = [m for m in mentions if not any(f.start <= m.start and m.end <= f.end for f in found)] + found
        unlinked: list[str] = []
        for start, end, text in quoted:
            if any(m.start >= start and m.end <= end + 1 for m in mentions):
                continue
            fuzzy = self._fuzzy_item(text, start, end)
            if fuzzy is not None:
                mentions.append(fuzzy)
            else:
                unlinked.append(text)
        mentions.sort(key=lambda mention: mention.start)
        return mentions, unlinked

    def _match(
        self, key: str, surface: str, span: list[_Token], message: str, quoted: list[tuple[int, int, str]]
    ) -> Mention | None:
        start, end = span[0].start, span[-1].end
        is_quoted = any(q_start <= start and end <= q_end + 1 for q_start, q_end, _ in quoted)
        if key in self._titles and (
            is_quoted or (self._plausible_title(key, surface) and not _inside_longer_name(span, message))
        ):
            item_id = self._disambiguate(self._titles[key], message[end : end + 8])
            return Mention(surface=surface.strip("\"'“”‘’,.!?"), start=start, end=end, item_id=item_id)
        if key in self._attributes and not (len(span) == 1 and key in COMMON_WORDS and key not in GENRE_SYNONYMS):
            field_name, value = self._attributes[key]
            return Mention(surface=surface.strip("\"'“”‘’,.!?"), start=start, end=end, field=field_name, value=value)
        return None

    def _misspelt_people(self, message: str, tokens: list[_Token], taken: list[bool]) -> list[Mention]:
        """Full names spelt a little wrong ("Nicholas Cage", "Leonardo Di Caprio"), linked to one person.

        People type names as they hear them, and a name that links to nothing
        loses the most telling preference of the turn.  Only spans of two or
        three words that are not common words, that nothing else claimed and
        whose first and last words are not initials are tried, and only a clear
        winner links.
        """
        found: list[Mention] = []
        for length in (3, 2):
            for start in range(0, len(tokens) - length + 1):
                span = tokens[start : start + length]
                if (
                    any(taken[start : start + length])
                    or any(t.text in COMMON_WORDS or not t.text.isalpha() for t in span)
                    or min(len(span[0].text), len(span[-1].text)) < 2
                ):
                    continue
                best = process.extract(
                    " ".join(t.text for t in span),
                    self._person_keys,
                    scorer=fuzz.ratio,
                    score_cutoff=PERSON_FUZZY_MIN_SCORE,
                    limit=2,
                )
                if not best or (len(best) == 2 and best[0][1] - best[1][1] < PERSON_FUZZY_MARGIN):
                    continue
                field_name, value = self._attributes[best[0][0]]
                surface = message[span[0].start : span[-1].end].strip("\"'“”‘’,.!?")
                found.append(
                    Mention(surface=surface, start=span[0].start, end=span[-1].end, field=field_name, value=value)
                )
                taken[start : start + length] = [True] * length
        return found

    def _misspelt_titles(
        self, message: str, tokens: list[_Token], taken: list[bool], mentions: list[Mention]
    ) -> list[Mention]:
        """Titles typed with a slip ("the matirx", "forest gump"), from spans nothing else claimed.

        A span may not start or end with a common word, cross punctuation or
        be one word of a longer capitalised name, and a one-word span names a
        well-known film only; the rest is the typo matcher's rule, for which
        the words of people's names are real words ("Portman's" is not "The
        Postman").  Longer spans win, then fewer slips; titles equally close
        are told apart by a year after the span, then by popularity.  A
        title found as written inside a longer misspelt one gives way to it
        ("Kingdom" in "Kingdom of Heavin"); the caller drops it.
        """
        items = [m for m in mentions if m.is_item]
        yielding = [
            any(m.start <= token.start and token.end <= m.end for m in items) if claimed else False
            for token, claimed in zip(tokens, taken, strict=True)
        ]
        taken = [claimed and not gives_way for claimed, gives_way in zip(taken, yielding, strict=True)]
        matches: list[tuple[int, int, int, list[str]]] = []
        for length in range(min(MAX_SPAN_WORDS, len(tokens)), 0, -1):
            for start in range(0, len(tokens) - length + 1):
                span = tokens[start : start + length]
                words = [token.text for token in span]
                if (
                    any(taken[start : start + length])
                    or all(yielding[start : start + length])
                    or not _covers_whole_mentions(span, items)
                    or words[0] in COMMON_WORDS
                    or words[-1] in COMMON_WORDS
                    or not self._typos.may_be_title(words)
                    or _crosses_punctuation(span, message)
                    or _inside_longer_name(span, message)
                ):
                    continue
                closest = self._typos.closest(words)
                if closest is not None:
                    matches.append((-length, closest[1], start, closest[0]))
        found: list[Mention] = []
        for negative_length, _, start, keys in sorted(matches):
            length = -negative_length
            if any(taken[start : start + length]):
                continue
            span = tokens[start : start + length]
            candidates = [item_id for key in keys for item_id in self._titles[key]]
            if length == 1:
                candidates = [item_id for item_id in candidates if self._popularity(item_id) >= self._well_known]
            if not candidates:
                continue
            item_id = self._disambiguate(candidates, message[span[-1].end : span[-1].end + 8])
            surface = message[span[0].start : span[-1].end].strip("\"'“”‘’,.!?")
            found.append(Mention(surface=surface, start=span[0].start, end=span[-1].end, item_id=item_id))
            taken[start : start + length] = [True] * length
        return found

    @staticmethod
    def _plausible_title(key: str, surface: str) -> bool:
        words = key.split()
        if surface.islower() and all(word in COMMON_WORDS or word in GENRE_SYNONYMS for word in words):
            return False  # "a scary movie" asks for a genre; "Scary Movie" names the film
        if all(word in COMMON_WORDS for word in words):
            return surface[:1].isupper() and len(words) >= 2
        if len(words) == 1:
            return surface[:1].isupper() and len(key) >= 3
        return True

    def _disambiguate(self, item_ids: list[str], following: str) -> str:
        year = re.match(r"\W*\(?\s*(\d{4})\b", following)
        if year:
            wanted = int(year.group(1))
            same_year = [item_id for item_id in item_ids if self.catalogue.items[item_id].year == wanted]
            if same_year:
                item_ids = same_year
        return max(item_ids, key=lambda item_id: (self._popularity(item_id), item_id))

    def _fuzzy_item(self, text: str, start: int, end: int) -> Mention | None:
        key = normalise(text)
        if len(key) < 4:
            return None
        match = process.extractOne(key, self._title_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if match is None:
            return None
        item_id = self._disambiguate(self._titles[match[0]], "")
        return Mention(surface=text, start=start, end=end, item_id=item_id)

    @staticmethod
    def _quoted_spans(message: str) -> list[tuple[int, int, str]]:
        spans = []
        for match in re.finditer(r"[\"“]([^\"”]{2,120})[\"”]", message):
            spans.append((match.start(1), match.end(1), match.group(1).strip()))
        return spans
