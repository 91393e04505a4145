"""``concierge learn``: refit the policy from the impression log, check it off-policy, promote it or say why not.

The log's lists are split by list id: four fifths train a fresh policy, one
fifth is held out.  On the held-out lists SNIPS (self-normalised inverse
propensity scoring) estimates the reward each policy would earn: position by
position, a policy picks its best among the list's items not yet placed, and
where that is the item logged there, the item's reward counts with weight
1 / its logged propensity.  The new policy, refit on every list, replaces the
current one only when its estimate is not below the current one's; the
current one is kept as ``policy.previous.json`` (``--rollback`` restores it).
The likes and dislikes in the log are also written as interactions that
``concierge train-scorer`` can train the scorer on.
"""

from __future__ import annotations

import csv
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from assistant.sessions.impressions import Impression, ImpressionLog, Reaction
from retrieval.policy import REWARDS, LinearPolicy, context_vector, read_policy, write_policy

HELD_OUT_SHARE = 5
"""One list in this many is held out for the off-policy check."""
INTERACTION_RATINGS = {"liked": 5.0, "accepted": 5.0, "disliked": 1.0, "rejected": 1.0}


@dataclass(frozen=True)
class LoggedItem:
    list_id: str
    position: int
    context: NDArray[np.float64]
    propensity: float
    reward: float


def logged_lists(
    impressions: Sequence[Impression], reactions: Sequence[Reaction], names: Sequence[str]
) -> dict[str, list[LoggedItem]]:
    """Each list's items in the order shown, each with the sum of its reactions' rewards; lists the learning
    policy did not rank (no context) are left out."""
    rewards: dict[tuple[str, str], float] = defaultdict(float)
    for reaction in reactions:
        rewards[(reaction.list_id, reaction.item_id)] += REWARDS.get(reaction.kind, 0.0)
    lists: dict[str, list[LoggedItem]] = defaultdict(list)
    for impression in impressions:
        if impression.context:
            lists[impression.list_id].append(
                LoggedItem(
                    impression.list_id,
                    impression.position,
                    context_vector(impression.context, names),
                    impression.propensity,
                    rewards[(impression.list_id, impression.item_id)],
                )
            )
    return {list_id: sorted(items, key=lambda item: item.position) for list_id, items in lists.items()}


def held_out(list_id: str) -> bool:
    return zlib.crc32(list_id.encode()) % HELD_OUT_SHARE == 0


def fit(lists: Sequence[Sequence[LoggedItem]], prior_strength: float = 1.0, progress: bool = False) -> LinearPolicy:
    """A fresh policy from the logged lists someone reacted to: every item an impression, every reward a reaction.

    A list without a reward says nothing about which of its films people preferred (see
    :mod:`assistant.learning.reactions`), so it is left out, as online.
    """
    policy = LinearPolicy(prior_strength=prior_strength)
    for items in tqdm(lists, desc="refitting the policy", unit="list", disable=not progress):
        if not any(item.reward for item in items):
            continue
        for item in items:
            policy.record_impression(item.context)
            if item.reward:
                policy.record_reaction(item.context, item.reward)
    return policy


def snips(policy: LinearPolicy, lists: Sequence[Sequence[LoggedItem]]) -> tuple[float | None, int]:
    """The policy's estimated reward per shown item on logged lists, and how many logged placements it agreed
    with (None: it agreed with none, so nothing can be said)."""
    weighted = weights = 0.0
    agreed = 0
    for items in lists:
        remaining = list(items)
        for item in items:
            values = policy.value(np.stack([entry.context for entry in remaining]))
            if remaining[int(np.argmax(values))] is item and item.propensity > 0:
                weighted += item.reward / item.propensity
                weights += 1.0 / item.propensity
                agreed += 1
            remaining = [entry for entry in remaining if entry is not item]
    return (weighted / weights if weights else None), agreed


def better_or_equal(
    current: LinearPolicy, candidate: LinearPolicy, lists: Sequence[Sequence[LoggedItem]]
) -> dict[str, Any]:
    """The promotion guard: whether ``candidate``'s SNIPS estimate on ``lists`` is not below ``current``'s."""
    current_value, current_agreed = snips(current, lists)
    candidate_value, candidate_agreed = snips(candidate, lists)
    verdict: dict[str, Any] = {
        "held_out_lists": len(lists),
        "current": {"snips": current_value, "agreed": current_agreed},
        "candidate": {"snips": candidate_value, "agreed": candidate_agreed},
    }
    if candidate_value is None or current_value is None:
        verdict.update(promote=False, reason="too few held-out reactions to compare the two policies")
    elif candidate_value < current_value:
        verdict.update(
            promote=False,
            reason=f"the refit policy would do worse on held-out lists (SNIPS {candidate_value:.4f} against "
            f"{current_value:.4f} for the current one)",
        )
    else:
        verdict.update(
            promote=True, reason=f"SNIPS on held-out lists {candidate_value:.4f}, not below {current_value:.4f}"
        )
    return verdict


def previous_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def learn(
    log: ImpressionLog, policy_path: Path, interactions_path: Path, prior_strength: float = 1.0, progress: bool = False
) -> dict[str, Any]:
    """Refit, check and (when not worse) promote; returns the report ``concierge learn`` prints as JSON."""
    impressions, reactions = log.everything()
    current = read_policy(policy_path) or LinearPolicy(prior_strength=prior_strength)
    lists = logged_lists(impressions, reactions, current.names)
    training = [items for list_id, items in lists.items() if not held_out(list_id)]
    testing = [items for list_id, items in lists.items() if held_out(list_id)]
    verdict = better_or_equal(current, fit(training, prior_strength, progress), testing)
    report: dict[str, Any] = {
        "lists": len(lists),
        "impressions": len(impressions),
        "reactions": len(reactions),
        "training_lists": len(training),
        **verdict,
        "version": current.version,
    }
    if verdict["promote"]:
        promoted = fit(list(lists.values()), prior_strength, progress)
        promoted.version = current.version + 1
        promoted.card = {
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "lists": len(lists),
            "reactions": len(reactions),
            "held_out": verdict,
        }
        write_policy(previous_path(policy_path), current)  # the untrained prior when nothing was promoted yet
        write_policy(policy_path, promoted)
        report["version"] = promoted.version
    report["interactions"] = {"path": str(interactions_path), "rows": write_interactions(interactions_path, reactions)}
    return report


def rollback(policy_path: Path) -> LinearPolicy:
    """Put the policy before the last promotion back; raises FileNotFoundError when there was none."""
    previous = read_policy(previous_path(policy_path))
    if previous is None:
        raise FileNotFoundError(f"there is no earlier policy to roll back to beside {policy_path}")
    write_policy(policy_path, previous)
    previous_path(policy_path).unlink()
    return previous


def write_interactions(path: Path, reactions: Sequence[Reaction]) -> int:
    """The log's likes and dislikes as ``user_id,item_id,rating,timestamp`` rows (the scorer's training format)."""
    rows = [
        (reaction.session_id, reaction.item_id, INTERACTION_RATINGS[reaction.kind], int(reaction.at))
        for reaction in reactions
        if reaction.kind in INTERACTION_RATINGS
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("user_id", "item_id", "rating", "timestamp"))
        writer.writerows(rows)
    return len(rows)
