"""Stage 1, understand: the intent and a grounded preference delta of one message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.understanding.extraction import PreferenceExtractor, combine
from assistant.understanding.interpreter import TurnInterpreter, Understanding


class UnderstandStage:
    """The rules and the entity linker read the message; the LLM's proposals, when enabled, join under them."""

    def __init__(self, interpreter: TurnInterpreter, extractor: PreferenceExtractor | None) -> None:
        self.interpreter = interpreter
        self.extractor = extractor

    def run(self, message: str, last_suggestions: Sequence[str] = ()) -> Understanding:
        understanding = self.interpreter.interpret(message, last_suggestions)
        if self.extractor is not None and understanding.intent == "recommend":
            proposal = self.extractor.propose(message)
            understanding = replace(understanding, delta=combine(understanding.delta, proposal))
        return understanding
