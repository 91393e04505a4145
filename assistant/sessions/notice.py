"""The one line the UI shows about what is stored, where, and how to delete it: a person should not have to ask."""

from __future__ import annotations

from assistant.settings import Settings

STORED = (
    "your likes, dislikes and limits, our conversation, the lists I showed you and your Like/Not for me/Seen clicks"
)


def storage_note(settings: Settings, logged_in: bool, mirrored: bool) -> str:
    """Where this deployment keeps a person's data, and what their browser or login has to do with it.

    ``mirrored``: likes, dislikes and seen marks are also written into the catalogue graph as user edges.
    """
    where = (
        "in a database on this server" if settings.profile_store == "local" else "on the graph server this service uses"
    )
    key = (
        "They belong to your login, so you see them on any device you log in on."
        if logged_in
        else "This browser keeps only a signed key to them, in its local storage."
    )
    graph = " Liked, disliked and seen films are also kept in the recommendation graph." if mirrored else ""
    return f"Stored {where}: {STORED}.{graph} {key} Forget me deletes all of it."
