"""Recommendation turns of the CRS data sets: a turns file as it is, or INSPIRED dialogues cut into turns.

A turn is the dialogue so far (``context``, the seeker's utterance last), the
movies mentioned in it (``entity``) and the movies the recommender named next
(``rec``).  ReDial and OpenDialKG ship turns files.  INSPIRED ships whole
dialogues with DBpedia links; each recommender utterance that links a movie
becomes a turn, after consecutive utterances of one speaker are joined so
that speakers alternate as the replay expects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.crs_catalogue import inspired_display_title, read_inspired_dialogues

SEEKER = "SEEKER"
RECOMMENDER = "RECOMMENDER"


@dataclass(frozen=True)
class Turn:
    """One recommendation turn: the dialogue so far and the movies the recommender then named."""

    dialog_id: str
    context: tuple[str, ...]
    entities: tuple[str, ...]
    rec: tuple[str, ...]


def read_turns(path: Path) -> Iterator[Turn]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            row = json.loads(line)
            try:
                yield Turn(str(row["dialog_id"]), tuple(row["context"]), tuple(row.get("entity", ())), tuple(row["rec"]))
            except KeyError as exc:
                raise ValueError(f"{path}:{number}: a turn needs {exc.args[0]!r}") from exc


@dataclass
class _Stretch:
    """Consecutive utterances of one speaker, joined."""

    role: str
    text: str
    movies: list[str]


def _stretches(dialogue: list[dict[str, Any]]) -> list[_Stretch]:
    stretches: list[_Stretch] = []
    for utterance in dialogue:
        text = " ".join(str(utterance.get("text", "")).split())
        titles = [title for title in map(inspired_display_title, utterance.get("movie_link", ())) if title]
        if stretches and stretches[-1].role == utterance["role"]:
            stretches[-1].text = f"{stretches[-1].text} {text}".strip()
            stretches[-1].movies += [title for title in titles if title not in stretches[-1].movies]
        else:
            stretches.append(_Stretch(utterance["role"], text, list(dict.fromkeys(titles))))
    return stretches


def read_inspired_turns(path: Path) -> Iterator[Turn]:
    """Every recommender utterance of every dialogue at ``path`` that links a movie, as a turn."""
    for number, dialogue in enumerate(read_inspired_dialogues(path), start=1):
        stretches = _stretches(dialogue)
        for index, stretch in enumerate(stretches):
            if stretch.role != RECOMMENDER or not stretch.movies:
                continue
            earlier = stretches[:index]
            context = tuple(part.text for part in earlier)
            if not earlier or earlier[-1].role != SEEKER:
                context = (*context, "")  # the replay reads the last utterance as the seeker's
            entities = tuple(dict.fromkeys(title for part in earlier for title in part.movies))
            yield Turn(f"{path.stem}-{number}", context, entities, tuple(stretch.movies))


def read_dataset_turns(dataset: str, path: Path) -> Iterator[Turn]:
    """The turns of ``path``, read as the data set ships them."""
    return read_inspired_turns(path) if dataset == "inspired" else read_turns(path)
