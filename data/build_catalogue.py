"""Build the shipped demo catalogue from MovieLens latest-small and the ReDial DBpedia subgraph.

Concierge ships a small catalogue so that it runs out of the box, with no
server and no download.  MovieLens gives the items (titles, years, genres),
free-text tags and the ratings that feed the collaborative signal; it has no
people or companies, so the items are joined with DBpedia facts (directors,
cast, writers, composers, studios, countries, languages) taken from the
DBpedia subgraph published with the ReDial data set.

The two sources share no identifiers, so the join is by normalised title and
year, in decreasing order of confidence (see :func:`match_entities`): a wrong
director on a film is worse than no director, so every level refuses a match
that is not unique.

The output format is the one :mod:`kg.catalogue` reads.  Files are written
sorted and gzip-compressed with a zero timestamp and no file name, so that a
rebuild from the same inputs gives identical bytes and a diff of the
committed files means the data changed.

Usage (from the repository root)::

    python data/build_catalogue.py --movielens ../shared/data/movielens-latest-small \\
        --dbpedia ../shared/data/redial/dbpedia
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import unicodedata
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from kg.catalogue import INTERACTION_COLUMNS, INTERACTIONS_FILE, ITEMS_FILE

DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
REPORT_FILE = "build_report.json"

DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"
DBPEDIA_ONTOLOGY = "http://dbpedia.org/ontology/"

# DBpedia ontology relation -> catalogue field.  ``distributor`` is left out on
# purpose: a distributor is not the studio that made the film.
RELATION_FIELDS: dict[str, str] = {
    "director": "directors",
    "starring": "cast",
    "writer": "writers",
    "musicComposer": "composers",
    "composer": "composers",
    "productionCompany": "studios",
    "company": "studios",
    "country": "countries",
    "language": "languages",
}
# Relations that only a film has.  ReDial lists some novels, franchises and
# entities with no triples as movies; they take part in the join, so that they
# can block a wrong pair, but only an entity with one of these gives facts.
FILM_RELATIONS = frozenset(
    {"director", "starring", "musicComposer", "cinematography", "editing", "productionCompany", "distributor"}
)
DBPEDIA_FIELDS = tuple(dict.fromkeys(RELATION_FIELDS.values()))
# Order of the list fields in each JSON line; every one is a field of kg.schema.MOVIE_SCHEMA.
ITEM_FIELDS = ("genres", "tags", *DBPEDIA_FIELDS)
# The subgraph lists a film's cast sorted by name, not by billing, so the
# eight kept are the first eight alphabetically.
MAX_CAST = 8
MAX_TAGS = 10
NO_GENRES = "(no genres listed)"

# Articles that MovieLens moves to the end of a title ("Matrix, The").
_ARTICLES = ("The", "A", "An", "Les", "La", "Le", "L'", "Il", "I", "Gli", "El", "Los", "Las", "Die", "Das", "Der")
_ARTICLE = "|".join(re.escape(article) for article in _ARTICLES)
_TRAILING_ARTICLE = re.compile(rf"^(?P<body>.+), (?P<article>{_ARTICLE})$")
_ARTICLE_BEFORE_SUBTITLE = re.compile(rf"^(?P<body>[^:(]+), (?P<article>{_ARTICLE})(?P<rest>(?:: | \().+)$")
_EPISODE = re.compile(r"^(?P<series>[^:]+): Episode [IVX\d]+ - (?P<subtitle>.+)$")
_MOVIELENS_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:\s*[-\u2013]\s*\d{4})?\)\s*$")
_TRAILING_PARENTHESIS = re.compile(r"^(?P<body>.*\S)\s*\((?P<inner>[^()]*)\)$")
_AKA = re.compile(r"^a\.?k\.?a\.?\s+", re.IGNORECASE)
_FILM_DISAMBIGUATION = re.compile(r"(?:^|\s)film$", re.IGNORECASE)
_UNRELEASED = re.compile(r"\b(?:upcoming|unreleased|unfinished)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(\d{4})\b")
_APOSTROPHES = re.compile(r"['\u2018\u2019`\u00b4]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ROMAN_NUMERALS = {
    roman: str(value)
    for value, roman in enumerate(
        ("ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"), start=2
    )
}
_VOLUME = re.compile(r"\b(?:vol|volume) (?=\d)")
_LANGUAGE_SUFFIX = re.compile(r"(?<!sign)[\s-]+language$", re.IGNORECASE)
_NATIONAL_CINEMA = re.compile(r"^Cinema of (?:the )?(?P<country>.+)$")
_NOT_A_LANGUAGE = re.compile(
    r"\b(?:people|cinema|film|studies|nation|empire|republic|kingdom|opera|intertitles?)\b", re.IGNORECASE
)
_LIST_ARTICLE = re.compile(r"^Lists? of ")
_HAS_LETTER = re.compile(r"[^\W\d_]")


# ---------------------------------------------------------------------------
# Title normalisation
# ---------------------------------------------------------------------------


def front_article(title: str) -> str:
    """Move an article that MovieLens filed at the end back to the front.

    DBpedia writes "The Matrix" where MovieLens writes "Matrix, The", and the
    article may sit before a subtitle ("Crow, The: Wicked Prayer"), before a
    parenthesis ("Human Centipede, The (First Sequence)") or after a subtitle
    ("Lord of the Rings: The Fellowship of the Ring, The").
    """
    for pattern in (_TRAILING_ARTICLE, _ARTICLE_BEFORE_SUBTITLE):
        match = pattern.match(title)
        if match:
            article = match["article"]
            joiner = "" if article.endswith("'") else " "
            return f"{article}{joiner}{match['body']}{match.groupdict().get('rest') or ''}"
    return title


def normalise_title(title: str) -> str:
    """Reduce a title to the key both sources are compared on.

    Spelling differences that do not make another film are removed: case,
    accents (NFKD, combining marks dropped), "&" versus "and", apostrophes and
    other punctuation, runs of spaces, Roman versus Arabic sequel numbers
    ("Rocky IV", "Death Wish 5" -- "I" is left alone, it is mostly the
    pronoun), and "Vol." or "Volume" before a number ("Kill Bill: Vol. 1" is
    DBpedia's "Kill Bill: Volume 1" and MovieLens has "Guardians of the
    Galaxy 2" for "Vol. 2").
    """
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = _APOSTROPHES.sub("", plain.replace("&", " and "))
    words = " ".join(_ROMAN_NUMERALS.get(word, word) for word in _NON_ALNUM.sub(" ", plain).split())
    return _VOLUME.sub("", words)


def split_movielens_title(raw: str) -> tuple[str, int | None]:
    """Split "Matrix, The (1999)" into ("Matrix, The", 1999).

    A range such as "(2006–2007)" (a series) gives its first year; a title
    without a year gives ``None``.
    """
    match = _MOVIELENS_YEAR.match(raw.strip())
    if match and match["title"]:
        return match["title"], int(match["year"])
    return raw.strip(), None


def movielens_title_keys(title: str) -> set[str]:
    """Every normalised title a MovieLens title (without its year) may go by.

    MovieLens appends alternative titles in parentheses: "Seven (a.k.a.
    Se7en)", "Léon: The Professional (a.k.a. The Professional) (Léon)".  The
    main title, each alternative and the whole string are tried, each with
    its article moved to the front.  "Star Wars: Episode V - The Empire
    Strikes Back" also goes by "Star Wars: The Empire Strikes Back" and "The
    Empire Strikes Back", the forms Wikipedia uses for that series.
    """
    variants = [title]
    body = title
    while match := _TRAILING_PARENTHESIS.match(body):
        body = match["body"]
        variants.append(_AKA.sub("", match["inner"]).strip())
        variants.append(body)
    if episode := _EPISODE.match(body):
        variants.extend((f"{episode['series']}: {episode['subtitle']}", episode["subtitle"]))
    keys = {normalise_title(front_article(variant)) for variant in variants}
    keys.discard("")
    return keys


@dataclass(frozen=True)
class DbpediaFilm:
    """A DBpedia movie entity as the join sees it.

    ``name`` is the decoded URI name ("The Witch (2015 film)"); ``title`` and
    ``year`` come from it; ``disambiguation`` is its film parenthesis ("2015
    film", "film") or ``None``; ``is_film`` says whether the subgraph gives
    it any relation only a film has.
    """

    entity_id: int
    name: str
    title: str
    year: int | None
    disambiguation: str | None
    is_film: bool

    @property
    def key(self) -> str:
        return normalise_title(self.title)

    @property
    def compact_key(self) -> str:
        return compact(self.key)

    @property
    def title_form(self) -> int:
        """How directly the name is the title: 0 plain ("Rocky"), 1 film parenthesis, 2 other parenthesis.

        A plain name is Wikipedia's primary topic, the best-known film of
        that title; a name like "Friends (With Benefits)" only meets "Friends
        with Benefits" once punctuation is dropped.
        """
        if self.disambiguation is not None:
            return 1
        return 2 if _TRAILING_PARENTHESIS.match(self.name) else 0

    @property
    def unreleased(self) -> bool:
        """An "(upcoming film)" or "(unreleased film)": not the released film of the same title."""
        return bool(self.disambiguation and _UNRELEASED.search(self.disambiguation))


def compact(key: str) -> str:
    """A title key without spaces: "Pelham 1 2 3" and "Pelham 123", "Pokemon 4 Ever" and "4Ever" agree."""
    return key.replace(" ", "")


def resource_name(uri: str) -> str | None:
    """The decoded local name of a DBpedia resource URI, underscores as spaces.

    ``None`` for anything that is not a resource (a literal, another
    namespace), which the build skips.
    """
    text = uri.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if not text.startswith(DBPEDIA_RESOURCE):
        return None
    name = urllib.parse.unquote(text[len(DBPEDIA_RESOURCE) :]).replace("_", " ").strip()
    return name or None


def parse_dbpedia_film(name: str) -> tuple[str, int | None, str | None]:
    """Title, year and disambiguation of a film entity name.

    "The Witch (2015 film)" gives ("The Witch", 2015, "2015 film").  Only a
    disambiguation that ends in "film" ("(film)", "(2004 American film)",
    "(TV film)") is removed.  Any other parenthesis stays in the title, so
    "Avatar (newspaper)" or "Dracula (novel)" cannot pass for the film, while
    "The Human Centipede 2 (Full Sequence)" keeps its real title.
    """
    match = _TRAILING_PARENTHESIS.match(name)
    if match and _FILM_DISAMBIGUATION.search(match["inner"]):
        year = _YEAR.search(match["inner"])
        return match["body"], int(year.group(1)) if year else None, match["inner"]
    return name, None, None


# ---------------------------------------------------------------------------
# Value names
# ---------------------------------------------------------------------------


def value_name(uri: str, field_name: str) -> str | None:
    """Display name of a tail entity for ``field_name``, or ``None`` to skip it.

    Names come from the URI with the trailing disambiguation removed
    ("Chris Columbus (filmmaker)" -> "Chris Columbus").  Infobox links that
    are not values are skipped: a Wikipedia list ("List of highest-grossing
    films in Japan"), and for languages a people, a national cinema or
    "Silent film" ("English people", "Cinema of Italy").  Languages lose the
    word "language" ("English language" -> "English", but "American Sign
    Language" stays).  A country linked through its national-cinema article
    ("Cinema of the United States") becomes the country.
    """
    name = resource_name(uri)
    if name is None or _LIST_ARTICLE.match(name):
        return None
    match = _TRAILING_PARENTHESIS.match(name)
    if match:
        name = match["body"]
    if field_name == "languages":
        if _NOT_A_LANGUAGE.search(name):
            return None
        name = _LANGUAGE_SUFFIX.sub("", name)
    elif field_name == "countries" and (national := _NATIONAL_CINEMA.match(name)):
        name = national["country"]
    return name.strip() or None


# ---------------------------------------------------------------------------
# Reading the sources
# ---------------------------------------------------------------------------


@dataclass
class Movie:
    """One MovieLens movie on its way into the catalogue."""

    movie_id: int
    title: str
    year: int | None
    genres: list[str]
    keys: set[str]
    tags: list[str] = field(default_factory=list)
    facts: dict[str, list[str]] = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        """The JSON object of items.jsonl, empty fields left out."""
        row: dict[str, object] = {"id": str(self.movie_id), "title": self.title, "year": self.year}
        values = {"genres": self.genres, "tags": self.tags, **self.facts}
        for field_name in ITEM_FIELDS:
            if values.get(field_name):
                row[field_name] = values[field_name]
        return row


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_movies(movielens: Path) -> dict[int, Movie]:
    """Movies of movies.csv by movieId, with their title keys for the join."""
    movies: dict[int, Movie] = {}
    for row in tqdm(_read_csv(movielens / "movies.csv"), desc="movies", unit="movie", disable=None):
        title, year = split_movielens_title(row["title"])
        genres = [genre for genre in row["genres"].split("|") if genre and genre != NO_GENRES]
        movie_id = int(row["movieId"])
        movies[movie_id] = Movie(movie_id, title, year, genres, movielens_title_keys(title))
    return movies


_PROFANE = re.compile(r"fuck|\bshit|\bass\b|bitch|cunt")


def normalise_tag(tag: str) -> str | None:
    """Lower-case a tag and collapse its spaces.

    ``None`` for one with no letter ("007", "!!") and for profanity: tags are
    shown to users in justifications, and a few user-typed ones are crude.
    """
    text = " ".join(tag.split()).lower()
    return text if _HAS_LETTER.search(text) and not _PROFANE.search(text) else None


def read_tags(movielens: Path, movie_ids: Iterable[int]) -> dict[int, list[str]]:
    """Up to :data:`MAX_TAGS` tags per movie, those applied by most users first.

    A tag counts once per user, so one user typing it three times does not
    outrank a tag three users chose; ties go alphabetically.
    """
    known = set(movie_ids)
    users_by_tag: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in tqdm(_read_csv(movielens / "tags.csv"), desc="tags", unit="tag", disable=None):
        movie_id = int(row["movieId"])
        tag = normalise_tag(row["tag"])
        if tag and movie_id in known:
            users_by_tag[movie_id][tag].add(row["userId"])
    return {
        movie_id: sorted(tags, key=lambda tag: (-len(tags[tag]), tag))[:MAX_TAGS]
        for movie_id, tags in users_by_tag.items()
    }


def read_ratings(movielens: Path, movie_ids: Iterable[int]) -> list[tuple[int, int, float, int]]:
    """(user, movie, rating, timestamp) rows of ratings.csv, sorted, for known movies only."""
    known = set(movie_ids)
    ratings = [
        (int(row["userId"]), int(row["movieId"]), float(row["rating"]), int(row["timestamp"]))
        for row in tqdm(_read_csv(movielens / "ratings.csv"), desc="ratings", unit="rating", disable=None)
        if int(row["movieId"]) in known
    ]
    ratings.sort()
    return ratings


@dataclass(frozen=True)
class Dbpedia:
    """The parts of the ReDial DBpedia subgraph the build uses."""

    names: dict[int, str]
    relations: dict[int, str]
    triples: dict[int, list[tuple[int, int]]]
    movie_ids: frozenset[int]

    @classmethod
    def read(cls, directory: Path) -> Dbpedia:
        with open(directory / "entity2id.json", encoding="utf-8") as handle:
            names = {entity_id: uri for uri, entity_id in json.load(handle).items()}
        with open(directory / "relation2id.json", encoding="utf-8") as handle:
            relations = {
                relation_id: uri.strip("<>").removeprefix(DBPEDIA_ONTOLOGY)
                for uri, relation_id in json.load(handle).items()
            }
        with open(directory / "dbpedia_subkg.json", encoding="utf-8") as handle:
            triples = {
                int(head): [(int(relation), int(tail)) for relation, tail in edges]
                for head, edges in json.load(handle).items()
            }
        with open(directory / "item_ids.json", encoding="utf-8") as handle:
            movie_ids = frozenset(int(entity_id) for entity_id in json.load(handle))
        return cls(names, relations, triples, movie_ids)

    def is_film(self, entity_id: int) -> bool:
        """Whether the entity has a relation that only films have."""
        return any(self.relations.get(relation) in FILM_RELATIONS for relation, _ in self.triples.get(entity_id, ()))

    def films(self) -> list[DbpediaFilm]:
        """Every movie entity of item_ids.json, in id order, as the join sees it."""
        films = []
        for entity_id in sorted(self.movie_ids):
            name = resource_name(self.names.get(entity_id, ""))
            if name is None:
                continue
            title, year, disambiguation = parse_dbpedia_film(name)
            films.append(DbpediaFilm(entity_id, name, title, year, disambiguation, self.is_film(entity_id)))
        return films

    def facts(self, entity_id: int) -> dict[str, list[str]]:
        """Catalogue fields of one film, values deduplicated in the subgraph's order."""
        facts: dict[str, list[str]] = defaultdict(list)
        for relation, tail in self.triples.get(entity_id, ()):
            field_name = RELATION_FIELDS.get(self.relations.get(relation, ""))
            if field_name is None:
                continue
            name = value_name(self.names.get(tail, ""), field_name)
            if name and name not in facts[field_name]:
                facts[field_name].append(name)
        if "cast" in facts:
            facts["cast"] = facts["cast"][:MAX_CAST]
        return dict(facts)


# ---------------------------------------------------------------------------
# The join
# ---------------------------------------------------------------------------

MATCH_LEVELS = ("title_year", "compact_title_year", "title_unique")


class _Join:
    """Indexes of both sides and the pairs made so far; see :func:`match_entities`."""

    def __init__(self, movies: dict[int, Movie], films: list[DbpediaFilm]) -> None:
        self.films = films
        self.by_title_year: dict[tuple[str, int | None], set[int]] = defaultdict(set)
        self.by_compact_title_year: dict[tuple[str, int | None], set[int]] = defaultdict(set)
        self.by_title: dict[str, set[int]] = defaultdict(set)
        for movie in movies.values():
            for key in movie.keys:
                self.by_title_year[key, movie.year].add(movie.movie_id)
                self.by_compact_title_year[compact(key), movie.year].add(movie.movie_id)
                self.by_title[key].add(movie.movie_id)
        self.matches: dict[int, tuple[DbpediaFilm, str]] = {}
        self.paired_films: set[int] = set()

    def candidates(self, film: DbpediaFilm, level: str) -> set[int]:
        """Movies ``film`` fits at ``level``, before removing those already paired."""
        if level == "title_year":
            return self.by_title_year.get((film.key, film.year), set()) if film.year else set()
        if level == "compact_title_year":
            return self.by_compact_title_year.get((film.compact_key, film.year), set()) if film.year else set()
        # title_unique
        return self.by_title.get(film.key, set()) if film.year is None and not film.unreleased else set()

    def run_level(self, level: str) -> int:
        """Pair every film that fits exactly one open movie no other film claims; returns the pairs made.

        When several films claim one movie at ``title_unique``, an entity
        with film facts wins over one without (a novel of the same name),
        then the most direct :attr:`DbpediaFilm.title_form`; a tie that
        survives both pairs neither.
        """
        claims: dict[int, list[DbpediaFilm]] = defaultdict(list)
        for film in tqdm(self.films, desc=f"join: {level}", unit="film", disable=None, leave=False):
            if film.entity_id in self.paired_films:
                continue
            open_movies = {movie_id for movie_id in self.candidates(film, level) if movie_id not in self.matches}
            if len(open_movies) == 1:
                claims[open_movies.pop()].append(film)
        made = 0
        for movie_id, claimants in claims.items():
            if level == "title_unique" and len(claimants) > 1:
                best = min((not film.is_film, film.title_form) for film in claimants)
                claimants = [film for film in claimants if (not film.is_film, film.title_form) == best]
            if len(claimants) == 1:
                self.matches[movie_id] = (claimants[0], level)
                self.paired_films.add(claimants[0].entity_id)
                made += 1
        return made


def match_entities(movies: dict[int, Movie], films: list[DbpediaFilm]) -> dict[int, tuple[DbpediaFilm, str]]:
    """Pair MovieLens movies with DBpedia movie entities; returns movieId -> (film, level).

    Levels, most certain first; each only considers movies and films the
    earlier levels left unpaired:

    1. ``title_year``: same title key and the year in the URI equals the
       MovieLens year ("Psycho (1998 film)" is not "Psycho (1960)").
    2. ``compact_title_year``: same year and the same title once spaces are
       dropped ("The Taking of Pelham 123" and "Pelham 1 2 3").
    3. ``title_unique``: the URI has no year ("Alien (film)", "Blade Runner")
       and exactly one still-unpaired MovieLens movie has that title, so a
       remake already claimed by its own year-bearing entity is not a rival.
       Repeated until nothing changes, since each pair can settle another
       ("Ocean's 11" takes the 1960 film, then "Ocean's Eleven" the 2001 one).
       A MovieLens movie without a year ("Nocturnal Animals") can only be
       paired here.

    Entities without film facts take part too ("The Usual Suspects" has no
    triples in the subgraph): paired with their movie, they give it no facts
    but keep a namesake from taking it.  At every level a film that fits two
    movies, or a movie that two films fit, is left unpaired rather than
    guessed.

    A URI year one off the MovieLens year is deliberately not a match: the
    subgraph lacks many well-known films, and on the real data 5 of the 12
    such pairs were another film of the same title ("One Day (2010 film)" is
    Taiwanese, "Foul Play (1977 film)" Spanish).
    """
    join = _Join(movies, films)
    for level in MATCH_LEVELS:
        made = join.run_level(level)
        while made and level == "title_unique":
            made = join.run_level(level)
    return join.matches


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_gzip(path: Path, text: str) -> None:
    """Write UTF-8 text gzip-compressed with no name and a zero mtime, so the bytes depend on the text only."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))


def items_text(movies: dict[int, Movie]) -> str:
    """items.jsonl: one compact JSON object per movie, in movieId order."""
    lines = [
        json.dumps(movies[movie_id].row(), ensure_ascii=False, separators=(",", ":"))
        for movie_id in tqdm(sorted(movies), desc="items", unit="item", disable=None)
    ]
    return "\n".join(lines) + "\n"


def interactions_text(ratings: list[tuple[int, int, float, int]]) -> str:
    """interactions.csv: the header of :mod:`kg.catalogue`, then one rating per line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INTERACTION_COLUMNS)
    for user_id, movie_id, rating, timestamp in tqdm(ratings, desc="interactions", unit="rating", disable=None):
        writer.writerow((user_id, movie_id, f"{rating:g}", timestamp))
    return buffer.getvalue()


def build(movielens: Path, dbpedia_dir: Path, out: Path) -> dict[str, object]:
    """Build the catalogue into ``out`` and return the build report (also written there)."""
    movies = read_movies(movielens)
    for movie_id, tags in read_tags(movielens, movies).items():
        movies[movie_id].tags = tags
    ratings = read_ratings(movielens, movies)

    dbpedia = Dbpedia.read(dbpedia_dir)
    films = dbpedia.films()
    matches = match_entities(movies, films)
    for movie_id, (film, _level) in matches.items():
        if film.is_film:
            movies[movie_id].facts = dbpedia.facts(film.entity_id)

    out.mkdir(parents=True, exist_ok=True)
    items_path = out / f"{ITEMS_FILE}.gz"
    interactions_path = out / f"{INTERACTIONS_FILE}.gz"
    write_gzip(items_path, items_text(movies))
    write_gzip(interactions_path, interactions_text(ratings))

    report = build_report(movies, ratings, dbpedia, films, matches)
    report["output_bytes"] = {path.name: path.stat().st_size for path in (items_path, interactions_path)}
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report


def build_report(
    movies: dict[int, Movie],
    ratings: list[tuple[int, int, float, int]],
    dbpedia: Dbpedia,
    films: list[DbpediaFilm],
    matches: dict[int, tuple[DbpediaFilm, str]],
) -> dict[str, object]:
    """Counts that say how complete the catalogue is, so that a rebuild that joins worse shows up in review."""
    with_facts = sum(1 for movie in movies.values() if movie.facts)
    film_entities = sum(1 for film in films if film.is_film)
    coverage = {}
    for field_name in ITEM_FIELDS:
        count = sum(1 for movie in movies.values() if movie.row().get(field_name))
        coverage[field_name] = {"items": count, "fraction": round(count / len(movies), 4)}
    return {
        "items": len(movies),
        "interactions": len(ratings),
        "users": len({user_id for user_id, *_ in ratings}),
        "dbpedia_movie_entities": len(dbpedia.movie_ids),
        "dbpedia_movie_entities_with_film_facts": film_entities,
        "matched_movies": len(matches),
        "matches_by_level": dict(Counter(level for _film, level in matches.values()).most_common()),
        "movies_with_dbpedia_facts": with_facts,
        "join_rate_of_movies": round(with_facts / len(movies), 4),
        "join_rate_of_dbpedia_movies": round(with_facts / len(dbpedia.movie_ids), 4),
        "join_rate_of_dbpedia_movies_with_film_facts": round(with_facts / film_entities, 4),
        "field_coverage": coverage,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: build, then print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--movielens",
        type=Path,
        required=True,
        help="MovieLens latest-small folder (movies.csv, ratings.csv, tags.csv).",
    )
    parser.add_argument(
        "--dbpedia",
        type=Path,
        required=True,
        help="ReDial DBpedia folder (dbpedia_subkg.json, entity2id.json, relation2id.json, item_ids.json).",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="Output catalogue folder (default: data/demo in the repository)."
    )
    args = parser.parse_args(argv)
    report = build(args.movielens, args.dbpedia, args.out)
    print(json.dumps(report, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
