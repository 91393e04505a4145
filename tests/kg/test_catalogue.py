"""The catalogue reader rejects malformed rows with file, line and reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kg.catalogue import Catalogue, CatalogueError, load_catalogue, natural_title

pytestmark = pytest.mark.fast

GOOD_ITEM = {"id": "1", "title": "Matrix, The", "year": 1999, "genres": ["Action", "Sci-Fi"]}
HEADER = "user_id,item_id,rating,timestamp\n"


def write_catalogue(directory: Path, item_lines: list[str], interaction_lines: list[str], gz: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    items = "\n".join(item_lines) + "\n"
    interactions = HEADER + "".join(f"{line}\n" for line in interaction_lines)
    if gz:
        (directory / "items.jsonl.gz").write_bytes(gzip.compress(items.encode()))
        (directory / "interactions.csv.gz").write_bytes(gzip.compress(interactions.encode()))
    else:
        (directory / "items.jsonl").write_text(items)
        (directory / "interactions.csv").write_text(interactions)
    return directory


def test_reads_plain_and_gzip(tmp_path: Path) -> None:
    for gz in (False, True):
        directory = write_catalogue(tmp_path / str(gz), [json.dumps(GOOD_ITEM)], ["u1,1,4.5,100"], gz=gz)
        catalogue = load_catalogue(directory)
        item = catalogue.items["1"]
        assert item.display_title == "The Matrix (1999)"
        assert item.values("genres") == ("Action", "Sci-Fi")
        assert catalogue.interactions[0].rating == 4.5


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "invalid JSON"),
        (json.dumps({"title": "No id"}), "'id'"),
        (json.dumps({"id": "2", "title": ""}), "'title'"),
        (json.dumps({"id": "2", "title": "X", "year": "1999"}), "'year'"),
        (json.dumps({"id": "2", "title": "X", "year": 3000}), "'year'"),
        (json.dumps({"id": "2", "title": "X", "budget": ["1"]}), "unknown field 'budget'"),
        (json.dumps({"id": "2", "title": "X", "genres": "Drama"}), "list of non-empty strings"),
        (json.dumps({"id": "1", "title": "Duplicate"}), "duplicate item id '1'"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_malformed_item_names_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    directory = write_catalogue(tmp_path, [json.dumps(GOOD_ITEM), "", line], ["u1,1,4,1"])
    with pytest.raises(CatalogueError) as error:
        load_catalogue(directory)
    assert error.value.line == 3
    assert error.value.path.name == "items.jsonl"
    assert reason in str(error.value)
    assert "items.jsonl:3: " in str(error.value)


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        (["u1,1,4,1", "u1,99,4,1"], 3, "item_id '99' is not in the items file"),
        (["u1,1,four,1"], 2, "rating must be a number"),
        (["u1,1,4"], 2, "expected 4 columns"),
        ([",1,4,1"], 2, "empty user_id"),
    ],
)
def test_malformed_interaction_names_line(tmp_path: Path, rows: list[str], line: int, reason: str) -> None:
    directory = write_catalogue(tmp_path, [json.dumps(GOOD_ITEM)], rows)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(directory)
    assert error.value.line == line
    assert reason in error.value.reason


def test_mention_counts_are_read_when_the_catalogue_has_them(tmp_path: Path) -> None:
    second = {**GOOD_ITEM, "id": "2", "title": "Second"}
    directory = write_catalogue(tmp_path, [json.dumps(GOOD_ITEM), json.dumps(second)], [])
    assert load_catalogue(directory).mentions == {}
    (directory / "mentions.csv.gz").write_bytes(gzip.compress(b"item_id,mentions\n1,12\n2,0\n"))
    assert load_catalogue(directory).mentions == {"1": 12, "2": 0}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("item,count\n1,3\n", 1, "header must be item_id,mentions"),
        ("item_id,mentions\n1,3\n99,2\n", 3, "item_id '99' is not in the items file"),
        ("item_id,mentions\n1,-3\n", 2, "mentions must be a non-negative integer"),
        ("item_id,mentions\n1,many\n", 2, "mentions must be a non-negative integer"),
        ("item_id,mentions\n1,3\n1,4\n", 3, "item_id '1' is listed twice"),
        ("item_id,mentions\n1\n", 2, "expected 2 columns"),
    ],
)
def test_malformed_mention_counts_name_the_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    directory = write_catalogue(tmp_path, [json.dumps(GOOD_ITEM)], [])
    (directory / "mentions.csv").write_text(text)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(directory)
    assert error.value.line == line
    assert reason in error.value.reason


def test_missing_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="does not exist"):
        load_catalogue(tmp_path / "nowhere")
    tmp_path.joinpath("empty").mkdir()
    with pytest.raises(CatalogueError, match=r"missing catalogue file items\.jsonl"):
        load_catalogue(tmp_path / "empty")


@pytest.mark.parametrize(
    ("stored", "natural"),
    [
        ("Matrix, The", "The Matrix"),
        ("Amelie (Fabuleux destin d'Amélie Poulain, Le)", "Amelie (Fabuleux destin d'Amélie Poulain, Le)"),
        ("Lord of the Rings: The Fellowship of the Ring, The", "The Lord of the Rings: The Fellowship of the Ring"),
        ("Blade Runner", "Blade Runner"),
        ("Dolce Vita, La", "La Dolce Vita"),
    ],
)
def test_natural_title(stored: str, natural: str) -> None:
    assert natural_title(stored) == natural


def test_demo_catalogue_is_complete(demo_catalogue: Catalogue) -> None:
    assert len(demo_catalogue) == 9742
    assert len(demo_catalogue.interactions) == 100836
    matrix = next(item for item in demo_catalogue.items.values() if item.display_title == "The Matrix (1999)")
    assert "Keanu Reeves" in matrix.values("cast")
