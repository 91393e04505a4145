"""The words of relative and mood modifiers, and how each is shown to people.

A mood is a soft preference along one named axis (``light``, ``funny``,
``scary``...) in a direction, ``more`` or ``less``; retrieval maps each axis
to catalogue genres and tags (:mod:`retrieval.mood_axes`).  "Darker" is less
``light`` and "faster paced" less ``slow``, so a later "lighter" simply
replaces an earlier "darker" in the profile.
"""

from __future__ import annotations

from typing import Literal

MoodDirection = Literal["more", "less"]

ADJECTIVES: dict[str, tuple[MoodDirection, str]] = {
    # light, and its far end: dark
    "light": ("more", "light"),
    "lighthearted": ("more", "light"),
    "light hearted": ("more", "light"),
    "feel good": ("more", "light"),
    "feelgood": ("more", "light"),
    "fun": ("more", "light"),
    "upbeat": ("more", "light"),
    "uplifting": ("more", "light"),
    "cheerful": ("more", "light"),
    "happy": ("more", "light"),
    "heartwarming": ("more", "light"),
    "heart warming": ("more", "light"),
    "wholesome": ("more", "light"),
    "cozy": ("more", "light"),
    "cosy": ("more", "light"),
    "comforting": ("more", "light"),
    "easy to watch": ("more", "light"),
    "easy watch": ("more", "light"),
    "easygoing": ("more", "light"),
    "sweet": ("more", "light"),
    "dark": ("less", "light"),
    "grim": ("less", "light"),
    "bleak": ("less", "light"),
    "heavy": ("less", "light"),
    "depressing": ("less", "light"),
    "gritty": ("less", "light"),
    "disturbing": ("less", "light"),
    "edgy": ("less", "light"),
    # funny, and its far end: serious
    "funny": ("more", "funny"),
    "humorous": ("more", "funny"),
    "hilarious": ("more", "funny"),
    "comedic": ("more", "funny"),
    "silly": ("more", "funny"),
    "goofy": ("more", "funny"),
    "witty": ("more", "funny"),
    "humor": ("more", "funny"),
    "humour": ("more", "funny"),
    "laughs": ("more", "funny"),
    "serious": ("less", "funny"),
    # scary
    "scary": ("more", "scary"),
    "creepy": ("more", "scary"),
    "spooky": ("more", "scary"),
    "frightening": ("more", "scary"),
    "terrifying": ("more", "scary"),
    "horrifying": ("more", "scary"),
    "jump scares": ("more", "scary"),
    # violent, gory
    "violent": ("more", "violent"),
    "violence": ("more", "violent"),
    "brutal": ("more", "violent"),
    "gory": ("more", "gory"),
    "gore": ("more", "gory"),
    "bloody": ("more", "gory"),
    "gruesome": ("more", "gory"),
    "blood": ("more", "gory"),
    # romantic
    "romantic": ("more", "romantic"),
    "romance": ("more", "romantic"),
    # cheesy
    "cheesy": ("more", "cheesy"),
    "corny": ("more", "cheesy"),
    "sappy": ("more", "cheesy"),
    "schmaltzy": ("more", "cheesy"),
    "mushy": ("more", "cheesy"),
    "cliched": ("more", "cheesy"),
    "cliche": ("more", "cheesy"),
    "predictable": ("more", "cheesy"),
    # smart, and its far end: mindless
    "smart": ("more", "smart"),
    "clever": ("more", "smart"),
    "intelligent": ("more", "smart"),
    "thoughtful": ("more", "smart"),
    "thought provoking": ("more", "smart"),
    "cerebral": ("more", "smart"),
    "philosophical": ("more", "smart"),
    "mind bending": ("more", "smart"),
    "dumb": ("less", "smart"),
    "mindless": ("less", "smart"),
    "brainless": ("less", "smart"),
    # slow, and its far end: fast
    "slow": ("more", "slow"),
    "slow paced": ("more", "slow"),
    "slow burn": ("more", "slow"),
    "slow burning": ("more", "slow"),
    "contemplative": ("more", "slow"),
    "meditative": ("more", "slow"),
    "quiet": ("more", "slow"),
    "fast paced": ("less", "slow"),
    "action packed": ("less", "slow"),
    "pacy": ("less", "slow"),
    "exciting": ("less", "slow"),
    "thrilling": ("less", "slow"),
    # sad
    "sad": ("more", "sad"),
    "tearjerker": ("more", "sad"),
    "tear jerker": ("more", "sad"),
    "emotional": ("more", "sad"),
    "melancholy": ("more", "sad"),
    "melancholic": ("more", "sad"),
    # tense
    "tense": ("more", "tense"),
    "suspenseful": ("more", "tense"),
    "gripping": ("more", "tense"),
    "intense": ("more", "tense"),
    "nail biting": ("more", "tense"),
    # quirky
    "quirky": ("more", "quirky"),
    "weird": ("more", "quirky"),
    "offbeat": ("more", "quirky"),
    "off beat": ("more", "quirky"),
    "surreal": ("more", "quirky"),
    "bizarre": ("more", "quirky"),
}
"""A mood adjective (or noun) and the mood it states when said plainly: "something fun", "a slow, thoughtful sci-fi"."""

DEGREE_ONLY: dict[str, tuple[MoodDirection, str]] = {
    "fast": ("less", "slow"),
    "deep": ("more", "smart"),
    "easy": ("more", "light"),
}
"""Adjectives read only with a degree word: "something deeper" or "less deep", never "deep sea"."""

COMPARATIVES: dict[str, tuple[MoodDirection, str]] = {
    "lighter": ("more", "light"),
    "happier": ("more", "light"),
    "cheerier": ("more", "light"),
    "brighter": ("more", "light"),
    "sweeter": ("more", "light"),
    "gentler": ("more", "light"),
    "easier": ("more", "light"),
    "cozier": ("more", "light"),
    "darker": ("less", "light"),
    "heavier": ("less", "light"),
    "grimmer": ("less", "light"),
    "bleaker": ("less", "light"),
    "grittier": ("less", "light"),
    "edgier": ("less", "light"),
    "funnier": ("more", "funny"),
    "sillier": ("more", "funny"),
    "goofier": ("more", "funny"),
    "scarier": ("more", "scary"),
    "creepier": ("more", "scary"),
    "spookier": ("more", "scary"),
    "gorier": ("more", "gory"),
    "bloodier": ("more", "gory"),
    "cheesier": ("more", "cheesy"),
    "cornier": ("more", "cheesy"),
    "sappier": ("more", "cheesy"),
    "smarter": ("more", "smart"),
    "cleverer": ("more", "smart"),
    "deeper": ("more", "smart"),
    "dumber": ("less", "smart"),
    "slower": ("more", "slow"),
    "calmer": ("more", "slow"),
    "quieter": ("more", "slow"),
    "faster": ("less", "slow"),
    "quicker": ("less", "slow"),
    "sadder": ("more", "sad"),
    "tenser": ("more", "tense"),
    "weirder": ("more", "quirky"),
    "stranger": ("more", "quirky"),
}
"""A comparative states the change itself: "a bit lighter", "something funnier"."""

MORE_WORDS = ("more",)
LESS_WORDS = ("less", "not as", "not so", "not that")
EXCESS_WORDS = ("too", "overly", "not too", "not overly")
"""Degree words before an adjective: more of it, less of it, or (said as too much) less of it."""

NEGATIONS = (
    "not",
    "no",
    "nor",
    "never",
    "nothing",
    "none",
    "without",
    "isn t",
    "isnt",
    "aren t",
    "wasn t",
    "don t",
    "dont",
    "doesn t",
    "didn t",
    "won t",
    "can t",
    "avoid",
    "hate",
    "rather not",
    "anything but",
)
"""Words that turn a plain mood around ("isn't cheesy", "nothing too dark") when they come shortly before it."""

NEGATION_WINDOW = 5
"""How many words before a mood a negation may stand: "I don't want anything lighter"."""

REACTION = (
    r"^(?:(?:that|it|this|which|they|those|he|she) )?(?:s|was|is|were|are|sounds|looks|seems|seemed|looked|felt|feels)"
    r"(?: (?:so|really|very|pretty|super|quite|kind of|kinda|a bit|a little))* ?$"
)
"""All the words before a plain adjective (from the clause's start or a title) when they describe a film rather
than ask for one: "that was so funny", "Heat was really violent"."""

LABELS: dict[tuple[str, str], str] = {
    ("more", "light"): "lighter, feel-good",
    ("less", "light"): "darker",
    ("more", "funny"): "funnier",
    ("less", "funny"): "more serious",
    ("more", "scary"): "scarier",
    ("less", "scary"): "less scary",
    ("more", "violent"): "more violent",
    ("less", "violent"): "less violent",
    ("more", "gory"): "gorier",
    ("less", "gory"): "less gory",
    ("more", "romantic"): "more romantic",
    ("less", "romantic"): "less romantic",
    ("more", "cheesy"): "cheesier",
    ("less", "cheesy"): "not cheesy",
    ("more", "smart"): "smarter",
    ("less", "smart"): "less demanding",
    ("more", "slow"): "slower, thoughtful pace",
    ("less", "slow"): "faster paced",
    ("more", "sad"): "sadder, more moving",
    ("less", "sad"): "less sad",
    ("more", "tense"): "more suspense",
    ("less", "tense"): "less tense",
    ("more", "quirky"): "quirkier",
    ("less", "quirky"): "less quirky",
}
"""How a mood is shown in the profile and in what a turn understood."""


def mood_label(direction: str, name: str) -> str:
    """The plain words for a stored mood; one from an older vocabulary is shown as stored."""
    return LABELS.get((direction, name), f"{direction} {name}")


SOFTENERS = ("a bit", "a little", "a lot", "a tad", "slightly", "much", "way", "even", "somewhat", "kind of", "kinda")
"""Words that soften or stress a degree without changing its direction: "a bit lighter", "way less violent"."""

CLAUSE_BREAKS = r"[.,;:!?\n]|\bbut\b|\band\b|\bthough\b|\bwhile\b|\bor\b"
"""Where a negation's reach ends: "scary but not gory" negates only "gory"."""
