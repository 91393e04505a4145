"""Writing the impression log as people use the assistant, and teaching the shared policy online.

Every list a session turn shows is logged with each item's position, context
and propensity; every reaction (a button, "Why?" opened, what the next message
implied) is logged against the session's latest list that showed the item.
With the learning policy on, a list's first rewarded reaction is also an
online update of the policy, saved, so the next turn of any session ranks
with it: every item of that list adds to its Gram matrix as an impression,
and each reward to its moments.  A list nobody reacted to is logged but not
learnt from: most lists get no reaction, and counting them as "shown,
earned 0" taught the policy that nothing predicts a reward, which after a
few hundred such lists had flattened the ranking to noise.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from assistant.sessions.impressions import Impression, ImpressionLog, ImpressionRefused, Reaction
from retrieval.policy import REWARDS, LinearPolicy, SharedPolicy, context_vector
from retrieval.ranking import RankedCandidate

LOGGER = logging.getLogger(__name__)


class ReactionRecorder:
    def __init__(
        self,
        log: ImpressionLog,
        policy: SharedPolicy | None,
        learn_every: int = 0,
        learn: Callable[[], object] | None = None,
    ) -> None:
        """``learn``: the periodic refit, run after every ``learn_every`` reactions counted by this process."""
        self.log = log
        self.policy = policy
        self.learn_every = learn_every
        self.learn = learn
        self._since_learning = 0

    def record_list(self, session_id: str, ranked: Sequence[RankedCandidate]) -> str | None:
        """Log a shown list; returns its id (None for an answer without suggestions)."""
        if not ranked:
            return None
        list_id = uuid.uuid4().hex
        impressions = [
            Impression(
                list_id=list_id,
                session_id=session_id,
                item_id=entry.candidate.item_id,
                position=position,
                score=entry.score,
                context=dict(entry.policy.context) if entry.policy is not None else {},
                propensity=entry.policy.propensity if entry.policy is not None else 1.0,
                explored=entry.policy.explored if entry.policy is not None else False,
            )
            for position, entry in enumerate(ranked)
        ]
        self.log.log_list(impressions)
        return list_id

    def react(self, session_id: str, item_id: str, kind: str, event_id: str = "") -> Reaction | None:
        """Log a reaction to the latest list of the session that showed ``item_id`` (None: none did).

        Raises :class:`ImpressionRefused` for a replayed event or an unknown kind.
        """
        list_id = self.log.latest_list_with(session_id, item_id)
        if list_id is None:
            return None
        stored = self.log.log_reaction(Reaction(list_id, item_id, kind, session_id, event_id))
        reward = REWARDS.get(kind, 0.0)
        if self.policy is not None and reward:
            self._learn(self.policy, session_id, list_id, item_id, reward)
        self._counted()
        return stored

    def _learn(self, shared: SharedPolicy, session_id: str, list_id: str, item_id: str, reward: float) -> None:
        """The reward; with the list's impressions too when this is the first rewarded reaction to it."""
        shown, reactions = self.log.session_log(session_id)
        listed = [impression for impression in shown if impression.list_id == list_id]
        context = next(impression.context for impression in listed if impression.item_id == item_id)
        if not context:
            return
        rewarded = [reaction for reaction in reactions if reaction.list_id == list_id and REWARDS.get(reaction.kind)]
        first = len(rewarded) == 1

        def learn(policy: LinearPolicy) -> None:
            if first:
                for impression in listed:
                    if impression.context:
                        policy.record_impression(context_vector(impression.context, policy.names))
            policy.record_reaction(context_vector(context, policy.names), reward)

        shared.update(learn)

    def react_quietly(self, session_id: str, item_id: str, kind: str) -> Reaction | None:
        """:meth:`react` for signals a person did not send as feedback ("Why?" opened, the next message): a
        replay is not counted again, and not an error to them."""
        try:
            return self.react(session_id, item_id, kind)
        except ImpressionRefused as exc:
            LOGGER.info("session %s: %s", session_id, exc)
            return None

    def _counted(self) -> None:
        self._since_learning += 1
        if self.learn_every and self.learn is not None and self._since_learning >= self.learn_every:
            self._since_learning = 0
            self.learn()
