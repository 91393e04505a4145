"""How titles are written and compared: MovieLens files a leading article at the end ("Matrix, The"), people do not."""

from __future__ import annotations

import re
import unicodedata

_TRAILING_ARTICLES = (
    ", The",
    ", A",
    ", An",
    ", Les",
    ", La",
    ", Le",
    ", L'",
    ", Il",
    ", El",
    ", Die",
    ", Das",
    ", Der",
)


def natural_title(title: str) -> str:
    """Move a trailing article to the front ('Matrix, The' -> 'The Matrix').

    MovieLens files articles at the end; people and DBpedia do not.  Handles
    an article followed by a parenthesised alternative title too.
    """
    main, paren, rest = title.partition(" (")
    for article in _TRAILING_ARTICLES:
        if main.endswith(article):
            word = article[2:]
            joiner = "" if word.endswith("'") else " "
            main = f"{word}{joiner}{main[: -len(article)]}"
            break
    return f"{main}{paren}{rest}" if paren else main


def normalise(text: str) -> str:
    """Casefold, strip accents and punctuation, '&' -> 'and', collapse spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.replace("_", " ").split())
