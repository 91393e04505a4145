"""Our hand-written parts against the maintained libraries that could replace them, measured on the same inputs.

Run as ``python -m bench.libraries json-repair --iard FILE --dialogues N --json OUT`` and
``python -m bench.libraries chat-model --dialogues FILE --messages N --minimum N --json OUT``, with
``CONCIERGE_LLM_MODEL`` naming the chat model (the figures in bench/results were made with smollm2-135m).

json-repair: the extraction bench (:mod:`bench.extraction`, rules plus the LLM's proposals) with our
repair and with ``json_repair`` in its place; the chat model's answers are cached by prompt (decoding is
greedy), so both readers see the same answers and only a retry that differs costs a new generation.
Every answer is also read by both, and the ones they read differently are listed.

chat-model: :class:`~assistant.llm.chat_model.TransformersChatModel` against langchain-huggingface's
``ChatHuggingFace`` over a ``HuggingFacePipeline`` of the same loaded model: what each does with
streaming, stop sequences, per-call options and usage, then the faithfulness bench
(:mod:`bench.faithfulness`) run with each.  langchain-huggingface is not a dependency (it pins
huggingface-hub below 2, which transformers here is past): ``pip install --no-deps langchain-huggingface``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.settings import Settings
from assistant.understanding import extraction
from assistant.understanding.extraction import ProposalError, ProposedPreferences, parse_proposal

# ------------------------------------------------------------------ json-repair


def parse_with_hand_repair(text: str) -> ProposedPreferences:
    """The repair extraction used before json_repair (commit de2cd71), kept here to compare against."""
    import re

    start = text.find("{")
    if start < 0:
        raise ProposalError("there is no JSON object in the answer")
    depth, in_string, end = 0, False, None
    for position in range(start, len(text)):
        character = text[position]
        if character == '"' and text[position - 1] != "\\":
            in_string = not in_string
        elif not in_string and character == "{":
            depth += 1
        elif not in_string and character == "}":
            depth -= 1
            if depth == 0:
                end = position + 1
                break
    candidate = text[start:end] if end is not None else text[start:] + "}" * depth
    repaired = candidate.replace("'", '"') if '"' not in candidate else candidate
    repaired = re.sub(r"\bNone\b", "null", re.sub(r",\s*([}\]])", r"\1", repaired))
    for attempt in (candidate, repaired):
        try:
            data = json.loads(attempt)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            raise ProposalError("the answer is not a JSON object")
        try:
            return ProposedPreferences.model_validate(data)
        except ValueError as exc:
            raise ProposalError(f"the object does not fit the schema: {exc}") from exc
    raise ProposalError("the JSON is malformed")


class CachedChat:
    """The chat model's ``invoke``, remembered by prompt: both readers see the same answers."""

    def __init__(self, chat_model: BaseChatModel) -> None:
        self.chat_model = chat_model
        self.answers: dict[str, AIMessage] = {}
        self.generated = 0

    def invoke(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        key = json.dumps([[m.type, m.text] for m in messages] + [sorted(kwargs.items())])
        if key not in self.answers:
            self.generated += 1
            self.answers[key] = self.chat_model.invoke(messages, **kwargs)
        return self.answers[key]


@contextmanager
def reader(parse: Callable[[str], ProposedPreferences], seen: list[str]) -> Iterator[None]:
    """Extraction reads the model's answers with ``parse`` for the duration; every answer is kept in ``seen``."""
    original = extraction.parse_proposal

    def recorded(text: str) -> ProposedPreferences:
        seen.append(text)
        return parse(text)

    extraction.parse_proposal = recorded
    try:
        yield
    finally:
        extraction.parse_proposal = original


CURATED = (
    # what small models were seen to write (the extraction tests' cases among them), and what they must not pass
    '{"liked_titles": ["Heat"], "unwanted_genres": ["horror"]}',
    'Sure! ```json\n{"liked_titles": ["Heat"], "unwanted_genres": ["horror"],}\n```',
    "{'liked_titles': ['Heat'], 'unwanted_genres': ['horror']}",
    '{"liked_titles": "Heat", "unwanted_genres": ["horror"], "mood": "happy"}',
    '{"liked_titles": ["Heat"], "unwanted_genres": ["horror"]',
    '{"liked_titles": ["Heat", "Alien"], "seen_titles": None}',
    '{"liked_titles": ["Ocean\'s Eleven"], "disliked_people": ["Tom Cruise"]}',
    "{'liked_titles': [\"Ocean's Eleven\"]}",
    '{"liked_titles": ["Heat"]} and also {"disliked_titles": ["Alien"]}',
    'Answer: {"liked_titles": ["Heat"],\n "wanted_genres": ["comedy"]\n',
    '{liked_titles: ["Heat"]}',
    '{"liked_titles": ["The "Matrix""]}',
    "I think they like Heat.",
    '["Heat"]',
    '{"liked_titles": {"a": 1}}',
)


def read_alike(answers: list[str]) -> dict[str, Any]:
    """How our repair and json_repair read the same answers."""

    def outcome(parse: Callable[[str], ProposedPreferences], text: str) -> dict[str, Any] | str:
        try:
            return parse(text).model_dump()
        except ProposalError as exc:
            return f"refused: {exc}"

    differ = []
    ours_read = theirs_read = 0
    for text in dict.fromkeys(answers):
        ours, theirs = outcome(parse_with_hand_repair, text), outcome(parse_proposal, text)
        ours_read += isinstance(ours, dict)
        theirs_read += isinstance(theirs, dict)
        if ours != theirs:
            differ.append({"answer": text, "ours": ours, "json_repair": theirs})
    return {
        "distinct_answers": len(dict.fromkeys(answers)),
        "read_by_ours": ours_read,
        "read_by_json_repair": theirs_read,
        "read_differently": len(differ),
        "differences": differ,
    }


def compare_repair(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.llm import chat_model_from_settings
    from bench.extraction import CATEGORIES, evaluate, micro_average
    from kg.catalogue import load_catalogue
    from retrieval.collaborative import CoLikeIndex

    settings = Settings()
    catalogue = load_catalogue(settings.catalogue)
    colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), settings.min_liked_rating)
    from assistant.understanding.interpreter import TurnInterpreter
    from assistant.understanding.linking import EntityLinker

    interpreter = TurnInterpreter(EntityLinker(catalogue, lambda item_id: float(colike.like_count(item_id))))
    dialogues = json.loads(args.iard.read_text(encoding="utf-8"))[: args.dialogues]
    chat = CachedChat(chat_model_from_settings(settings))
    extractor = extraction.PreferenceExtractor(cast(BaseChatModel, chat), interpreter.linker)
    result: dict[str, Any] = {"model": settings.llm_model, "dialogues": len(dialogues)}
    answers: list[str] = []
    for name, parse in (("ours", parse_with_hand_repair), ("json_repair", parse_proposal)):
        before = chat.generated
        started = time.perf_counter()
        seen: list[str] = []
        with reader(parse, seen):
            tallies, _, turns = evaluate(dialogues, interpreter, extractor)
        answers += seen
        result[name] = {
            "utterances": turns,
            "micro": micro_average(tallies),
            "per_category": {category: tallies[category].scores() for category in CATEGORIES},
            "answers_read": len(seen),
            "new_generations": chat.generated - before,
            "seconds": round(time.perf_counter() - started, 1),
        }
    result["same_answers"] = read_alike(answers)
    result["curated_answers"] = read_alike(list(CURATED))
    return result


# ------------------------------------------------------------------ chat model


def library_chat_model(settings: Settings) -> BaseChatModel:
    """langchain-huggingface's chat model over a pipeline of the same loaded model, greedy like ours."""
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import pipeline

    from assistant.llm import load_local_model

    local = load_local_model(settings)
    generator = cast(Any, pipeline)(
        "text-generation",
        model=local.model,
        tokenizer=local.tokenizer,
        max_new_tokens=settings.llm_max_new_tokens,
        do_sample=False,
        return_full_text=False,
    )
    return ChatHuggingFace(llm=HuggingFacePipeline(pipeline=generator), tokenizer=local.tokenizer)


def capabilities(chat_model: BaseChatModel) -> dict[str, Any]:
    """What one chat model does with the calls Concierge makes of it."""
    ask = [SystemMessage("You answer in two sentences."), HumanMessage("Tell me about the film Alien (1979).")]
    found: dict[str, Any] = {}

    def attempt(name: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            value = call()
        except Exception as exc:
            found[name] = f"fails: {type(exc).__name__}: {exc}"[:300]
            return None
        found[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
        return value

    plain = attempt("invoke", lambda: chat_model.invoke(ask))
    if plain is None:
        return found
    text = str(plain.content)
    found["invoke_text"] = text
    found["usage_metadata"] = getattr(plain, "usage_metadata", None)
    found["finish_reason"] = plain.response_metadata.get("finish_reason")
    pieces = attempt("stream", lambda: [str(chunk.content) for chunk in chat_model.stream(ask)])
    if pieces is not None:
        found["stream_chunks"] = len(pieces)
        found["stream_equals_invoke"] = "".join(pieces) == text
    words = text.split()
    stop = " ".join(words[len(words) // 2 : len(words) // 2 + 2]) if len(words) > 4 else "Alien"
    found["stop_sequence"] = stop
    cut = attempt("invoke_with_stop", lambda: str(chat_model.invoke(ask, stop=[stop]).content))
    if cut is not None:
        found["invoke_stops_before_it"] = stop not in cut and text.startswith(cut.rstrip())
    streamed = attempt("stream_with_stop", lambda: "".join(str(c.content) for c in chat_model.stream(ask, stop=[stop])))
    if streamed is not None:
        found["stream_stops_before_it"] = stop not in streamed
    short = attempt("invoke_max_new_tokens_8", lambda: str(chat_model.invoke(ask, max_new_tokens=8).content))
    if short is not None:
        found["per_call_max_new_tokens_kept"] = len(short) < len(text) and len(short.split()) <= 8
    follow = [*ask, AIMessage(text)]
    attempt("last_message_from_the_assistant", lambda: chat_model.invoke(follow))
    return found


def compare_chat_models(args: argparse.Namespace) -> dict[str, Any]:
    import assistant.llm
    from bench.faithfulness import UNHURRIED_S, check_reply_texts, run

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings(justifications="llm", turn_deadline_s=UNHURRIED_S, **overrides)
    original = assistant.llm.chat_model_from_settings
    builders: dict[str, Callable[[Settings], BaseChatModel]] = {
        "ours": original,
        "langchain_huggingface": library_chat_model,
    }
    result: dict[str, Any] = {"model": settings.llm_model}
    for name, build in builders.items():
        entry: dict[str, Any] = {"capabilities": capabilities(build(settings))}
        setattr(assistant.llm, "chat_model_from_settings", build)  # noqa: B010  # what Parts.open asks for
        try:
            if args.minimum > 0:
                entry["justifications"] = run(settings, args.dialogues, args.minimum)[0]
            if args.messages > 0:
                texts, _ = check_reply_texts(settings, args.dialogues, args.messages)
                entry["reply_texts"] = {key: value for key, value in texts.items() if key != "unfaithful"}
                entry["unfaithful_reply_texts"] = texts["unfaithful"]
        finally:
            setattr(assistant.llm, "chat_model_from_settings", original)  # noqa: B010
        result[name] = entry
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    repair = commands.add_parser("json-repair")
    repair.add_argument("--iard", type=Path, required=True, help="formatted_IARD_annotated_gold.json")
    repair.add_argument("--dialogues", type=int, default=10)
    chat = commands.add_parser("chat-model")
    chat.add_argument("--dialogues", type=Path, required=True, help="ReDial valid_dialogues.jsonl")
    chat.add_argument("--data-dir", type=Path, help="data directory with built indexes")
    chat.add_argument("--messages", type=int, default=20, help="reply texts checked (0: none)")
    chat.add_argument("--minimum", type=int, default=20, help="justifications checked (0: none)")
    for command in (repair, chat):
        command.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    result = compare_repair(args) if args.command == "json-repair" else compare_chat_models(args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "same_answers"}, indent=2, default=str)[:4000])


if __name__ == "__main__":
    main()
