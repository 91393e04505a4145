"""Concierge's public API: ``from assistant import Assistant, Settings``.

Names are resolved lazily so that importing the settings (for example in a
test or the CLI's ``--help``) does not load models or open stores.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.errors import InvalidInput
    from assistant.sessions.profile import UserProfile
    from assistant.settings import Settings
    from assistant.types import ItemCard, Recommendation, Reply, WhyAnswer

_EXPORTS = {
    "Assistant": "assistant.api",
    "InvalidInput": "assistant.errors",
    "Settings": "assistant.settings",
    "UserProfile": "assistant.sessions.profile",
    "ItemCard": "assistant.types",
    "Recommendation": "assistant.types",
    "Reply": "assistant.types",
    "WhyAnswer": "assistant.types",
}

__all__ = [
    "Assistant",
    "InvalidInput",
    "ItemCard",
    "Recommendation",
    "Reply",
    "Settings",
    "UserProfile",
    "WhyAnswer",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
