"""Reply text: the LLM writes the words around a list that code renders.

The list of recommendations (titles and justifications) is rendered from the
ranked, evidenced items, so the model never decides which items appear.  The
model's introduction is streamed sentence by sentence, and a sentence that
names a person or a catalogue title outside this turn's items, or echoes the
prompt, is dropped in favour of a template sentence: small models like to
name films of their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.types import Recommendation, TextPart, TextRole
from assistant.understanding.linking import EntityLinker
from prompts import load_prompt

LOGGER = logging.getLogger(__name__)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_INTRO_SENTENCES = 2
MAX_INTRO_CHARS = 320
PROMPT_ECHOES = (
    "the user",
    "catalogue",
    "introduc",
    "instruction",
    "the list",
    "you're welcome",
    "break down",
    "rules",
)


def list_line(position: int, recommendation: Recommendation) -> str:
    """One line of the numbered list shown under the introduction."""
    return f"{position}. **{recommendation.item.title}**: {recommendation.justification}"


def template_intro(count: int, liked_titles: Sequence[str]) -> str:
    noun = "movie" if count == 1 else "movies"
    if liked_titles:
        return f"Here are {count} {noun} picked for you from what you liked ({', '.join(liked_titles[:3])})."
    return f"Here are {count} {noun} picked for you."


class ReplyWriter:
    """Streams LLM-written sentences that passed the title guard."""

    def __init__(self, chat_model: BaseChatModel, linker: EntityLinker) -> None:
        self.chat_model = chat_model
        self.linker = linker

    def introduction(
        self, message: str, liked_titles: Sequence[str], constraints: str, allowed_ids: set[str], count: int
    ) -> Iterator[TextPart]:
        prompt = load_prompt("reply_user").format(
            message=message,
            liked=", ".join(liked_titles) or "nothing yet",
            constraints=constraints or "none",
        )
        messages = [SystemMessage(load_prompt("reply_system")), HumanMessage(prompt)]
        yield from self._guarded(messages, allowed_ids, "introduction", template_intro(count, liked_titles))

    def small_talk(self, message: str) -> Iterator[TextPart]:
        messages: list[BaseMessage] = [SystemMessage(load_prompt("chat_system")), HumanMessage(message)]
        fallback = "Tell me a few movies, people or genres you like or dislike, and any limits such as a decade."
        yield from self._guarded(messages, set(), "small_talk", fallback)

    def _guarded(
        self, messages: list[BaseMessage], allowed_ids: set[str], role: TextRole, fallback: str
    ) -> Iterator[TextPart]:
        """Yield whole sentences that name no person, no title outside ``allowed_ids``, and don't echo the prompt."""
        buffer = ""
        emitted = 0
        written = 0
        try:
            for chunk in self.chat_model.stream(messages):
                buffer += str(chunk.content)
                *complete, buffer = SENTENCE_END.split(buffer)
                for sentence in complete:
                    if emitted >= MAX_INTRO_SENTENCES or written > MAX_INTRO_CHARS:
                        break
                    clean = self._acceptable(sentence, allowed_ids)
                    if clean:
                        yield TextPart(role=role, text=("" if emitted == 0 else " ") + clean, source="llm")
                        emitted += 1
                        written += len(clean)
                if emitted >= MAX_INTRO_SENTENCES or written > MAX_INTRO_CHARS:
                    break
        except Exception as exc:
            LOGGER.warning("chat model failed, using the template wording: %s", exc)
        if emitted < MAX_INTRO_SENTENCES and buffer.strip():
            clean = self._acceptable(buffer, allowed_ids)
            if clean and written + len(clean) <= MAX_INTRO_CHARS:
                yield TextPart(role=role, text=("" if emitted == 0 else " ") + clean, source="llm")
                emitted += 1
        if emitted == 0:
            yield TextPart(role=role, text=fallback, source="template")

    def _acceptable(self, sentence: str, allowed_ids: set[str]) -> str | None:
        text = " ".join(sentence.replace("*", "").split())
        if len(text) < 3 or not re.search(r"[A-Za-z]", text) or any(echo in text.casefold() for echo in PROMPT_ECHOES):
            return None
        text = text.strip("\"'“”")
        mentions, _ = self.linker.link(text)
        if any((m.is_item and m.item_id not in allowed_ids) or m.field in self.linker.person_fields for m in mentions):
            return None
        return text
