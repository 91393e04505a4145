"""The profile in words for people: its limits, what one turn understood, and the removable entries."""

from __future__ import annotations

from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.types import ProfileEntry
from assistant.understanding.mood_words import mood_label
from kg.catalogue import Catalogue
from kg.constraints import Constraints

HIDDEN_GEMS_LABELS = {True: "less obvious films (hidden gems)", False: "popular films are fine"}


def describe_constraints(constraints: Constraints) -> str:
    """'from 2010; genres: Sci-Fi; no Horror', or '' when there are none."""
    parts = []
    if constraints.year_min is not None:
        parts.append(f"from {constraints.year_min}")
    if constraints.year_max is not None:
        parts.append(f"until {constraints.year_max}")
    for field, values in constraints.include.items():
        parts.append(f"{field}: {', '.join(values)}")
    for values in constraints.exclude.values():
        parts.append(f"no {', '.join(values)}")
    return "; ".join(parts)


def describe_delta(delta: PreferenceDelta, catalogue: Catalogue) -> dict[str, list[str]]:
    """What one turn added to the profile, by display name, sections without entries left out."""

    def titles(item_ids: tuple[str, ...]) -> list[str]:
        return [catalogue.items[item_id].display_title for item_id in item_ids]

    described = {
        "liked": titles(delta.liked_items),
        "disliked": titles(delta.disliked_items),
        "seen": titles(delta.seen_items),
        "liked_attributes": [value for _, value in delta.liked_attributes],
        "disliked_attributes": [value for _, value in delta.disliked_attributes],
        "include": [value for _, value in delta.include],
        "exclude": [value for _, value in delta.exclude],
        "lifted": [value for _, value in delta.lifted]
        + (["year range"] if delta.lift_years else [])
        + [f"required {field}" for field in delta.lift_include_fields],
        "unlinked": list(delta.unlinked),
        "moods": [mood_label(direction, mood) for direction, mood in delta.moods],
        "hidden_gems": [] if delta.hidden_gems is None else [HIDDEN_GEMS_LABELS[delta.hidden_gems]],
    }
    if delta.year_min is not None:
        described["year_min"] = [str(delta.year_min)]
    if delta.year_max is not None:
        described["year_max"] = [str(delta.year_max)]
    return {key: values for key, values in described.items() if values}


def profile_entries(profile: UserProfile, catalogue: Catalogue) -> list[ProfileEntry]:
    """The profile as labelled entries, each removable by its section, value and field."""
    entries: list[ProfileEntry] = []
    for section, verb in (("liked", "Liked"), ("disliked", "Disliked"), ("seen", "Seen")):
        for item_id in getattr(profile, section):
            item = catalogue.get(item_id)
            title = item.display_title if item is not None else item_id
            entries.append(ProfileEntry(section=section, value=item_id, label=f"{verb}: {title}"))
    for section, verb in (("liked_attributes", "Likes"), ("disliked_attributes", "Dislikes")):
        for field, values in getattr(profile, section).items():
            entries += [
                ProfileEntry(section=section, value=v, field=field, label=f"{verb} {v} ({field})") for v in values
            ]
    for section, verb in (("include", "Only"), ("exclude", "Never")):
        for field, values in getattr(profile.constraints, section).items():
            entries += [
                ProfileEntry(section=section, value=v, field=field, label=f"{verb}: {v} ({field})") for v in values
            ]
    if profile.constraints.year_min is not None:
        year = profile.constraints.year_min
        entries.append(ProfileEntry(section="year_min", value=str(year), label=f"From {year}"))
    if profile.constraints.year_max is not None:
        year = profile.constraints.year_max
        entries.append(ProfileEntry(section="year_max", value=str(year), label=f"Until {year}"))
    for direction, mood in profile.moods:
        label = f"Mood: {mood_label(direction, mood)}"
        entries.append(ProfileEntry(section="moods", value=mood, field=direction, label=label))
    if profile.hidden_gems:
        label = f"Prefers: {HIDDEN_GEMS_LABELS[True]}"
        entries.append(ProfileEntry(section="hidden_gems", value="true", label=label))
    for mention in profile.unlinked_mentions:
        entries.append(
            ProfileEntry(section="unlinked_mentions", value=mention, label=f"Not in the catalogue: {mention}")
        )
    return entries
