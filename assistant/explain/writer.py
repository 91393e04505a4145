"""LLM-written justifications, checked against the evidence, with the template as the net.

The model gets the evidence as numbered facts, a few worked examples, and
writes one sentence.  The faithfulness checker reads every name, number and
role in the result, sentence by sentence: the faithful leading sentences are
kept when they state at least one fact, and anything after the first unfaithful
sentence is dropped (small models tend to append invented praise to a correct
first sentence).  A draft with nothing usable is regenerated once, sampled,
with the checker's complaint; a second failure falls back to the template
sentence.  Each recommendation records which of the two wrote its
justification and after how many drafts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.explain.faithfulness import DISCOVERY_CLAIM, FaithfulnessChecker, allowed_facts, title_forms
from assistant.explain.templates import discovery_fact, evidence_facts
from assistant.types import Recommendation
from assistant.understanding.linking import normalise
from kg.schema import CatalogueSchema
from prompts import load_examples, load_prompt

LOGGER = logging.getLogger(__name__)
MAX_SENTENCES = 2
MAX_CHARS = 320
ATTEMPTS = 2
MAX_NEW_TOKENS = 64
RETRY_TEMPERATURE = 0.7
SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bJr\.)(?<!\bvs\.)\s+"
)


def sentences_of(text: str, titles: Iterable[str] = ()) -> list[str]:
    """The first sentences of a model answer, without markdown, quotes or a label.

    ``titles`` may end in sentence punctuation ("When Harry Met Sally...",
    "Airplane!"); a sentence does not end inside one of them.
    """
    text = re.sub(r"[*_`#>\"“”]", "", text).strip()
    text = re.sub(r"^(?:explanation|answer|sentence)\s*:\s*", "", text, flags=re.IGNORECASE)
    text = " ".join(text.split())
    protected = {title: f"\x00{number}\x00" for number, title in enumerate(sorted(set(titles), key=len, reverse=True))}
    for title, mark in protected.items():
        text = text.replace(title, mark)
    sentences = SENTENCE_END.split(text)
    for title, mark in protected.items():
        sentences = [sentence.replace(mark, title) for sentence in sentences]
    return [sentence for sentence in sentences[:MAX_SENTENCES] if sentence]


def fluency_problems(sentence: str, recommendation: Recommendation, schema: CatalogueSchema) -> tuple[str, ...]:
    """Faithful sentences that still read wrong: about another movie, or a person named twice.

    "Jumanji is a Children as well" credits the liked item instead of the
    suggestion; "Robin Williams stars Robin Williams" repeats itself.  Both
    pass the fact check, and neither belongs on a card.
    """
    lowered = f" {normalise(sentence)} "
    problems = []
    names_it = any(f" {normalise(form)} " in lowered for form in title_forms(recommendation.item.title))
    if not names_it and not re.search(r" its? ", lowered):
        problems.append(f"does not say it is about {recommendation.item.title}")
    facts = allowed_facts(recommendation.evidence, recommendation.item, schema)
    repeated = sorted(name for name in facts.names - facts.titles if name and lowered.count(f" {name} ") > 1)
    if repeated:
        problems.append(f"repeats {', '.join(repeated)}")
    return tuple(problems)


def _says_it_was_brought_in(text: str, recommendation: Recommendation) -> str:
    """The model's wording, opened by the re-ranking fact when the pick was brought in and the wording left it out:
    a person is always told that a pick is there for variety."""
    found = recommendation.evidence.discovery
    if found is None or DISCOVERY_CLAIM.search(normalise(text)):
        return text
    said = discovery_fact(found)
    return f"{said[0].upper()}{said[1:]}. {text}"


class JustificationWriter:
    """Rewrites a recommendation's template justification with the LLM when the result is faithful."""

    def __init__(self, chat_model: BaseChatModel, checker: FaithfulnessChecker, schema: CatalogueSchema) -> None:
        self.chat_model = chat_model
        self.checker = checker
        self.schema = schema

    def rewrite(self, recommendation: Recommendation) -> Recommendation:
        facts = evidence_facts(recommendation.evidence, self.schema, recommendation.item)
        problems = ""
        for attempt in range(1, ATTEMPTS + 1):
            options: dict[str, Any] = {"max_new_tokens": MAX_NEW_TOKENS}
            if attempt > 1:
                options |= {"temperature": RETRY_TEMPERATURE, "seed": attempt}
            try:
                answer = self.chat_model.invoke(self._messages(recommendation, facts, problems), **options)
            except Exception as exc:
                LOGGER.warning("justification model failed, keeping the template: %s", exc)
                return recommendation.model_copy(update={"llm_attempts": attempt})
            sentences = sentences_of(str(answer.content), self._titles(recommendation))
            kept, problems = self._faithful_part(sentences, recommendation, facts)
            if kept:
                kept = _says_it_was_brought_in(kept, recommendation)
                return recommendation.model_copy(
                    update={"justification": kept, "justification_source": "llm", "llm_attempts": attempt}
                )
        return recommendation.model_copy(update={"llm_attempts": ATTEMPTS})

    @staticmethod
    def _titles(recommendation: Recommendation) -> set[str]:
        """Every form of every title the evidence names, as the model may write it."""
        evidence = recommendation.evidence
        titles = {recommendation.item.title}
        titles.update(node.name for path in evidence.paths for node in path.nodes if node.kind == "item")
        if evidence.collaborative is not None:
            titles.add(evidence.collaborative.source_title)
        if evidence.conversations is not None:
            titles.add(evidence.conversations.source_title)
        return {form for title in titles for form in title_forms(title)}

    def _messages(self, recommendation: Recommendation, facts: list[str], problems: str) -> list[BaseMessage]:
        messages: list[BaseMessage] = [SystemMessage(load_prompt("justify_system"))]
        for request, answer in load_examples("justify_examples"):
            messages += [HumanMessage(request), AIMessage(answer)]
        request = load_prompt("justify_user").format(
            title=recommendation.item.title,
            facts="\n".join(f"{number}. {fact}" for number, fact in enumerate(facts, start=1)),
        )
        if problems:
            request += "\n" + load_prompt("justify_retry").format(problems=problems)
        return [*messages, HumanMessage(request)]

    def _faithful_part(self, sentences: list[str], recommendation: Recommendation, facts: list[str]) -> tuple[str, str]:
        """The faithful leading sentences if they state a fact, else '' and what was wrong."""
        kept: list[str] = []
        problems = "was empty"
        for sentence in sentences:
            verdict = self.checker.check(sentence, recommendation.evidence, recommendation.item, facts)
            flaws = verdict.problems + fluency_problems(sentence, recommendation, self.schema)
            if flaws:
                problems = "; ".join(flaws)
                break
            kept.append(sentence)
        text = " ".join(kept)[:MAX_CHARS].strip()
        if text and not self.checker.states_evidence(text, recommendation.evidence, recommendation.item):
            return "", "stated none of the facts"
        return (text, "") if text else ("", problems)
