"""Recommendation turns of real conversations, the material the assistant learns from.

A turn is the dialogue so far (``context``, the seeker's utterance last), the
items mentioned in it (``entity``) and the items the human recommender named
next (``rec``), one JSON object per line, as ReDial's and OpenDialKG's turn
files ship them.  A file of raw ReDial dialogues (``movieMentions`` and
``messages`` per line, as ReDial's training split ships) is cut into the same
turns, and its seekers' answers say which recommended movies they liked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TurnsFileError(ValueError):
    """A turns file that cannot be read as turns; the message names the file and line."""


@dataclass(frozen=True)
class ConversationTurn:
    """One recommendation turn: the dialogue so far and the items the recommender then named."""

    dialog_id: str
    context: tuple[str, ...]
    entities: tuple[str, ...]
    rec: tuple[str, ...]
    liked: tuple[str, ...] | None = None
    """Names among ``rec`` and ``entities`` that the seeker said they liked; None where the data does not say
    (only raw ReDial dialogues with the seeker's answers do)."""

    def by_seeker(self, position: int) -> bool:
        """Whether the utterance at ``position`` is the seeker's: the last one is, then every other."""
        return (len(self.context) - 1 - position) % 2 == 0

    def seeker_text(self) -> str:
        """Everything the seeker said so far, in order: what the assistant would have heard."""
        return " ".join(text for position, text in enumerate(self.context) if self.by_seeker(position) and text.strip())


def _redial_name(names: dict[str, str], match: re.Match[str]) -> str:
    return names.get(match.group(1), match.group(0))


def redial_dialogue_turns(dialogue: dict[str, Any]) -> Iterator[ConversationTurn]:
    """Each recommender stretch of a raw ReDial dialogue that names a movie not named before, as a turn.

    Consecutive messages of one speaker are joined, so speakers alternate as
    the replay expects, and ``@123`` references become the movies' names.
    """
    names = {key: " ".join(value.split()) for key, value in dialogue["movieMentions"].items()}
    answers = dialogue.get("initiatorQuestions") or dialogue.get("respondentQuestions") or {}
    liked = tuple(names[key] for key, answer in answers.items() if key in names and answer.get("liked") == 1)
    said = bool(answers)
    seeker = dialogue["initiatorWorkerId"]
    stretches: list[tuple[bool, str, list[str]]] = []
    for message in dialogue["messages"]:
        by_seeker = message["senderWorkerId"] == seeker
        text = re.sub(r"@(\d+)", lambda match: _redial_name(names, match), " ".join(message["text"].split()))
        movies = [names[key] for key in re.findall(r"@(\d+)", message["text"]) if key in names]
        if stretches and stretches[-1][0] == by_seeker:
            stretches[-1] = (by_seeker, f"{stretches[-1][1]} {text}", stretches[-1][2] + movies)
        else:
            stretches.append((by_seeker, text, movies))
    mentioned: list[str] = []
    for index, (by_seeker, _, movies) in enumerate(stretches):
        new = [movie for movie in dict.fromkeys(movies) if movie not in mentioned]
        if not by_seeker and new and index > 0:
            context = tuple(text for _, text, _ in stretches[:index])
            if not stretches[index - 1][0]:
                context = (*context, "")
            yield ConversationTurn(
                str(dialogue.get("conversationId", "")),
                context,
                tuple(mentioned),
                tuple(new),
                tuple(name for name in liked if name in new or name in mentioned) if said else None,
            )
        mentioned += [movie for movie in dict.fromkeys(movies) if movie not in mentioned]


def _turns_of_line(row: dict[str, Any]) -> Iterator[ConversationTurn]:
    if "messages" in row and "movieMentions" in row:
        yield from redial_dialogue_turns(row)
        return
    yield ConversationTurn(
        str(row["dialog_id"]), tuple(row["context"]), tuple(row.get("entity", ())), tuple(row["rec"])
    )


def read_turns(path: Path) -> Iterator[ConversationTurn]:
    """Every turn of a turns file (or raw ReDial dialogues file); a line that is neither is an error naming it."""
    if not Path(path).is_file():
        raise TurnsFileError(f"{path}: no such turns file")
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield from _turns_of_line(json.loads(line))
            except KeyError as exc:
                raise TurnsFileError(f"{path}:{number}: a turn needs {exc.args[0]!r}") from exc
            except (json.JSONDecodeError, TypeError, AttributeError) as exc:
                raise TurnsFileError(f"{path}:{number}: not a turn ({exc})") from exc
