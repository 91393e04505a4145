"""The errors the public API raises: bad input, a session store that cannot be reached, or one too new to open."""

from __future__ import annotations

from kg.errors import StoreNewerThanCode

__all__ = ["InvalidInput", "ProfileStoreUnavailable", "StoreNewerThanCode"]


class InvalidInput(ValueError):
    """A message, session id or item id that cannot be processed; nothing was changed."""


class ProfileStoreUnavailable(RuntimeError):
    """The server holding the profiles is down, unreachable or refused us; nothing was read or saved.

    Deliberately not a :class:`~kg.errors.GraphUnavailable`: callers catch that
    to answer without graph evidence, whereas a profile that cannot be read
    or saved must stop the turn, never be silently lost.
    """

    @classmethod
    def graph_down(cls, cause: Exception | None = None, holds_profiles: bool = True) -> ProfileStoreUnavailable:
        """The one wording of "the graph server we need is down", with the driver's reason when there is one.

        ``holds_profiles``: the server holds the profiles (``profile_store='graph'``);
        otherwise it holds only the likes a session mirrored into the graph.
        """
        held = "profiles are kept on" if holds_profiles else "a session's likes are mirrored into"
        store = " (profile_store='graph')" if holds_profiles else ""
        reason = f": {cause}" if cause is not None else ""
        return cls(f"{held} the graph server{store}, which is unavailable{reason}")
