"""The one vocabulary of ranking features: what each is called, where it comes from, how "why" words it.

Every feature a ranker weighs lives in ``Candidate.features``.  The candidate
sources write theirs while the pool is built (``source`` and ``prior``
features); the trained scorer adds the ``profile`` features it computes from
the user's history before it ranks.  Both rankers read only that mapping, so
the trace of a turn shows exactly what was ranked on.  ``popularity`` is
written by the sources (the share of people who liked the item) and, when the
scorer ranks, replaced by the scorer's own popularity over its training log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FeatureOrigin = Literal["source", "prior", "profile", "request"]


@dataclass(frozen=True)
class RankingFeature:
    origin: FeatureOrigin
    """``source``: a candidate source found the item for this request; ``prior``: holds whoever asks;
    ``profile``: the trained scorer's reading of the user's history; ``request``: a soft preference of this
    request (a mood) scored on every candidate, found by no source."""
    label: str
    """Plain words for "why" answers."""


FEATURES: Mapping[str, RankingFeature] = {
    "vector": RankingFeature("source", "a description close to your words"),
    "graph": RankingFeature("source", "linked in the graph to what you like"),
    "collaborative": RankingFeature("source", "liked by people who liked your films"),
    "comention": RankingFeature("source", "recommended in conversations to people who liked your films"),
    "attributes": RankingFeature("source", "has what you asked for"),
    "popularity": RankingFeature("prior", "popularity"),
    "mentions": RankingFeature("prior", "often recommended in conversations"),
    "sequence": RankingFeature("profile", "what people went on to watch after the films you like"),
    "transitions": RankingFeature("profile", "watched in the same sittings as the films you like"),
    "co_liked": RankingFeature("profile", "rated by the same people as the films you like"),
    "content": RankingFeature("profile", "a description close to your films and your words"),
    "genres": RankingFeature("profile", "your genres"),
    "people": RankingFeature("profile", "people behind the films you like"),
    "tags": RankingFeature("profile", "tags of the films you like"),
    "era": RankingFeature("profile", "from the years of the films you like"),
    "trend": RankingFeature("profile", "popular in the weeks of your last activity"),
    "mood": RankingFeature("request", "fits the mood you asked for"),
}


POLICY_LABEL = "what people's reactions to earlier suggestions taught the ranking"
"""The learning policy's share of a score (``contributions["policy"]``, see :mod:`retrieval.policy`)."""


def evidence_sources(features: Mapping[str, float]) -> tuple[str, ...]:
    """The candidate sources that found an item: the features that are evidence about this request."""
    return tuple(name for name in features if name in FEATURES and FEATURES[name].origin == "source")


def describe_contributions(contributions: Mapping[str, float], most: int = 3) -> str:
    """The features that raised a score most, in plain words with their shares."""
    raised = sorted(((value, name) for name, value in contributions.items() if value > 0), reverse=True)[:most]
    labels = {**{name: feature.label for name, feature in FEATURES.items()}, "policy": POLICY_LABEL}
    return "; ".join(f"{labels.get(name, name)} (+{value:.2f})" for value, name in raised)
