"""Reply text: the chat model writes the words around what code decides, and every sentence is grounded.

The list of recommendations is rendered from the explained items, so the
model never decides which items appear.  Its introduction, small talk and
goodbyes pass the grounding rule (:mod:`assistant.explain.grounding`)
sentence by sentence as they stream: the faithful leading sentences are
kept; when none is, the model is asked once more with what was wrong, and a
second failure gives the template, written to the person as "you".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.explain.grounding import ReplyContext, ReplyTextChecker
from assistant.types import Recommendation, TextPart, TextRole
from prompts import load_prompt, quoted

LOGGER = logging.getLogger(__name__)
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\.[A-Za-z]\.)(?<!\b(?:Mr|Ms|Dr|St|Jr|vs)\.)(?<!\bMrs\.)\s+")
"""Where a sentence ends; not after 'a.k.a.', 'U.S.', 'Dr.' or 'Mrs.', which sit inside titles."""
MAX_SENTENCES = 2
MAX_CHARS = 320
MAX_NEW_TOKENS = 56
"""Two short sentences (at most 30 words, as the prompts ask) fit in this; a longer draft is cut, not waited for."""
RETRY_TEMPERATURE = 0.7


def list_line(position: int, recommendation: Recommendation) -> str:
    """One line of the numbered list shown under the introduction."""
    return f"{position}. **{recommendation.item.title}**: {recommendation.justification}"


def template_intro(count: int, liked_titles: Sequence[str]) -> str:
    noun = "movie" if count == 1 else "movies"
    if liked_titles:
        return f"Here are {count} {noun} picked for you from what you liked ({', '.join(liked_titles[:3])})."
    return f"Here are {count} {noun} picked for you."


class ReplyWriter:
    """Streams the chat model's sentences that pass the grounding rule, with a template as the net."""

    def __init__(self, chat_model: BaseChatModel, checker: ReplyTextChecker) -> None:
        self.chat_model = chat_model
        self.checker = checker

    def introduction(self, context: ReplyContext, limits: str) -> Iterator[TextPart]:
        prompt = load_prompt("reply_user").format(
            message=quoted(context.message),
            liked=quoted(", ".join(context.liked_titles) or "nothing named yet"),
            constraints=quoted(limits or "none"),
        )
        messages = [SystemMessage(load_prompt("reply_system")), HumanMessage(prompt)]
        fallback = template_intro(len(context.suggestions), context.liked_titles)
        yield from self._grounded(messages, context, "introduction", fallback)

    def small_talk(self, context: ReplyContext) -> Iterator[TextPart]:
        messages: list[BaseMessage] = [SystemMessage(load_prompt("chat_system")), HumanMessage(context.message)]
        yield from self._grounded(messages, context, "small_talk", load_prompt("small_talk_fallback").strip())

    def _grounded(
        self, messages: list[BaseMessage], context: ReplyContext, role: TextRole, fallback: str
    ) -> Iterator[TextPart]:
        problems = "was empty"
        for attempt in (1, 2):
            emitted = 0
            try:
                for sentence in self._sentences(messages, attempt):
                    verdict = self.checker.check(sentence, context)
                    if not verdict.faithful:
                        problems = "; ".join(verdict.problems)
                        break
                    yield TextPart(
                        role=role, text=("" if emitted == 0 else " ") + sentence, source="llm", llm_attempts=attempt
                    )
                    emitted += 1
            except Exception as exc:
                if emitted:
                    LOGGER.warning("chat model stopped after %d checked sentences, which stand: %s", emitted, exc)
                    return
                LOGGER.warning("chat model failed, using the template wording: %s", exc)
                break
            if emitted:
                return
            messages = [*messages, HumanMessage(load_prompt("reply_retry").format(problems=problems))]
        yield TextPart(role=role, text=fallback, source="template", llm_attempts=2)

    def _sentences(self, messages: list[BaseMessage], attempt: int) -> Iterator[str]:
        """Whole, cleaned sentences as the model streams them, at most ``MAX_SENTENCES`` and ``MAX_CHARS``."""
        options: dict[str, Any] = {"max_new_tokens": MAX_NEW_TOKENS}
        if attempt > 1:
            options |= {"temperature": RETRY_TEMPERATURE, "seed": attempt}
        buffer, count, written = "", 0, 0
        for chunk in self.chat_model.stream(messages, **options):
            buffer += str(chunk.content)
            *complete, buffer = SENTENCE_END.split(buffer)
            for sentence in complete:
                clean = _clean(sentence)
                if clean:
                    if count >= MAX_SENTENCES or written + len(clean) > MAX_CHARS:
                        return
                    yield clean
                    count, written = count + 1, written + len(clean)
        clean = _clean(buffer)
        if clean and count < MAX_SENTENCES and written + len(clean) <= MAX_CHARS:
            yield clean


def sentences(text: str) -> list[str]:
    """A reply text cut into the cleaned sentences the grounding rule checks one by one."""
    return [clean for clean in map(_clean, SENTENCE_END.split(text)) if clean]


def _clean(sentence: str) -> str:
    text = " ".join(sentence.replace("*", "").split()).strip("\"'“”")
    return text if len(text) >= 3 and re.search(r"[A-Za-z]", text) else ""
