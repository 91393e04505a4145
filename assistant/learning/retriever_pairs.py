"""Training pairs for the dialogue-to-item retriever: what people said, and the item that answered it.

Two kinds of evidence, both from real people:

* conversations: each recommendation turn's seeker text (everything the
  seeker said so far, as the assistant hears it) paired with every movie the
  human recommender then named; a movie the seeker said they liked counts
  twice;
* tags: a MovieLens tag as a short request ("something feel-good") paired
  with each film people tagged with it, so moods and themes are learned from
  people's own words rather than matched as strings.

Items are found in the catalogue by normalised "Title (Year)" or an
unambiguous bare title; a pair whose item the catalogue lacks is dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.learning.replay import title_index
from assistant.learning.turns import ConversationTurn, read_turns
from assistant.understanding.linking import normalise
from kg.catalogue import Catalogue

MAX_QUERY_WORDS = 80
LIKED_WEIGHT = 2
TAG_REQUESTS = ("{tag}", "a {tag} movie", "something {tag}", "looking for a {tag} film")


@dataclass(frozen=True)
class RetrievalPair:
    query: str
    item_id: str
    source: str
    """Which data set the pair came from, for the training report."""
    group: str
    """The dialogue (or tag) it came from: held-out pairs are whole groups, never half a dialogue."""
    avoid: frozenset[str] = frozenset()
    """Items that must not serve as this pair's negative: the turn's other targets and what was mentioned."""


def query_text(text: str) -> str:
    """The last ``MAX_QUERY_WORDS`` words: the encoder truncates from the end, and the latest words matter most."""
    words = text.split()
    return " ".join(words[-MAX_QUERY_WORDS:])


def conversation_pairs(
    turns: Iterable[ConversationTurn], titles: Mapping[str, str], source: str
) -> Iterator[RetrievalPair]:
    """Seeker text -> each recommended catalogue item, liked ones twice."""
    for turn in turns:
        query = query_text(turn.seeker_text())
        if not query:
            continue
        targets = {name: titles.get(normalise(name)) for name in turn.rec}
        mentioned = {titles.get(normalise(name)) for name in turn.entities}
        avoid = frozenset(item_id for item_id in (*targets.values(), *mentioned) if item_id)
        liked = set(turn.liked or ())
        for name, item_id in targets.items():
            if item_id is None or item_id in mentioned:
                continue
            for _ in range(LIKED_WEIGHT if name in liked else 1):
                yield RetrievalPair(query, item_id, source, f"{source}:{turn.dialog_id}", avoid)


def movielens_titles(movies_csv: Path, titles: Mapping[str, str]) -> dict[str, str]:
    """MovieLens movie id -> catalogue item id, by the MovieLens 'Title (Year)'."""
    found: dict[str, str] = {}
    with open(movies_csv, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item_id = titles.get(normalise(row["title"]))
            if item_id is not None:
                found[row["movieId"]] = item_id
    return found


def tag_pairs(movielens_dir: Path, titles: Mapping[str, str]) -> Iterator[RetrievalPair]:
    """Each (tag, film) people applied, as a short request for that film; one pair per distinct tag and film."""
    items = movielens_titles(movielens_dir / "movies.csv", titles)
    seen: set[tuple[str, str]] = set()
    with open(movielens_dir / "tags.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tag = " ".join(row["tag"].split()).casefold()
            item_id = items.get(row["movieId"])
            if item_id is None or len(tag) < 3 or (tag, item_id) in seen:
                continue
            seen.add((tag, item_id))
            template = TAG_REQUESTS[len(seen) % len(TAG_REQUESTS)]
            yield RetrievalPair(template.format(tag=tag), item_id, "movielens-tags", f"tag:{tag}")


def training_pairs(turn_files: Sequence[Path], tags_dir: Path | None, catalogue: Catalogue) -> list[RetrievalPair]:
    """Every pair the turn files (turns or raw ReDial dialogues) and the MovieLens tags give for ``catalogue``."""
    titles = title_index(catalogue)
    pairs: list[RetrievalPair] = []
    for path in turn_files:
        pairs += conversation_pairs(read_turns(path), titles, Path(path).stem)
    if tags_dir is not None:
        pairs += tag_pairs(tags_dir, titles)
    return pairs
