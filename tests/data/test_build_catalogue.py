"""Tests of data/build_catalogue.py and of the demo catalogue it produced.

The title functions and the join are tested on hand-made cases.  A real build
needs the public data sets, found through ``CONCIERGE_DATASETS_DIR``
(``Settings().datasets_dir``, via the ``datasets_dir`` fixture); without it
those tests are skipped.  The
committed ``data/demo`` is checked in every run, since the app loads it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from assistant.settings import DEMO_CATALOGUE, REPO_ROOT
from kg.catalogue import Catalogue, Item, load_catalogue
from kg.schema import MOVIE_SCHEMA

SCRIPT = REPO_ROOT / "data" / "build_catalogue.py"
CATALOGUE_FILES = ("items.jsonl.gz", "interactions.csv.gz", "build_report.json")
MOVIELENS_ITEMS = 9742
MOVIELENS_RATINGS = 100836


def _load_script() -> ModuleType:
    """Import the build script by path: data/ is not a package, the script is run as a file."""
    spec = importlib.util.spec_from_file_location("build_catalogue", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


bc = _load_script()


def _by_title(catalogue: Catalogue, title: str, year: int) -> Item:
    matches = [item for item in catalogue.items.values() if item.title == title and item.year == year]
    assert len(matches) == 1, f"{title} ({year}): {len(matches)} items"
    return matches[0]


# ---------------------------------------------------------------------------
# Title normalisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("movielens", "natural"),
    [
        ("Matrix, The", "The Matrix"),
        ("Lord of the Rings: The Fellowship of the Ring, The", "The Lord of the Rings: The Fellowship of the Ring"),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly"),
        ("Crow, The: Wicked Prayer", "The Crow: Wicked Prayer"),
        ("Human Centipede, The (First Sequence)", "The Human Centipede (First Sequence)"),
        ("Assedio, L'", "L'Assedio"),
        ("Vitelloni, I", "I Vitelloni"),
        ("Me, Myself and Irene", "Me, Myself and Irene"),
        ("Hello, Dolly!", "Hello, Dolly!"),
    ],
)
def test_front_article(movielens: str, natural: str) -> None:
    assert bc.front_article(movielens) == natural


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Amélie", "AMELIE"),
        ("Harold & Kumar Go to White Castle", "Harold and Kumar Go to White Castle"),
        ("Ocean's Eleven", "Oceans Eleven"),
        ("Ocean\u2019s Eleven", "Ocean's Eleven"),
        ("Star Wars: Episode III \u2013 Revenge of the Sith", "Star Wars: Episode III - Revenge of the Sith"),
        ("Rocky IV", "Rocky 4"),
        ("Kill Bill: Vol. 1", "Kill Bill: Volume 1"),
        ("Guardians of the Galaxy Vol. 2", "Guardians of the Galaxy 2"),
        ("  Spider-Man  ", "Spider Man"),
    ],
)
def test_normalise_title_equates_spellings(left: str, right: str) -> None:
    assert bc.normalise_title(left) == bc.normalise_title(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Mother!", "Mother's Day"),
        ("I Spit on Your Grave", "Spit on Your Grave"),
        ("Alien", "Aliens"),
        ("Godfather", "The Godfather"),
    ],
)
def test_normalise_title_keeps_different_titles_apart(left: str, right: str) -> None:
    assert bc.normalise_title(left) != bc.normalise_title(right)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Matrix, The (1999)", ("Matrix, The", 1999)),
        ("Seven (a.k.a. Se7en) (1995)", ("Seven (a.k.a. Se7en)", 1995)),
        ("Death Note: Desu nôto (2006\u20132007)", ("Death Note: Desu nôto", 2006)),
        ("Babylon 5", ("Babylon 5", None)),
        ("1900 (Novecento) (1976)", ("1900 (Novecento)", 1976)),
        ("Big Hero 6 (2014) ", ("Big Hero 6", 2014)),
    ],
)
def test_split_movielens_title(raw: str, expected: tuple[str, int | None]) -> None:
    assert bc.split_movielens_title(raw) == expected


def test_movielens_title_keys_include_alternative_titles() -> None:
    assert {"seven", "se7en"} <= bc.movielens_title_keys("Seven (a.k.a. Se7en)")
    assert {"leon the professional", "the professional", "leon"} <= bc.movielens_title_keys(
        "Léon: The Professional (a.k.a. The Professional) (Léon)"
    )
    assert "the gates of hell" in bc.movielens_title_keys(
        "City of the Living Dead (a.k.a. Gates of Hell, The) (Paura nella città dei morti viventi)"
    )
    assert "the city of lost children" in bc.movielens_title_keys(
        "City of Lost Children, The (Cité des enfants perdus, La)"
    )


def test_movielens_title_keys_for_star_wars_episodes() -> None:
    keys = bc.movielens_title_keys("Star Wars: Episode V - The Empire Strikes Back")
    assert {"the empire strikes back", "star wars the empire strikes back"} <= keys
    assert bc.normalise_title("Star Wars: The Force Awakens") in bc.movielens_title_keys(
        "Star Wars: Episode VII - The Force Awakens"
    )


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("<http://dbpedia.org/resource/The_Witch_(2015_film)>", ("The Witch", 2015, "2015 film")),
        ("<http://dbpedia.org/resource/Alien_(film)>", ("Alien", None, "film")),
        ("<http://dbpedia.org/resource/Blade_Runner>", ("Blade Runner", None, None)),
        ("<http://dbpedia.org/resource/Frozen_(2010_American_film)>", ("Frozen", 2010, "2010 American film")),
        ("<http://dbpedia.org/resource/O_Brother,_Where_Art_Thou%3F>", ("O Brother, Where Art Thou?", None, None)),
        ("<http://dbpedia.org/resource/Avatar_(newspaper)>", ("Avatar (newspaper)", None, None)),
        ("<http://dbpedia.org/resource/Star_Wars_(film_series)>", ("Star Wars (film series)", None, None)),
    ],
)
def test_parse_dbpedia_film(uri: str, expected: tuple[str, int | None, str | None]) -> None:
    name = bc.resource_name(uri)
    assert name is not None
    assert bc.parse_dbpedia_film(name) == expected


def test_resource_name_skips_literals_and_other_namespaces() -> None:
    assert bc.resource_name('"1999"^^<http://www.w3.org/2001/XMLSchema#gYear>') is None
    assert bc.resource_name("<http://dbpedia.org/ontology/director>") is None
    assert bc.resource_name("") is None


@pytest.mark.parametrize(
    ("uri", "field_name", "expected"),
    [
        ("<http://dbpedia.org/resource/Harrison_Ford_(actor)>", "cast", "Harrison Ford"),
        ("<http://dbpedia.org/resource/Eddie_%22Rochester%22_Anderson>", "cast", 'Eddie "Rochester" Anderson'),
        ("<http://dbpedia.org/resource/English_language>", "languages", "English"),
        ("<http://dbpedia.org/resource/English_(language)>", "languages", "English"),
        ("<http://dbpedia.org/resource/American_Sign_Language>", "languages", "American Sign Language"),
        ("<http://dbpedia.org/resource/English_people>", "languages", None),
        ("<http://dbpedia.org/resource/Cinema_of_Italy>", "languages", None),
        ("<http://dbpedia.org/resource/Cinema_of_the_United_States>", "countries", "United States"),
        ("<http://dbpedia.org/resource/United_Kingdom>", "countries", "United Kingdom"),
        ("<http://dbpedia.org/resource/List_of_highest-grossing_films_in_Japan>", "countries", None),
        ("<http://dbpedia.org/resource/Warner_Bros._Pictures>", "studios", "Warner Bros. Pictures"),
    ],
)
def test_value_name(uri: str, field_name: str, expected: str | None) -> None:
    assert bc.value_name(uri, field_name) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Dark   Comedy ", "dark comedy"),
        ("Sci-Fi", "sci-fi"),
        ("007", None),
        ("!!!", None),
        ("mindfuck", None),
        ("Fucked up", None),
        ("assassination", "assassination"),
    ],
)
def test_normalise_tag(raw: str, expected: str | None) -> None:
    assert bc.normalise_tag(raw) == expected


def test_item_fields_are_schema_fields() -> None:
    assert set(bc.ITEM_FIELDS) <= MOVIE_SCHEMA.field_names


# ---------------------------------------------------------------------------
# The join, on hand-made entities
# ---------------------------------------------------------------------------


def _movie(movie_id: int, raw_title: str) -> object:
    title, year = bc.split_movielens_title(raw_title)
    return bc.Movie(movie_id, title, year, [], bc.movielens_title_keys(title))


def _film(entity_id: int, name: str, is_film: bool = True) -> object:
    title, year, disambiguation = bc.parse_dbpedia_film(name)
    return bc.DbpediaFilm(entity_id, name, title, year, disambiguation, is_film)


def _pairs(movie_titles: list[str], film_names: list[str], non_films: tuple[str, ...] = ()) -> dict[str, str]:
    movies = {index: _movie(index, title) for index, title in enumerate(movie_titles)}
    films = [_film(index, name, name not in non_films) for index, name in enumerate(film_names)]
    matches = bc.match_entities(movies, films)
    return {movie_titles[movie_id]: film.name for movie_id, (film, _level) in matches.items()}


def test_join_uses_the_year_to_tell_remakes_apart() -> None:
    pairs = _pairs(["Psycho (1960)", "Psycho (1998)"], ["Psycho (1998 film)", "Psycho (1960 film)"])
    assert pairs == {"Psycho (1960)": "Psycho (1960 film)", "Psycho (1998)": "Psycho (1998 film)"}


def test_join_never_pairs_a_year_one_off() -> None:
    assert _pairs(["Foul Play (1978)"], ["Foul Play (1977 film)"]) == {}


def test_join_pairs_a_yearless_entity_only_with_a_unique_title() -> None:
    assert _pairs(["Alien (1979)"], ["Alien (film)"]) == {"Alien (1979)": "Alien (film)"}
    assert _pairs(["Fright Night (1985)", "Fright Night (2011)"], ["Fright Night"]) == {}


def test_join_lets_year_bearing_entities_settle_remakes_first() -> None:
    pairs = _pairs(["Ghostbusters (1984)", "Ghostbusters (2016)"], ["Ghostbusters", "Ghostbusters (2016 film)"])
    assert pairs == {"Ghostbusters (1984)": "Ghostbusters", "Ghostbusters (2016)": "Ghostbusters (2016 film)"}


def test_join_repeats_the_unique_title_level_until_settled() -> None:
    movies = ["Ocean's Eleven (a.k.a. Ocean's 11) (1960)", "Ocean's Eleven (2001)"]
    pairs = _pairs(movies, ["Ocean's Eleven", "Ocean's 11"])
    assert pairs == {movies[0]: "Ocean's 11", movies[1]: "Ocean's Eleven"}


def test_join_refuses_a_film_that_fits_two_movies() -> None:
    assert _pairs(["Emma (1996)", "Emma (1996) "], ["Emma (1996 film)"]) == {}


def test_join_refuses_two_equal_films_for_one_movie() -> None:
    assert _pairs(["Frozen (2010)"], ["Frozen (2010 American film)", "Frozen (2010 Indian film)"]) == {}


def test_join_prefers_the_plain_film_title_among_yearless_claimants() -> None:
    pairs = _pairs(["Friends with Benefits (2011)"], ["Friends (With Benefits)", "Friends with Benefits (film)"])
    assert pairs == {"Friends with Benefits (2011)": "Friends with Benefits (film)"}
    pairs = _pairs(["Dracula (1931)"], ["Dracula", "Dracula (film)"], non_films=("Dracula",))
    assert pairs == {"Dracula (1931)": "Dracula (film)"}


def test_join_ignores_unreleased_films() -> None:
    assert _pairs(["Rocky (1976)"], ["Rocky (upcoming film)"]) == {}


def test_join_lets_an_entity_without_facts_hold_its_movie() -> None:
    pairs = _pairs(["Usual Suspects, The (1995)"], ["The Usual Suspects"], non_films=("The Usual Suspects",))
    assert pairs == {"Usual Suspects, The (1995)": "The Usual Suspects"}


# ---------------------------------------------------------------------------
# A real build
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(datasets_dir: Path) -> tuple[Path, Path]:
    """MovieLens and ReDial DBpedia folders; ``datasets_dir`` (conftest) skips when the env var is unset."""
    movielens, dbpedia = datasets_dir / "movielens-latest-small", datasets_dir / "redial" / "dbpedia"
    for folder in (movielens, dbpedia):
        if not folder.is_dir():
            pytest.skip(f"{folder} is missing under CONCIERGE_DATASETS_DIR")
    return movielens, dbpedia


@pytest.fixture(scope="module")
def built(datasets: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalogue")
    bc.build(*datasets, out)
    return out


@pytest.fixture(scope="module")
def built_catalogue(built: Path) -> Catalogue:
    return load_catalogue(built)


def test_build_loads_with_the_catalogue_reader(built_catalogue: Catalogue) -> None:
    assert len(built_catalogue) == MOVIELENS_ITEMS
    assert len(built_catalogue.interactions) == MOVIELENS_RATINGS


def test_build_joins_the_matrix(built_catalogue: Catalogue) -> None:
    matrix = _by_title(built_catalogue, "Matrix, The", 1999)
    assert matrix.id == "2571"
    assert any("Wachowski" in director for director in matrix.values("directors"))
    assert "Keanu Reeves" in matrix.values("cast")
    assert "Action" in matrix.values("genres")


def test_build_joins_blade_runner(built_catalogue: Catalogue) -> None:
    assert "Ridley Scott" in _by_title(built_catalogue, "Blade Runner", 1982).values("directors")


def test_build_keeps_lists_short(built_catalogue: Catalogue) -> None:
    assert max(len(item.values("cast")) for item in built_catalogue.items.values()) <= bc.MAX_CAST
    assert max(len(item.values("tags")) for item in built_catalogue.items.values()) <= bc.MAX_TAGS


def test_build_is_byte_for_byte_deterministic(built: Path, datasets: tuple[Path, Path], tmp_path: Path) -> None:
    bc.build(*datasets, tmp_path)
    for name in CATALOGUE_FILES:
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


def test_committed_demo_is_the_current_build(built: Path) -> None:
    for name in CATALOGUE_FILES:
        assert (DEMO_CATALOGUE / name).read_bytes() == (built / name).read_bytes(), (
            f"data/demo/{name} is stale: rebuild with data/build_catalogue.py"
        )


# ---------------------------------------------------------------------------
# The committed demo catalogue
# ---------------------------------------------------------------------------


def test_committed_demo_catalogue_loads() -> None:
    catalogue = load_catalogue(DEMO_CATALOGUE)
    assert len(catalogue) == MOVIELENS_ITEMS
    assert len(catalogue.interactions) == MOVIELENS_RATINGS
    assert "Ridley Scott" in _by_title(catalogue, "Blade Runner", 1982).values("directors")


def test_data_folder_stays_small() -> None:
    size = sum(path.stat().st_size for path in (REPO_ROOT / "data").rglob("*") if path.is_file())
    assert size < 10 * 1024 * 1024
