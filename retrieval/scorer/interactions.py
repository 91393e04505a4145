"""Interaction logs as ordered per-user item sequences, and the leave-one-out split.

The split follows the LlamaRec protocol so that our figures compare with the
published ones: every rating is an implicit positive, one pass of 5-core
filtering (items first, then users), each user's items ordered by timestamp
with ties broken by item id, the last item held out for test and the
second-last for validation.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_COLUMN_ALIASES = {
    "user_id": ("user_id", "userId"),
    "item_id": ("item_id", "movieId"),
    "rating": ("rating",),
    "timestamp": ("timestamp",),
}


class ScorerInputError(ValueError):
    """An interaction log the scorer cannot train on: missing columns, malformed rows, too little data."""


@dataclass(frozen=True)
class Event:
    user_id: str
    item_id: str
    rating: float
    timestamp: int


def _column_index(header: Sequence[str], path: Path) -> dict[str, int]:
    positions = {name.strip(): index for index, name in enumerate(header)}
    resolved: dict[str, int] = {}
    for column, aliases in _COLUMN_ALIASES.items():
        found = next((positions[alias] for alias in aliases if alias in positions), None)
        if found is None:
            raise ScorerInputError(f"{path}: header lacks a {column!r} column (accepted names: {', '.join(aliases)})")
        resolved[column] = found
    return resolved


def read_events(path: Path) -> list[Event]:
    """Read a ratings CSV: the catalogue's ``user_id,item_id,rating,timestamp`` or MovieLens' ``userId,movieId,...``."""
    if not path.is_file():
        raise ScorerInputError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        header = next(reader, None)
        if header is None:
            raise ScorerInputError(f"{path}: empty file")
        columns = _column_index(header, path)
        events: list[Event] = []
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                events.append(
                    Event(
                        user_id=row[columns["user_id"]].strip(),
                        item_id=row[columns["item_id"]].strip(),
                        rating=float(row[columns["rating"]]),
                        timestamp=int(float(row[columns["timestamp"]])),
                    )
                )
            except (IndexError, ValueError) as error:
                raise ScorerInputError(f"{path}:{line_number}: malformed row {row!r} ({error})") from error
    return events


def five_core(events: Iterable[Event], min_count: int = 5) -> list[Event]:
    """One pass of k-core filtering, items then users, as LlamaRec does it."""
    events = list(events)
    item_counts = Counter(event.item_id for event in events)
    events = [event for event in events if item_counts[event.item_id] >= min_count]
    user_counts = Counter(event.user_id for event in events)
    return [event for event in events if user_counts[event.user_id] >= min_count]


def _item_sort_key(item_id: str) -> tuple[int, int | str]:
    return (0, int(item_id)) if item_id.isdigit() else (1, item_id)


def user_sequences(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Each user's events ordered by time, ties by item id (numeric ids numerically)."""
    by_user: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_user[event.user_id].append(event)
    return {
        user: sorted(
            user_events,
            key=lambda event: (event.timestamp, _item_sort_key(event.item_id)),
        )
        for user, user_events in sorted(by_user.items(), key=lambda entry: _item_sort_key(entry[0]))
    }


@dataclass(frozen=True)
class LeaveOneOutSplit:
    """Item indices 1..n_items (0 is padding); one sequence per user, in user order.

    ``train[u]`` is the history used to predict ``valid[u]``; the test history is
    ``train[u] + [valid[u]]`` and its target ``test[u]``.  ``times[u]`` holds the
    timestamps of ``train[u] + [valid[u], test[u]]``.
    """

    item_ids: tuple[str, ...]
    users: tuple[str, ...]
    train: tuple[tuple[int, ...], ...]
    valid: tuple[int, ...]
    test: tuple[int, ...]
    times: tuple[tuple[int, ...], ...]

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def index_of(self) -> dict[str, int]:
        return {item_id: index for index, item_id in enumerate(self.item_ids, start=1)}

    def test_history(self, user: int) -> tuple[int, ...]:
        return self.train[user] + (self.valid[user],)


def leave_one_out(events: Iterable[Event], min_count: int = 5) -> LeaveOneOutSplit:
    """The LlamaRec split of ``events``; users with fewer than three items are dropped."""
    sequences = {user: seq for user, seq in user_sequences(five_core(events, min_count)).items() if len(seq) >= 3}
    if not sequences:
        raise ScorerInputError(
            f"no user keeps {max(min_count, 3)} or more interactions after {min_count}-core filtering"
        )
    item_ids = tuple(
        sorted(
            {event.item_id for seq in sequences.values() for event in seq},
            key=_item_sort_key,
        )
    )
    index = {item_id: position for position, item_id in enumerate(item_ids, start=1)}
    users, train, valid, test, times = [], [], [], [], []
    for user, seq in sequences.items():
        indices = [index[event.item_id] for event in seq]
        users.append(user)
        train.append(tuple(indices[:-2]))
        valid.append(indices[-2])
        test.append(indices[-1])
        times.append(tuple(event.timestamp for event in seq))
    return LeaveOneOutSplit(item_ids, tuple(users), tuple(train), tuple(valid), tuple(test), tuple(times))
