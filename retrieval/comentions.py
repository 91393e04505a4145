"""Conversation co-mentions: what people who liked a film were recommended in real conversations, and liked.

Counted by ``concierge learn-comentions`` from recommendation dialogues: in
how many dialogues a seeker who had mentioned (and, where the data says, liked)
film X was then recommended film Y (and, where it says, liked Y).  That is a
collaborative signal from conversations rather than ratings, with its own
evidence: "recommended to 14 people who also liked Heat".

Scores are conditional shares, P(Y recommended | X mentioned), summed over the
person's liked films and scaled to [0, 1] per request, so a film every
dialogue ends up recommending does not outrank the film recommended after
exactly these ones.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

FORMAT = 1


@dataclass(frozen=True)
class CoMentionSignal:
    """Why the co-mention source proposed an item: the liked film it was most often recommended after."""

    source_item_id: str
    people: int


class CoMentionIndex:
    """Liked film -> recommended film -> number of dialogues."""

    def __init__(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        self._counts = {source: dict(targets) for source, targets in counts.items() if targets}
        self._totals = {source: sum(targets.values()) for source, targets in self._counts.items()}

    def __len__(self) -> int:
        return len(self._counts)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return self._counts

    def related(self, liked_ids: Sequence[str], k: int) -> dict[str, tuple[float, CoMentionSignal]]:
        """Up to ``k`` films recommended after the liked ones, with a score in (0, 1] and the strongest source."""
        scores: dict[str, float] = defaultdict(float)
        strongest: dict[str, CoMentionSignal] = {}
        excluded = set(liked_ids)
        for source in liked_ids:
            targets = self._counts.get(source, {})
            total = self._totals.get(source, 0)
            for target, people in targets.items():
                if target in excluded:
                    continue
                scores[target] += people / total
                current = strongest.get(target)
                if current is None or people > current.people:
                    strongest[target] = CoMentionSignal(source, people)
        if not scores:
            return {}
        top = max(scores.values())
        best = sorted(scores, key=lambda item_id: (-scores[item_id], item_id))[:k]
        return {item_id: (scores[item_id] / top, strongest[item_id]) for item_id in best}

    def save(self, path: Path) -> None:
        """Gzipped JSON, written beside ``path`` and moved into place whole.

        No time stamp or file name in the gzip header: the same counts give the same bytes, so a rebuilt
        shipped file shows in ``git diff`` only when the counts changed.
        """
        text = json.dumps({"format": FORMAT, "counts": self._counts}, sort_keys=True)
        temporary = path.with_name(f"{path.name}.tmp")
        with open(temporary, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
            handle.write(text.encode("utf-8"))
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> CoMentionIndex:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: co-mention format {data.get('format')!r}, expected {FORMAT}")
        return cls(
            {str(source): {str(t): int(n) for t, n in targets.items()} for source, targets in data["counts"].items()}
        )
