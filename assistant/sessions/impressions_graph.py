"""The impression log on the graph server, beside the sessions of :class:`~assistant.sessions.graph.GraphSessionStore`.

``(:ShownItem {list_id, session, item_id, position, score, context, propensity, explored, at})`` per item shown
and ``(:ItemReaction {event_id, list_id, item_id, kind, session, at})`` per reaction; a reaction is checked and
stored in one write transaction, so a replay is refused on every instance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from assistant.errors import ProfileStoreUnavailable
from assistant.sessions.impressions import Impression, Reaction, check_reaction
from kg.errors import GraphUnavailable
from kg.graph.impression_data import ImpressionData
from kg.store import GraphStore

T = TypeVar("T")


def _impression(row: Sequence[Any]) -> Impression:
    list_id, session_id, item_id, position, score, context, propensity, explored, at = row
    return Impression(
        list_id, session_id, item_id, int(position), score, json.loads(context), propensity, bool(explored), at
    )


class GraphImpressionLog:
    def __init__(self, graph: GraphStore) -> None:
        self._data = ImpressionData(graph.connection)

    def log_list(self, impressions: Sequence[Impression]) -> None:
        rows = [
            {
                "list_id": i.list_id,
                "session": i.session_id,
                "item_id": i.item_id,
                "position": i.position,
                "score": i.score,
                "context": json.dumps(i.context),
                "propensity": i.propensity,
                "explored": i.explored,
                "at": i.at,
            }
            for i in impressions
        ]
        self._guard(lambda: self._data.log_list(rows), "impressions")

    def log_reaction(self, reaction: Reaction) -> Reaction:
        def accept(rows: list[list[Any]], known: bool) -> None:
            check_reaction(reaction, [_impression(row) for row in rows], known)

        params = {
            "event": reaction.event_id,
            "list": reaction.list_id,
            "item": reaction.item_id,
            "kind": reaction.kind,
            "at": reaction.at or time.time(),
        }
        shown = self._guard(lambda: self._data.log_reaction(params, accept), "reaction")
        return Reaction(reaction.list_id, reaction.item_id, reaction.kind, shown[0][1], reaction.event_id, reaction.at)

    def latest_list_with(self, session_id: str, item_id: str) -> str | None:
        return self._guard(lambda: self._data.latest_list_with(session_id, item_id), "latest list")

    def session_log(self, session_id: str) -> tuple[list[Impression], list[Reaction]]:
        shown, reacted = self._guard(lambda: self._data.session_log(session_id), "session log")
        return _ordered(shown, reacted)

    def everything(self) -> tuple[list[Impression], list[Reaction]]:
        shown, reacted = self._guard(self._data.everything, "impression log")
        return _ordered(shown, reacted)

    def delete_session(self, session_id: str) -> None:
        self._guard(lambda: self._data.delete_session(session_id), "impression log delete")

    def _guard(self, call: Callable[[], T], what: str) -> T:
        try:
            return call()
        except GraphUnavailable as exc:
            raise ProfileStoreUnavailable(
                f"the impression log is on the graph server, which failed ({what}): {exc}"
            ) from exc


def _ordered(shown: list[list[Any]], reacted: list[list[Any]]) -> tuple[list[Impression], list[Reaction]]:
    impressions = sorted((_impression(row) for row in shown), key=lambda i: (i.at, i.list_id, i.position))
    reactions = sorted((Reaction(*row) for row in reacted), key=lambda r: (r.at, r.event_id))
    return impressions, reactions
