"""What the scorer knows about items, independent of any user.

Item vectors (sentence embeddings of the item text), attribute incidence
matrices grouped as the scorer's features use them (genres, people, tags),
release years, popularity and an item-item co-occurrence matrix from the
interaction log.  Everything is indexed 1..n like the sequence model, with
row 0 for padding, so that a feature for every item is one matrix product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from kg.catalogue import Item
from kg.schema import CatalogueSchema

ATTRIBUTE_GROUPS: tuple[str, ...] = ("genres", "people", "tags")
TREND_DAYS = 30
TRANSITION_WINDOW = 5
TRANSITION_DECAY = 0.7


def attribute_groups(schema: CatalogueSchema) -> dict[str, tuple[str, ...]]:
    """Schema fields behind each attribute feature: genres, people (every person field) and tags."""
    person_fields = tuple(sorted(schema.person_fields))
    return {
        "genres": tuple(field for field in ("genres",) if field in schema.field_names),
        "people": person_fields,
        "tags": tuple(field for field in ("tags",) if field in schema.field_names),
    }


@dataclass
class ItemSide:
    """Per-item inputs of the scorer's features, rows 1..n (row 0 is padding)."""

    item_ids: tuple[str, ...]
    vectors: NDArray[np.float32]
    attributes: dict[str, sparse.csr_matrix]
    attribute_names: dict[str, tuple[str, ...]]
    attribute_fields: dict[str, tuple[str, ...]]
    years: NDArray[np.float32]
    interaction_counts: NDArray[np.int64]
    co_occurrence: sparse.csr_matrix
    transitions: sparse.csr_matrix
    event_times: NDArray[np.int64]
    event_items: NDArray[np.int64]

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def index_of(self) -> dict[str, int]:
        return {item_id: index for index, item_id in enumerate(self.item_ids, start=1)}

    @property
    def popularity(self) -> NDArray[np.float32]:
        """log(1 + interactions), scaled to at most 1."""
        logs = np.log1p(self.interaction_counts)
        return (logs / max(float(logs.max()), 1.0)).astype(np.float32)

    def trend(self, at_time: int) -> NDArray[np.float32]:
        """log(1 + interactions in the ``TREND_DAYS`` before ``at_time``), scaled to at most 1.

        What people were watching at the moment matters: a user active in
        2015 meets the 2015 releases.  A moment after the log ends gives zeros.
        """
        low = np.searchsorted(self.event_times, at_time - TREND_DAYS * 86_400)
        high = np.searchsorted(self.event_times, at_time, side="right")
        counts = np.log1p(np.bincount(self.event_items[low:high], minlength=self.n_items + 1)).astype(np.float32)
        return counts / max(float(counts.max()), 1.0)


def _incidence(items: Sequence[Item | None], fields: Sequence[str]) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, item in enumerate(items, start=1):
        if item is None:
            continue
        values = {value.casefold() for field in fields for value in item.values(field)}
        for value in sorted(values):
            rows.append(row)
            columns.append(vocabulary.setdefault(value, len(vocabulary)))
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)),
        shape=(len(items) + 1, max(len(vocabulary), 1)),
    )
    return matrix, tuple(vocabulary)


def co_occurrence_matrix(histories: Sequence[Sequence[int]], n_items: int) -> sparse.csr_matrix:
    """Cosine-normalised item-item co-occurrence over users' histories (ItemKNN's similarity)."""
    rows = [user for user, history in enumerate(histories) for _ in history]
    columns = [item for history in histories for item in history]
    users = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)),
        shape=(max(len(histories), 1), n_items + 1),
    )
    users.data[:] = 1.0
    counts = np.asarray(users.sum(axis=0)).ravel()
    co = (users.T @ users).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    return _count_normalised(co, counts)


def _count_normalised(
    matrix: sparse.csr_matrix, counts: NDArray[np.integer] | NDArray[np.float64]
) -> sparse.csr_matrix:
    scale = sparse.diags(1.0 / np.sqrt(np.maximum(counts, 1.0)))
    return (scale @ matrix @ scale).astype(np.float32).tocsr()


def transition_matrix(histories: Sequence[Sequence[int]], n_items: int) -> sparse.csr_matrix:
    """Items that follow one another closely in histories, both directions.

    A pair ``d`` positions apart counts ``TRANSITION_DECAY ** (d - 1)``, up to
    ``TRANSITION_WINDOW``; people rate in sessions, so neighbours in time are
    the strongest hint of what comes next.
    """
    rows: list[NDArray[np.int64]] = []
    columns: list[NDArray[np.int64]] = []
    values: list[NDArray[np.float32]] = []
    for history in histories:
        sequence = np.asarray(history, dtype=np.int64)
        for distance in range(1, min(TRANSITION_WINDOW, len(sequence) - 1) + 1):
            rows.append(sequence[:-distance])
            columns.append(sequence[distance:])
            values.append(
                np.full(
                    len(sequence) - distance,
                    TRANSITION_DECAY ** (distance - 1),
                    np.float32,
                )
            )
    shape = (n_items + 1, n_items + 1)
    if not rows:
        return sparse.csr_matrix(shape, dtype=np.float32)
    forward = sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=shape,
    )
    counts = np.bincount([item for history in histories for item in history], minlength=n_items + 1)
    return _count_normalised(forward + forward.T, counts)


def build_item_side(
    item_ids: Sequence[str],
    items: Mapping[str, Item],
    vectors: Mapping[str, NDArray[np.float32]],
    schema: CatalogueSchema,
    histories: Sequence[Sequence[int]],
    history_times: Sequence[Sequence[int]],
) -> ItemSide:
    """Assemble the item side for the vocabulary ``item_ids`` (index i+1 is ``item_ids[i]``).

    ``histories`` are training users' item-index sequences and
    ``history_times`` their timestamps; they give the popularity,
    co-occurrence, transition and trend statistics.  Items missing from ``items`` or
    ``vectors`` simply have no attributes or a zero vector.
    """
    catalogue_items = [items.get(item_id) for item_id in item_ids]
    dimension = len(next(iter(vectors.values()))) if vectors else 1
    matrix = np.zeros((len(item_ids) + 1, dimension), dtype=np.float32)
    for row, item_id in enumerate(item_ids, start=1):
        vector = vectors.get(item_id)
        if vector is not None:
            matrix[row] = vector
    attributes: dict[str, sparse.csr_matrix] = {}
    names: dict[str, tuple[str, ...]] = {}
    groups = attribute_groups(schema)
    for group, fields in groups.items():
        attributes[group], names[group] = _incidence(catalogue_items, fields)
    years = np.array(
        [0.0] + [float(item.year) if item and item.year else 0.0 for item in catalogue_items],
        np.float32,
    )
    events = np.asarray([item for history in histories for item in history], dtype=np.int64)
    times = np.asarray(
        [time for history, stamps in zip(histories, history_times, strict=True) for time in stamps[: len(history)]],
        dtype=np.int64,
    )
    order = np.argsort(times, kind="stable")
    return ItemSide(
        item_ids=tuple(item_ids),
        vectors=matrix,
        attributes=attributes,
        attribute_names=names,
        attribute_fields=groups,
        years=years,
        interaction_counts=np.bincount(events, minlength=len(item_ids) + 1),
        co_occurrence=co_occurrence_matrix(histories, len(item_ids)),
        transitions=transition_matrix(histories, len(item_ids)),
        event_times=times[order],
        event_items=events[order],
    )
