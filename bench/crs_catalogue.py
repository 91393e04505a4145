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
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.linking import GENRE_SYNONYMS
from assistant.settings import REPO_ROOT
from kg.catalogue import INTERACTIONS_FILE, ITEMS_FILE, MENTIONS_FILE

BUILD_SCRIPT = REPO_ROOT / "data" / "build_catalogue.py"
REPORT_FILE = "build_report.json"


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


def write_mentions(path: Path, mentions: dict[int, int], development: Counter[int]) -> int:
    """The catalogue's ``mentions.csv``: ReDial's counts less the development dialogues' own; returns the total."""
    rows = {movie_id: max(count - development[movie_id], 0) for movie_id, count in mentions.items()}
    text = "item_id,mentions\n" + "".join(f"{movie_id},{count}\n" for movie_id, count in sorted(rows.items()) if count)
    path.write_text(text, encoding="utf-8")
    return sum(rows.values())


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


def build_redial_catalogue(datasets: Path, out: Path) -> dict[str, object]:
    """Write the catalogue into ``out`` and return its build report (also written there)."""
    script = build_script()
    movielens_dir = datasets / "movielens-latest-small"
    movielens = script.read_movies(movielens_dir)
    tags = script.read_tags(movielens_dir, movielens)
    redial, mentions = read_redial_movies(datasets / "redial" / "movies_with_mentions.csv", script)
    to_movielens = join_movielens(redial, movielens)
    for redial_id, ml_id in to_movielens.items():
        redial[redial_id].genres = list(movielens[ml_id].genres)
        redial[redial_id].tags = tags.get(ml_id, [])
    dbpedia = script.Dbpedia.read(datasets / "redial" / "dbpedia")
    matches = script.match_entities(redial, dbpedia.films())
    for redial_id, (film, _level) in matches.items():
        if film.is_film:
            redial[redial_id].facts = dbpedia.facts(film.entity_id)
    from_movielens = {ml_id: redial_id for redial_id, ml_id in to_movielens.items()}
    ratings = [
        (user, from_movielens[ml_id], rating, timestamp)
        for user, ml_id, rating, timestamp in script.read_ratings(movielens_dir, from_movielens)
    ]
    out.mkdir(parents=True, exist_ok=True)
    script.write_gzip(out / f"{ITEMS_FILE}.gz", script.items_text(redial))
    script.write_gzip(out / f"{INTERACTIONS_FILE}.gz", script.interactions_text(ratings))
    development = development_mentions(datasets / "redial" / "valid_dialogues.jsonl")
    report: dict[str, object] = {
        "items": len(redial),
        "joined_to_movielens": len(to_movielens),
        "joined_to_dbpedia_with_facts": sum(1 for film, _ in matches.values() if film.is_film),
        "ratings": len(ratings),
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
    (out / MENTIONS_FILE).write_text(
        "item_id,mentions\n" + "".join(f"{item_id},{count}\n" for item_id, count in sorted(mentions.items())),
        encoding="utf-8",
    )
    report: dict[str, object] = {
        "items": len(rows),
        "with_facts": sum(len(row) > 3 for row in rows),
        "ratings": 0,
        "training_mentions": sum(mentions.values()),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
