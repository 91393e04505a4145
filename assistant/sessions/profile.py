"""The user profile: what the assistant has learned, and how a turn changes it.

Profiles are plain pydantic data so they persist as JSON, show in the UI and
export for privacy requests.  Applying a delta is the only way a profile
changes, and it resolves changes of mind: liking a thing removes it from the
dislikes and the reverse.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kg.constraints import Constraints


class PreferenceDelta(BaseModel):
    """What one user turn (or one feedback click) adds to the profile."""

    model_config = ConfigDict(frozen=True)

    liked_items: tuple[str, ...] = ()
    disliked_items: tuple[str, ...] = ()
    seen_items: tuple[str, ...] = ()
    liked_attributes: tuple[tuple[str, str], ...] = ()
    disliked_attributes: tuple[tuple[str, str], ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    include: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    lifted: tuple[tuple[str, str], ...] = Field(
        default=(), description="Values no longer ruled out or disliked ('horror is fine now')."
    )
    lift_years: bool = Field(default=False, description="Drop the year range ('any year is fine').")
    lift_include_fields: tuple[str, ...] = Field(
        default=(), description="Fields whose required values are dropped ('any genre')."
    )
    unlinked: tuple[str, ...] = ()
    moods: tuple[tuple[str, str], ...] = Field(
        default=(),
        description="Soft (direction, mood) preferences that move the ranking and never filter: "
        "('more', 'light') for 'a bit lighter', ('less', 'cheesy') for 'not cheesy'.",
    )
    hidden_gems: bool | None = Field(
        default=None,
        description="True: less obvious films asked for ('hidden gems'); False: popular ones are fine again.",
    )

    def is_empty(self) -> bool:
        return self == PreferenceDelta()


def _add(values: list[str], new: str) -> list[str]:
    return values if new in values else [*values, new]


def _without(values: list[str], gone: str) -> list[str]:
    return [value for value in values if value != gone]


def _add_attribute(mapping: dict[str, list[str]], field: str, value: str) -> dict[str, list[str]]:
    updated = {key: list(values) for key, values in mapping.items()}
    if value.casefold() not in {v.casefold() for v in updated.get(field, [])}:
        updated.setdefault(field, []).append(value)
    return updated


def _remove_attribute(mapping: dict[str, list[str]], field: str, value: str) -> dict[str, list[str]]:
    updated = {key: [v for v in values if v.casefold() != value.casefold()] for key, values in mapping.items()}
    return {key: values for key, values in updated.items() if values}


def _without_mood(moods: list[tuple[str, str]], mood: str) -> list[tuple[str, str]]:
    """A mood is kept once: "darker" after "lighter" replaces it, and removing it removes either direction."""
    return [(direction, name) for direction, name in moods if name != mood]


def _freeze(mapping: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(sorted(values)) for key, values in sorted(mapping.items()) if values}


class UserProfile(BaseModel):
    """Everything known about one session's user."""

    liked: list[str] = Field(default_factory=list, description="Liked item ids, in the order they came.")
    disliked: list[str] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)
    liked_attributes: dict[str, list[str]] = Field(default_factory=dict)
    disliked_attributes: dict[str, list[str]] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=Constraints)
    unlinked_mentions: list[str] = Field(default_factory=list, description="Names we could not find in the catalogue.")
    moods: list[tuple[str, str]] = Field(
        default_factory=list, description="(direction, mood) pairs, one per mood, the latest said kept."
    )
    hidden_gems: bool = Field(
        default=False,
        description="Less obvious films asked for: the session's re-ranking leans further from the "
        "films everyone is shown (a soft preference; it never filters).",
    )

    def is_empty(self) -> bool:
        return self == UserProfile()

    def apply(self, delta: PreferenceDelta) -> UserProfile:
        """Return the profile with ``delta`` applied; later statements win.

        Asking for a value drops an earlier dislike of it, and ruling one out an
        earlier liking, so the profile never both requires and avoids the same thing.
        """
        profile = self.model_copy(deep=True)
        for item_id in delta.liked_items:
            profile.liked = _add(profile.liked, item_id)
            profile.disliked = _without(profile.disliked, item_id)
        for item_id in delta.disliked_items:
            profile.disliked = _add(profile.disliked, item_id)
            profile.liked = _without(profile.liked, item_id)
        for item_id in delta.seen_items:
            profile.seen = _add(profile.seen, item_id)
        for field, value in delta.liked_attributes:
            profile.liked_attributes = _add_attribute(profile.liked_attributes, field, value)
            profile.disliked_attributes = _remove_attribute(profile.disliked_attributes, field, value)
        for field, value in delta.disliked_attributes:
            profile.disliked_attributes = _add_attribute(profile.disliked_attributes, field, value)
            profile.liked_attributes = _remove_attribute(profile.liked_attributes, field, value)
        for field, value in delta.lifted:
            profile.disliked_attributes = _remove_attribute(profile.disliked_attributes, field, value)
        for field, value in delta.include:
            profile.disliked_attributes = _remove_attribute(profile.disliked_attributes, field, value)
        for field, value in delta.exclude:
            profile.liked_attributes = _remove_attribute(profile.liked_attributes, field, value)
        profile.constraints = self._merge_constraints(profile.constraints, delta)
        for mention in delta.unlinked:
            profile.unlinked_mentions = _add(profile.unlinked_mentions, mention)
        for direction, mood in delta.moods:
            profile.moods = [*_without_mood(profile.moods, mood), (direction, mood)]
        if delta.hidden_gems is not None:
            profile.hidden_gems = delta.hidden_gems
        return profile

    @staticmethod
    def _merge_constraints(current: Constraints, delta: PreferenceDelta) -> Constraints:
        """Lifts first, then the delta's own constraints: 'any year, but after 2000' ends with 2001 onwards."""
        include = {
            key: sorted(values) for key, values in current.include.items() if key not in delta.lift_include_fields
        }
        exclude = {key: sorted(values) for key, values in current.exclude.items()}
        for field, value in delta.lifted:
            exclude = _remove_attribute(exclude, field, value)
        year_min = None if delta.lift_years else current.year_min
        year_max = None if delta.lift_years else current.year_max
        for field, value in delta.include:
            include = _add_attribute(include, field, value)
            exclude = _remove_attribute(exclude, field, value)
        for field, value in delta.exclude:
            exclude = _add_attribute(exclude, field, value)
            include = _remove_attribute(include, field, value)
        return Constraints(
            year_min=delta.year_min if delta.year_min is not None else year_min,
            year_max=delta.year_max if delta.year_max is not None else year_max,
            include=_freeze(include),
            exclude=_freeze(exclude),
        )

    def remove(self, section: str, value: str, field: str | None = None) -> UserProfile:
        """Remove one entry the user no longer wants kept (profile panel, CLI)."""
        profile = self.model_copy(deep=True)
        if section in ("liked", "disliked", "seen"):
            setattr(profile, section, _without(getattr(profile, section), value))
        elif section in ("liked_attributes", "disliked_attributes") and field:
            setattr(profile, section, _remove_attribute(getattr(profile, section), field, value))
        elif section == "year_min":
            profile.constraints = profile.constraints.model_copy(update={"year_min": None})
        elif section == "year_max":
            profile.constraints = profile.constraints.model_copy(update={"year_max": None})
        elif section in ("include", "exclude") and field:
            kept = _remove_attribute(
                {k: list(v) for k, v in getattr(profile.constraints, section).items()}, field, value
            )
            profile.constraints = profile.constraints.model_copy(update={section: _freeze(kept)})
        elif section == "unlinked_mentions":
            profile.unlinked_mentions = _without(profile.unlinked_mentions, value)
        elif section == "moods":
            profile.moods = _without_mood(profile.moods, value)
        elif section == "hidden_gems":
            profile.hidden_gems = False
        else:
            raise ValueError(f"unknown profile section {section!r}")
        return profile
