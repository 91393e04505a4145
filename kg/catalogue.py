"""The catalogue format: items and interactions, read strictly.

A catalogue is a directory with two files (plain or gzip-compressed):

``items.jsonl``  one JSON object per line::

    {"id": "2571", "title": "Matrix, The", "year": 1999,
     "genres": ["Action", "Sci-Fi"], "tags": ["cyberpunk"],
     "directors": ["Lana Wachowski"], "cast": ["Keanu Reeves"], ...}

  ``id`` (non-empty string, unique) and ``title`` are required; ``year`` is an
  integer or null; every other key must be an attribute field named by the
  graph schema (:mod:`kg.schema`) and hold a list of non-empty strings.

``interactions.csv``  header ``user_id,item_id,rating,timestamp``; ratings are
  numbers, timestamps integer seconds; ``item_id`` must name an item.

``mentions.csv``  optional, header ``item_id,mentions``: how often each item
  was recommended or asked about in conversations outside the rating log
  (ReDial's mention counts).  It is a popularity prior for items that people
  talk about but few have rated; ``item_id`` must name an item, counts are
  non-negative integers.

When the schema has a ``series`` field, items whose titles share a main title
("Toy Story", "Toy Story 2") are given it on loading (:mod:`kg.series`), unless
the file lists their series itself.

Reading is all-or-nothing: the first malformed row raises
:class:`CatalogueError` naming the file, the line and the reason, so that an
ingest can stop before it touches any index.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.schema import MOVIE_SCHEMA, CatalogueSchema
from kg.series import SERIES_FIELD, with_title_series
from kg.titles import natural_title

ITEMS_FILE = "items.jsonl"
INTERACTIONS_FILE = "interactions.csv"
MENTIONS_FILE = "mentions.csv"
MENTION_COLUMNS = ("item_id", "mentions")
INTERACTION_COLUMNS = ("user_id", "item_id", "rating", "timestamp")


class CatalogueError(ValueError):
    """A catalogue file is missing or a row is malformed; names file, line and reason."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Item:
    """One catalogue entry; ``attributes`` maps a schema field to its values."""

    id: str
    title: str
    year: int | None
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def values(self, field_name: str) -> tuple[str, ...]:
        return self.attributes.get(field_name, ())

    @property
    def display_title(self) -> str:
        """Title as people write it: 'The Matrix (1999)' rather than 'Matrix, The'."""
        title = natural_title(self.title)
        return f"{title} ({self.year})" if self.year else title


@dataclass(frozen=True)
class Interaction:
    user_id: str
    item_id: str
    rating: float
    timestamp: int


@dataclass(frozen=True)
class Catalogue:
    """Items by id plus the interaction log, as read from one directory."""

    directory: Path
    items: dict[str, Item]
    interactions: tuple[Interaction, ...]
    schema: CatalogueSchema
    mentions: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, item_id: str) -> Item | None:
        return self.items.get(item_id)


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def find_optional_file(directory: Path, name: str) -> Path | None:
    """``name`` or ``name.gz`` inside ``directory``, or None when neither exists."""
    return next((path for path in (directory / name, directory / f"{name}.gz") if path.is_file()), None)


def find_file(directory: Path, name: str) -> Path:
    """Return ``name`` or ``name.gz`` inside ``directory``."""
    path = find_optional_file(directory, name)
    if path is None:
        raise CatalogueError(directory / name, None, f"missing catalogue file {name} (or {name}.gz)")
    return path


def _parse_item(raw: object, path: Path, line: int, schema: CatalogueSchema) -> Item:
    if not isinstance(raw, dict):
        raise CatalogueError(path, line, "expected a JSON object")
    item_id = raw.get("id")
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        item_id = str(item_id)
    if not isinstance(item_id, str) or not item_id.strip():
        raise CatalogueError(path, line, "field 'id' must be a non-empty string")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise CatalogueError(path, line, "field 'title' must be a non-empty string")
    year = raw.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool) or not 1800 <= year <= 2100):
        raise CatalogueError(path, line, f"field 'year' must be an integer between 1800 and 2100 or null, got {year!r}")
    attributes: dict[str, tuple[str, ...]] = {}
    allowed = schema.field_names
    for key, value in raw.items():
        if key in ("id", "title", "year"):
            continue
        if key not in allowed:
            raise CatalogueError(path, line, f"unknown field {key!r}; the schema allows {sorted(allowed)}")
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CatalogueError(path, line, f"field {key!r} must be a list of non-empty strings")
        attributes[key] = tuple(dict.fromkeys(v.strip() for v in value))
    return Item(id=item_id.strip(), title=title.strip(), year=year, attributes=attributes)


def iter_items(path: Path, schema: CatalogueSchema = MOVIE_SCHEMA) -> Iterator[tuple[int, Item]]:
    """Yield (line number, item) from a JSONL file, raising on the first malformed line."""
    with _open_text(path) as handle:
        for line_number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogueError(path, line_number, f"invalid JSON ({exc.msg})") from None
            yield line_number, _parse_item(raw, path, line_number, schema)


def iter_interactions(path: Path, item_ids: set[str]) -> Iterator[Interaction]:
    """Yield interactions from a CSV file, raising on the first malformed row."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(column.strip() for column in header) != INTERACTION_COLUMNS:
            raise CatalogueError(path, 1, f"header must be {','.join(INTERACTION_COLUMNS)}")
        for row in reader:
            line_number = reader.line_num
            if len(row) != len(INTERACTION_COLUMNS):
                raise CatalogueError(path, line_number, f"expected 4 columns, got {len(row)}")
            user_id, item_id, rating_text, timestamp_text = (cell.strip() for cell in row)
            if not user_id:
                raise CatalogueError(path, line_number, "empty user_id")
            if item_id not in item_ids:
                raise CatalogueError(path, line_number, f"item_id {item_id!r} is not in the items file")
            try:
                rating = float(rating_text)
                timestamp = int(timestamp_text)
            except ValueError:
                raise CatalogueError(path, line_number, "rating must be a number and timestamp an integer") from None
            yield Interaction(user_id, item_id, rating, timestamp)


def iter_mentions(path: Path, item_ids: set[str]) -> Iterator[tuple[str, int]]:
    """Yield (item id, mention count) from a CSV file, raising on the first malformed row."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(column.strip() for column in header) != MENTION_COLUMNS:
            raise CatalogueError(path, 1, f"header must be {','.join(MENTION_COLUMNS)}")
        listed: set[str] = set()
        for row in reader:
            line_number = reader.line_num
            if len(row) != len(MENTION_COLUMNS):
                raise CatalogueError(path, line_number, f"expected 2 columns, got {len(row)}")
            item_id, count_text = (cell.strip() for cell in row)
            if item_id not in item_ids:
                raise CatalogueError(path, line_number, f"item_id {item_id!r} is not in the items file")
            if not count_text.isdigit():
                raise CatalogueError(path, line_number, f"mentions must be a non-negative integer, got {count_text!r}")
            if item_id in listed:
                raise CatalogueError(path, line_number, f"item_id {item_id!r} is listed twice")
            listed.add(item_id)
            yield item_id, int(count_text)


def load_catalogue(directory: Path, schema: CatalogueSchema = MOVIE_SCHEMA) -> Catalogue:
    """Read and validate a whole catalogue directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogueError(directory, None, "catalogue directory does not exist")
    items_path = find_file(directory, ITEMS_FILE)
    items: dict[str, Item] = {}
    for line_number, item in iter_items(items_path, schema):
        if item.id in items:
            raise CatalogueError(items_path, line_number, f"duplicate item id {item.id!r}")
        items[item.id] = item
    if not items:
        raise CatalogueError(items_path, None, "the catalogue has no items")
    if SERIES_FIELD in schema.field_names:
        items = with_title_series(items)
    interactions_path = find_file(directory, INTERACTIONS_FILE)
    interactions = tuple(iter_interactions(interactions_path, set(items)))
    mentions_path = find_optional_file(directory, MENTIONS_FILE)
    mentions = dict(iter_mentions(mentions_path, set(items))) if mentions_path is not None else {}
    return Catalogue(directory=directory, items=items, interactions=interactions, schema=schema, mentions=mentions)
