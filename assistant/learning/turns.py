"""Recommendation turns of real conversations, the material the assistant learns its ranking from.

A turn is the dialogue so far (``context``, the seeker's utterance last), the
items mentioned in it (``entity``) and the items the human recommender named
next (``rec``), one JSON object per line, as ReDial's and OpenDialKG's turn
files ship them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class TurnsFileError(ValueError):
    """A turns file that cannot be read as turns; the message names the file and line."""


@dataclass(frozen=True)
class ConversationTurn:
    """One recommendation turn: the dialogue so far and the items the recommender then named."""

    dialog_id: str
    context: tuple[str, ...]
    entities: tuple[str, ...]
    rec: tuple[str, ...]


def read_turns(path: Path) -> Iterator[ConversationTurn]:
    """Every turn of a turns file; a line without ``dialog_id``, ``context`` or ``rec`` is an error naming it."""
    if not Path(path).is_file():
        raise TurnsFileError(f"{path}: no such turns file")
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = json.loads(line)
                yield ConversationTurn(
                    str(row["dialog_id"]), tuple(row["context"]), tuple(row.get("entity", ())), tuple(row["rec"])
                )
            except KeyError as exc:
                raise TurnsFileError(f"{path}:{number}: a turn needs {exc.args[0]!r}") from exc
            except (json.JSONDecodeError, TypeError) as exc:
                raise TurnsFileError(f"{path}:{number}: not a turn ({exc})") from exc
