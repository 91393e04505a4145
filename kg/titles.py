"""How titles are written: MovieLens files a leading article at the end ("Matrix, The"), people do not."""

from __future__ import annotations

_TRAILING_ARTICLES = (", The", ", A", ", An", ", Les", ", La", ", Le", ", L'", ", Il", ", El", ", Die", ", Das", ", Der")


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
