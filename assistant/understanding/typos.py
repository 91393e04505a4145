"""Titles typed with a slip, found in free text: "the matirx", "shawshank redemtion", "forest gump".

People type titles as they remember them, and a title that links to nothing
loses the turn's most telling preference.  Guessing is also how ordinary
words turn into films, so a span of the message is compared with the titles
only when it is long enough to carry a slip (six letters or more) and holds
an odd word: one that is not an English word, not an everyday word of movie
chat and not one slip away from one ("somthing fun" is ordinary words,
however it is spelt; "computer" is a word, not "The Commuter" misspelt).
Every everyday word of the span must then be in the title as written, other
English words within one slip, each odd word within a slip or two of its
counterpart, and the whole within a few edits that grow with length; one
word that only gains or loses an ending ("hustle", "Hustler") or is two
words run together ("sleepover", "Sleeper") is another word, not a slip.  Titles are grouped by first letter and length,
so a span is compared with a few hundred of them, never the whole catalogue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LETTERS = 6
"""Shorter spans ("Up", "Heat", "Jaws") are too easily one slip from another word."""
MAX_SPAN_WORDS = 6
SHORT_SPAN = 9
LONG_SPAN = 16
LONG_WORD = 11
SLIPPED_WORD = 5
"""English words this long may carry one slip beside an odd word ("forest gump"); shorter ones are exact."""


def allowed_edits(text: str) -> int:
    """Slips (an insertion, a deletion, a substitution or two neighbours swapped) a span of this size may carry."""
    if len(text.replace(" ", "")) < MIN_LETTERS:
        return 0
    if len(text) < SHORT_SPAN:
        return 1
    return 2 if len(text) < LONG_SPAN else 3


def _word_edits(word: str) -> int:
    """Slips one odd word may carry: none in three letters or fewer, two from eleven letters on."""
    if len(word) <= 3:
        return 0
    return 2 if len(word) >= LONG_WORD else 1


def _deletions(word: str) -> set[str]:
    return {word[:position] + word[position + 1 :] for position in range(len(word))}


class PlainWords:
    """Real words: English, everyday chat words and their one-slip variants ("somthing"), numbers, short words."""

    NEAR_MIN_LENGTH = 5
    """Chat words shorter than this have too many neighbours one slip away ("gump", "jump") to stand for any of them."""

    def __init__(self, everyday: Iterable[str], english: Iterable[str]) -> None:
        self.everyday = frozenset(everyday)
        self.english = frozenset(english)
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for word in self.everyday:
            if len(word) >= self.NEAR_MIN_LENGTH:
                for variant in {word, *_deletions(word)}:
                    self._by_deletion[variant].add(word)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if len(word) <= 2 or not word.isalpha() or word in self.english or word in self.everyday:
            return True
        nearby = {near for variant in {word, *_deletions(word)} for near in self._by_deletion.get(variant, ())}
        return any(OSA.distance(word, near, score_cutoff=1) <= 1 for near in nearby)


class TypoTitles:
    """The title keys closest to a span of a message, when a slip can explain the difference."""

    def __init__(self, keys: Iterable[str], plain: PlainWords) -> None:
        self.plain = plain
        self._by_shape: dict[tuple[str, int], list[str]] = defaultdict(list)
        for key in keys:
            if len(key.replace(" ", "")) >= MIN_LETTERS:
                self._by_shape[(key[0], len(key))].append(key)

    def may_be_title(self, words: list[str]) -> bool:
        """Whether a span of normalised words holds an odd word and enough letters to be a misspelt title."""
        return (
            len(words) <= MAX_SPAN_WORDS
            and sum(len(word) for word in words) >= MIN_LETTERS
            and any(word not in self.plain for word in words)
        )

    def closest(self, words: list[str]) -> tuple[list[str], int] | None:
        """The keys at the fewest slips from the span (same first letter, real words kept), and how many."""
        text = " ".join(words)
        bound = allowed_edits(text)
        if not bound:
            return None
        candidates = [
            key
            for length in range(len(text) - bound, len(text) + bound + 1)
            for key in self._by_shape.get((text[0], length), ())
        ]
        found = [
            (key, int(distance))
            for key, distance, _ in process.extract(
                text, candidates, scorer=OSA.distance, score_cutoff=bound, limit=None
            )
            if self._aligned(words, key.split(), int(distance))
        ]
        if not found:
            return None
        fewest = min(distance for _, distance in found)
        return [key for key, distance in found if distance == fewest], fewest

    def _aligned(self, words: list[str], key_words: list[str], distance: int) -> bool:
        """Word by word, each within the slips its kind allows; a split or joined word ("madmax") is one slip."""
        if len(words) != len(key_words):
            return distance <= 1
        if len(words) == 1 and words != key_words and not self._one_word_slip(words[0], key_words[0]):
            return False
        return all(
            OSA.distance(word, key_word, score_cutoff=self._slips(word)) <= self._slips(word)
            for word, key_word in zip(words, key_words, strict=True)
        )

    def _one_word_slip(self, word: str, key_word: str) -> bool:
        """A lone word within its slips that is neither the title word with another ending ("hustle", "Hustler")
        nor two real words run together ("sleepover", "superfan": another word, not "Sleeper" misspelt)."""
        if word.startswith(key_word) or key_word.startswith(word):
            return False
        return not any(self._run_together(word[:cut], word[cut:]) for cut in range(3, len(word) - 2))

    def _run_together(self, left: str, right: str) -> bool:
        """Two words, at least one of them everyday ("sleep" + "over"; "inter" + "seller" are not)."""
        everyday = self.plain.everyday
        return (left in everyday or right in everyday) and all(
            part in everyday or (len(part) >= SLIPPED_WORD - 1 and part in self.plain.english) for part in (left, right)
        )

    def _slips(self, word: str) -> int:
        if word in self.plain.everyday or len(word) <= 2 or not word.isalpha():
            return 0
        if word in self.plain:
            return 1 if len(word) >= SLIPPED_WORD else 0
        return _word_edits(word)
