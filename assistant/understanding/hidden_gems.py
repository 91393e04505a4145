"""Whether a message asks for less obvious films ("hidden gems", "something less obvious"), or no longer does."""

from __future__ import annotations

from assistant.understanding.hidden_gem_words import ASKED_PATTERN, WITHDRAWN_PATTERN

FOLD = str.maketrans({"'": " ", "\u2019": " ", "-": " "})


def read_hidden_gems(message: str) -> bool | None:
    """True: less obvious films asked for; False: popular ones are fine again; None: the message says neither.

    The later of the two wins ("no blockbusters... actually, popular ones are fine" withdraws it).
    """
    folded = " ".join(message.lower().translate(FOLD).split())
    withdrawn = [match.start() for match in WITHDRAWN_PATTERN.finditer(folded)]
    masked = WITHDRAWN_PATTERN.sub(lambda match: " " * len(match.group()), folded)
    asked = [match.start() for match in ASKED_PATTERN.finditer(masked)]
    if not asked and not withdrawn:
        return None
    return max(asked, default=-1) > max(withdrawn, default=-1)
