"""LLM-written justifications, checked against the evidence, with the template as the net.

The model gets the evidence as numbered facts and writes one or two
sentences.  The faithfulness checker reads every name, number and role in the
result; a rejected sentence is regenerated once with the checker's complaint,
and a second rejection falls back to the template sentence.  Each
recommendation records which of the two wrote its justification.
"""

from __future__ import annotations

import logging
import re

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.faithfulness import FaithfulnessChecker
from assistant.justify import evidence_facts
from assistant.types import Recommendation
from kg.schema import CatalogueSchema
from prompts import load_prompt

LOGGER = logging.getLogger(__name__)
MAX_SENTENCES = 2
MAX_CHARS = 320
ATTEMPTS = 2


def tidy(text: str) -> str:
    """First sentences of a model answer, without markdown, quotes or a label."""
    text = re.sub(r"[*_`#>\"“”]", "", text).strip()
    text = re.sub(r"^(?:explanation|answer|sentence)\s*:\s*", "", text, flags=re.IGNORECASE)
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(sentences[:MAX_SENTENCES])[:MAX_CHARS].strip()


class JustificationWriter:
    """Rewrites a recommendation's template justification with the LLM when the result is faithful."""

    def __init__(self, chat_model: BaseChatModel, checker: FaithfulnessChecker, schema: CatalogueSchema) -> None:
        self.chat_model = chat_model
        self.checker = checker
        self.schema = schema

    def rewrite(self, recommendation: Recommendation) -> Recommendation:
        facts = evidence_facts(recommendation.evidence, self.schema, recommendation.item.title)
        prompt = load_prompt("justify_user").format(
            title=recommendation.item.title,
            facts="\n".join(f"{number}. {fact}" for number, fact in enumerate(facts, start=1)),
        )
        messages: list[BaseMessage] = [SystemMessage(load_prompt("justify_system")), HumanMessage(prompt)]
        for attempt in range(1, ATTEMPTS + 1):
            try:
                draft = tidy(str(self.chat_model.invoke(messages).content))
            except Exception as exc:  # noqa: BLE001 - a failing model must not fail the turn; the template stands in
                LOGGER.warning("justification model failed, keeping the template: %s", exc)
                return recommendation.model_copy(update={"llm_attempts": attempt})
            verdict = self.checker.check(draft, recommendation.evidence, recommendation.item, facts) if draft else None
            if verdict is not None and verdict.faithful:
                return recommendation.model_copy(
                    update={"justification": draft, "justification_source": "llm", "llm_attempts": attempt}
                )
            problems = "; ".join(verdict.problems) if verdict is not None else "it was empty"
            messages += [AIMessage(draft), HumanMessage(load_prompt("justify_retry").format(problems=problems))]
        return recommendation.model_copy(update={"llm_attempts": ATTEMPTS})
