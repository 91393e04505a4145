"""Every prompt of Concierge is a text file in this folder, loaded by name.

Keeping prompts out of Python lets them be read, reviewed and tuned as text;
``load_prompt("reply_system")`` returns the contents of ``reply_system.txt``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    """Return the prompt ``name`` (without the .txt suffix); KeyError if it does not exist."""
    if not name.replace("_", "").isalnum():
        raise KeyError(f"invalid prompt name {name!r}")
    resource = resources.files(__name__) / f"{name}.txt"
    if not resource.is_file():
        raise KeyError(f"no prompt named {name!r}")
    return resource.read_text(encoding="utf-8").strip()


QUOTE_OPEN, QUOTE_CLOSE = "<<<", ">>>"
"""The fence around text a prompt quotes (the person's words, names from the catalogue): data, never instructions."""


def quoted(text: str) -> str:
    """``text`` with the fence's marks taken out, so that what it says cannot close the quote it is put in."""
    while QUOTE_OPEN in text or QUOTE_CLOSE in text:
        text = text.replace(QUOTE_OPEN, "").replace(QUOTE_CLOSE, "")
    return text


ANSWER_LABEL = "Answer:"


@cache
def load_examples(name: str) -> tuple[tuple[str, str], ...]:
    """Worked (request, answer) pairs from prompt ``name``: blocks separated by blank lines, each ending in 'Answer: ...'.

    Small models follow a shown example far better than a described format,
    so the examples are given as earlier turns of the conversation.
    """
    examples = []
    for block in load_prompt(name).split("\n\n"):
        request, _, answer = block.strip().rpartition(f"\n{ANSWER_LABEL}")
        if not request or not answer.strip():
            raise ValueError(f"an example in prompt {name!r} lacks a request or an {ANSWER_LABEL!r} line: {block!r}")
        examples.append((request, answer.strip()))
    return tuple(examples)
