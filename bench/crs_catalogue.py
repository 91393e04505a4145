"""The movie universes of the CRS data sets as Concierge catalogues, for the conversational benchmark.

The 6,924 movies mentioned in ReDial (``redial/movies_with_mentions.csv``)
are the items, under their ReDial ids and names.  Each is joined by title
and year to MovieLens latest-small, which gives its genres, tags and the
ratings behind the collaborative signal and the scorer, and to the ReDial
DBpedia subgraph, which gives directors, cast, writers and the rest.  The
joins are the demo catalogue's (``data/build_catalogue.py``), so both
catalogues read their sources the same way; a movie neither source knows is
still an item, with its title and year.

ReDial's mention counts become the catalogue's ``mentions.csv``, the prior of
what people talk about.  They count every ReDial split; the mentions of the
validation dialogues in the data folder are subtracted, so the development
figures are not scored against their own counts.  The test split's mentions
(about a tenth of the total) cannot be subtracted, as the test dialogues are
not here.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.settings import REPO_ROOT
from assistant.understanding.linking import GENRE_SYNONYMS
from kg.catalogue import INTERACTIONS_FILE, ITEMS_FILE, MENTIONS_FILE

BUILD_SCRIPT = REPO_ROOT / "data" / "build_catalogue.py"
REPORT_FILE = "build_report.json"


@functools.cache
def build_script() -> ModuleType:
    """``data/build_catalogue.py``, which is a script rather than a package module."""
    spec = importlib.util.spec_from_file_location("build_catalogue", BUILD_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {BUILD_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def read_redial_movies(path: Path, script: ModuleType) -> tuple[dict[int, Any], dict[int, int]]:
    """ReDial movies as the build script's ``Movie`` records, and their mention counts."""
    movies: dict[int, Any] = {}
    mentions: dict[int, int] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            title, year = script.split_movielens_title(" ".join(row["movieName"].split()))
            movie_id = int(row["movieId"])
            movies[movie_id] = script.Movie(movie_id, title, year, [], script.movielens_title_keys(title))
            mentions[movie_id] = int(row["nbMentions"] or 0)
    return movies, mentions


def development_mentions(path: Path) -> Counter[int]:
    """How many of the development dialogues at ``path`` mention each movie."""
    counts: Counter[int] = Counter()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            counts.update(int(movie_id) for movie_id in json.loads(line)["movieMentions"])
    return counts


def write_counts(path: Path, counts: Mapping[Any, int]) -> int:
    """A catalogue's ``mentions.csv`` with the items counted at least once; returns the total."""
    rows = sorted((str(item_id), count) for item_id, count in counts.items() if count > 0)
    path.write_text("item_id,mentions\n" + "".join(f"{item_id},{count}\n" for item_id, count in rows), encoding="utf-8")
    return sum(count for _, count in rows)


def write_mentions(path: Path, mentions: dict[int, int], development: Counter[int]) -> int:
    """The catalogue's ``mentions.csv``: ReDial's counts less the development dialogues' own; returns the total."""
    return write_counts(path, {movie_id: max(count - development[movie_id], 0) for movie_id, count in mentions.items()})


def join_movielens(redial: dict[int, Any], movielens: dict[int, Any]) -> dict[int, int]:
    """ReDial id -> MovieLens id where exactly one MovieLens movie has the same title key and year."""
    by_key_year: dict[tuple[str, int | None], set[int]] = defaultdict(set)
    for movie in movielens.values():
        for key in movie.keys:
            by_key_year[key, movie.year].add(movie.movie_id)
    pairs: dict[int, int] = {}
    claimed: dict[int, int] = defaultdict(int)
    for redial_id, movie in redial.items():
        candidates = set().union(*(by_key_year.get((key, movie.year), set()) for key in movie.keys))
        if movie.year is not None and len(candidates) == 1:
            pairs[redial_id] = candidates.pop()
            claimed[pairs[redial_id]] += 1
    return {redial_id: ml_id for redial_id, ml_id in pairs.items() if claimed[ml_id] == 1}


def main_title_key(script: ModuleType, title: str) -> str | None:
    """The key of a title's part before its subtitle ("Borat: Cultural Learnings of ..." -> "borat"), if it has one."""
    main, colon, _ = title.partition(":")
    return script.normalise_title(script.front_article(main)) if colon and main.strip() else None


def close_years(wanted: int | None, year: int | None) -> bool:
    """A year the same film may carry in two sources: within one year (release dates differ by country), or unknown."""
    return wanted is None or (year is not None and abs(wanted - year) <= 1)


def genre_matches(
    script: ModuleType, redial: dict[int, Any], movielens: dict[int, Any], joined: set[int]
) -> dict[int, int]:
    """ReDial id -> MovieLens id for movies the strict join left out, matched less strictly, for genres and tags only.

    ReDial names many films without a year ("Thor"), a year off by one
    ("Black Panther (2018)", MovieLens 2017) or without their subtitle
    ("Borat (2006)", "Jumanji (2017)").  A film with no genres cannot meet a
    genre the user asks for, so it could never be suggested to someone who
    asked for one.  Here a title key (or, failing that, the main title before
    a subtitle) with a year within one, or any year when ReDial gives none,
    must name exactly one MovieLens movie.  These matches carry no ratings:
    the collaborative signal keeps to the strict, one-to-one join.
    """
    by_key: dict[str, set[int]] = defaultdict(set)
    by_main_title: dict[str, set[int]] = defaultdict(set)
    for movie in movielens.values():
        for key in movie.keys:
            by_key[key].add(movie.movie_id)
        main_key = main_title_key(script, movie.title)
        if main_key:
            by_main_title[main_key].add(movie.movie_id)
    matches: dict[int, int] = {}
    for redial_id, movie in redial.items():
        if redial_id in joined:
            continue
        for index in (by_key, by_main_title):
            found = {
                ml_id
                for key in movie.keys
                for ml_id in index.get(key, ())
                if close_years(movie.year, movielens[ml_id].year)
            }
            if found:
                if len(found) == 1:
                    matches[redial_id] = found.pop()
                break
    return matches


@dataclass(frozen=True)
class Enrichment:
    """What :func:`enrich` joined: counts for the build report, and the ratings of the strictly joined movies."""

    joined: int
    joined_for_genres_only: int
    with_facts: int
    ratings: list[tuple[int, int, float, int]]

    def report(self) -> dict[str, object]:
        return {
            "joined_to_movielens": self.joined,
            "joined_to_movielens_for_genres_only": self.joined_for_genres_only,
            "joined_to_dbpedia_with_facts": self.with_facts,
            "ratings": len(self.ratings),
        }


def enrich(script: ModuleType, datasets: Path, movies: dict[int, Any]) -> Enrichment:
    """Give ``movies`` MovieLens genres and tags and DBpedia facts, in place, as the demo catalogue joins them."""
    movielens_dir = datasets / "movielens-latest-small"
    movielens = script.read_movies(movielens_dir)
    tags = script.read_tags(movielens_dir, movielens)
    to_movielens = join_movielens(movies, movielens)
    for_genres = {**to_movielens, **genre_matches(script, movies, movielens, set(to_movielens))}
    for movie_id, ml_id in for_genres.items():
        movies[movie_id].genres = list(movielens[ml_id].genres)
        movies[movie_id].tags = tags.get(ml_id, [])
    dbpedia = script.Dbpedia.read(datasets / "redial" / "dbpedia")
    with_facts = 0
    for movie_id, (film, _level) in script.match_entities(movies, dbpedia.films()).items():
        if film.is_film:
            movies[movie_id].facts = dbpedia.facts(film.entity_id)
            with_facts += 1
    from_movielens = {ml_id: movie_id for movie_id, ml_id in to_movielens.items()}
    ratings = [
        (user, from_movielens[ml_id], rating, timestamp)
        for user, ml_id, rating, timestamp in script.read_ratings(movielens_dir, from_movielens)
    ]
    return Enrichment(len(to_movielens), len(for_genres) - len(to_movielens), with_facts, ratings)


def build_redial_catalogue(datasets: Path, out: Path) -> dict[str, object]:
    """Write the catalogue into ``out`` and return its build report (also written there)."""
    script = build_script()
    redial, mentions = read_redial_movies(datasets / "redial" / "movies_with_mentions.csv", script)
    enrichment = enrich(script, datasets, redial)
    out.mkdir(parents=True, exist_ok=True)
    script.write_gzip(out / f"{ITEMS_FILE}.gz", script.items_text(redial))
    script.write_gzip(out / f"{INTERACTIONS_FILE}.gz", script.interactions_text(enrichment.ratings))
    development = development_mentions(datasets / "redial" / "valid_dialogues.jsonl")
    report: dict[str, object] = {
        "items": len(redial),
        **enrichment.report(),
        "mentions": sum(mentions.values()),
        "mentions_kept": write_mentions(out / MENTIONS_FILE, mentions, development),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def canonical_genre(value: str) -> str:
    """'Action Film' -> 'Action', 'Science Fiction' -> 'Sci-Fi', 'Family (Film genre) #395' -> 'Children'."""
    bare = re.sub(r"\s*\(.*?\)\s*#?\d*$", "", value).strip()
    lowered = bare.casefold()
    if lowered in GENRE_SYNONYMS:
        return GENRE_SYNONYMS[lowered]
    shorter = re.sub(r"\s+(?:film|films|movie|fiction)$", "", lowered)
    return GENRE_SYNONYMS.get(shorter, bare)


def training_mentions(path: Path, rows: list[dict[str, object]]) -> Counter[str]:
    """How many training turns name each item, as an entity of the dialogue or as the recommendation.

    Names shared by several items (a film and its novel) are left out rather than guessed.
    """
    ids_by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        ids_by_name[str(row["title"])].add(str(row["id"]))
    counts: Counter[str] = Counter()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            turn = json.loads(line)
            for name in {*turn.get("entity", ()), *turn.get("rec", ())}:
                ids = ids_by_name.get(" ".join(str(name).split()), set())
                if len(ids) == 1:
                    counts[next(iter(ids))] += 1
    return counts


def build_opendialkg_catalogue(datasets: Path, out: Path) -> dict[str, object]:
    """OpenDialKG's 3,672 movies and books (``id2info.json``, facts from its knowledge graph) as a catalogue.

    The data set has no ratings, so the interaction log is empty and ranking
    rests on the graph, the text and what the dialogue states, with the
    training dialogues' mentions as the prior of what people talk about.
    """
    script = build_script()
    with open(datasets / "opendialkg" / "id2info.json", encoding="utf-8") as handle:
        info = json.load(handle)
    rows = []
    for item_id, entry in info.items():
        year = str(entry.get("year") or "")
        known_year = int(year) if year.isdigit() and 1800 <= int(year) <= 2100 else None  # books reach back to 975
        row: dict[str, object] = {"id": item_id, "title": " ".join(entry["name"].split()), "year": known_year}
        fields = {
            "genres": [canonical_genre(value) for value in entry.get("genre", [])],
            "directors": entry.get("director", []),
            "cast": entry.get("actor", []),
            "writers": entry.get("writer", []),
            "languages": [re.sub(r"\s+Language$", "", value) for value in entry.get("language", [])],
        }
        for field_name, values in fields.items():
            kept = list(dict.fromkeys(value.strip() for value in values if value and value.strip()))
            if kept:
                row[field_name] = kept
        rows.append(row)
    out.mkdir(parents=True, exist_ok=True)
    items = "".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows)
    script.write_gzip(out / f"{ITEMS_FILE}.gz", items)
    script.write_gzip(out / f"{INTERACTIONS_FILE}.gz", script.interactions_text([]))
    mentions = training_mentions(datasets / "opendialkg" / "train_data_processed.jsonl", rows)
    report: dict[str, object] = {
        "items": len(rows),
        "with_facts": sum(len(row) > 3 for row in rows),
        "ratings": 0,
        "training_mentions": write_counts(out / MENTIONS_FILE, mentions),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


INSPIRED_SPLITS = ("train_data_dbpedia.jsonl", "valid_data_dbpedia.jsonl")


def read_inspired_dialogues(path: Path) -> Iterator[list[dict[str, Any]]]:
    """INSPIRED dialogues, one JSON list of utterances per line; anything else is refused with its line."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            dialogue = json.loads(line)
            if not isinstance(dialogue, list) or not all(isinstance(u, dict) and "role" in u for u in dialogue):
                raise ValueError(f"{path}:{number}: an INSPIRED dialogue is a JSON list of utterances with roles")
            yield dialogue


def inspired_title(link: str) -> tuple[str, int | None] | None:
    """Title and year of a movie's DBpedia link: '<.../Joker_(2019_film)>' is ('Joker', 2019); None if not a resource."""
    script = build_script()
    name = script.resource_name(link)
    if name is None:
        return None
    title, year, _ = script.parse_dbpedia_film(name)
    return title, year


def inspired_display_title(link: str) -> str | None:
    """How turns name a linked movie: 'Title (Year)' when the link has the year, else the bare title."""
    parsed = inspired_title(link)
    if parsed is None:
        return None
    title, year = parsed
    return f"{title} ({year})" if year else title


def build_inspired_catalogue(datasets: Path, out: Path) -> dict[str, object]:
    """INSPIRED's movies as a catalogue: every movie linked in its dialogues and every film of its DBpedia subgraph.

    Ids are the subgraph's entity ids.  A link without a year takes it from
    the utterance's own "Title (Year)" annotations when one has the same
    title, which lets the MovieLens join work.  The subgraph has no relation
    names, so facts come from the ReDial DBpedia subgraph where the film is
    there too; mention counts are the training dialogues'.
    """
    script = build_script()
    directory = datasets / "inspired"
    with open(directory / "dbpedia" / "entity2id.json", encoding="utf-8") as handle:
        entity_ids: dict[str, int] = json.load(handle)
    annotations: dict[str, set[str]] = defaultdict(set)
    training: Counter[int] = Counter()
    for split in INSPIRED_SPLITS:
        for dialogue in read_inspired_dialogues(directory / split):
            for utterance in dialogue:
                for link in utterance.get("movie_link", ()):
                    annotations[link].update(utterance.get("movie", ()))
                    if split.startswith("train") and link in entity_ids:
                        training[entity_ids[link]] += 1
    for uri in entity_ids:
        name = script.resource_name(uri)
        if name is not None and script.parse_dbpedia_film(name)[2] is not None:
            annotations.setdefault(uri, set())
    movies: dict[int, Any] = {}
    for link, annotated in annotations.items():
        parsed = inspired_title(link)
        if parsed is None or link not in entity_ids:
            continue
        title, year = parsed
        if year is None:
            year = next((y for t, y in map(script.split_movielens_title, annotated) if y and t == title), None)
        movies[entity_ids[link]] = script.Movie(entity_ids[link], title, year, [], script.movielens_title_keys(title))
    enrichment = enrich(script, datasets, movies)
    out.mkdir(parents=True, exist_ok=True)
    script.write_gzip(out / f"{ITEMS_FILE}.gz", script.items_text(movies))
    script.write_gzip(out / f"{INTERACTIONS_FILE}.gz", script.interactions_text(enrichment.ratings))
    report: dict[str, object] = {
        "items": len(movies),
        **enrichment.report(),
        "training_mentions": write_counts(out / MENTIONS_FILE, training),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
