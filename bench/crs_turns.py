"""Recommendation turns of the CRS data sets: a turns file as it is, or INSPIRED dialogues cut into turns.

A turn (:class:`~assistant.learning.turns.ConversationTurn`) is the dialogue
so far, the movies mentioned in it and the movies the recommender named next.
ReDial and OpenDialKG ship turns files.  ``python -m bench.crs_turns
--inspired DIALOGUES --out TURNS`` writes INSPIRED's turns in that format, for
``concierge fit-ranking``.  INSPIRED ships whole
dialogues with DBpedia links; each recommender utterance that links a movie
becomes a turn, after consecutive utterances of one speaker are joined so
that speakers alternate as the replay expects.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.learning.turns import ConversationTurn, read_turns
from bench.crs_catalogue import inspired_display_title, read_inspired_dialogues

SEEKER = "SEEKER"
RECOMMENDER = "RECOMMENDER"


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


def read_inspired_turns(path: Path) -> Iterator[ConversationTurn]:
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
            yield ConversationTurn(f"{path.stem}-{number}", context, entities, tuple(stretch.movies))


def read_dataset_turns(dataset: str, path: Path) -> Iterator[ConversationTurn]:
    """The turns of ``path``, read as the data set ships them."""
    return read_inspired_turns(path) if dataset == "inspired" else read_turns(path)


def write_turns(turns: Iterable[ConversationTurn], path: Path) -> int:
    """``turns`` as a turns file (JSON lines); returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for turn in turns:
            row = {"dialog_id": turn.dialog_id, "context": turn.context, "entity": turn.entities, "rec": turn.rec}
            handle.write(json.dumps(row) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write INSPIRED dialogues as a turns file (JSON lines).")
    parser.add_argument("--inspired", type=Path, required=True, help="an INSPIRED dialogues file")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    count = write_turns(read_inspired_turns(args.inspired), args.out)
    print(f"{count} turns written to {args.out}")


if __name__ == "__main__":
    main()
