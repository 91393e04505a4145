"""A LangChain chat model over any engine that turns prompt token ids into generated token ids.

Inference engines (onnxruntime-genai, OpenVINO GenAI, llama.cpp) each have
their own tokenizer and chat-template handling, and they differ in small
ways (default system prompts, special-token parsing).  Here the prompt is
always rendered and tokenised by the model's own Hugging Face tokenizer, the
one transformers uses, so every engine is given exactly the same token ids
and only the arithmetic differs.  Stop sequences, streaming, usage and the
finish reason behave as in ``TransformersChatModel``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field
from transformers import PreTrainedTokenizerBase

from assistant.llm.chat_model import (
    _call_options,
    _chat_turn,
    _finish_metadata,
    _generation_params,
    _last_chunk,
    _Options,
    _StopFilter,
    _text_chunk,
)


class _Decoder:
    """Turns generated token ids into text pieces as they arrive.

    The whole generated sequence is decoded at each step and only the new
    suffix is released, because one character may span several tokens: a
    suffix ending in U+FFFD (an incomplete UTF-8 sequence) is held back.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self._tokenizer = tokenizer
        self.ids: list[int] = []
        self._released = 0

    def feed(self, token: int) -> str:
        self.ids.append(token)
        text = cast(str, self._tokenizer.decode(self.ids, skip_special_tokens=True))
        if text.endswith("\ufffd"):
            return ""
        piece, self._released = text[self._released :], len(text)
        return piece


class TokenStreamChatModel(BaseChatModel):
    """Chat through an engine that yields token ids; subclasses implement ``_token_ids``.

    Calls take turns on ``generation_lock``: an engine holds one model, and
    on a CPU concurrent generations would only split the same cores.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    tokenizer: PreTrainedTokenizerBase = Field(exclude=True)
    eos_token_ids: frozenset[int] = frozenset()
    model_name: str = "local"
    max_new_tokens: int = Field(default=96, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    seed: int = 0
    generation_lock: Any = Field(default_factory=threading.Lock, exclude=True)

    def _token_ids(self, prompt: list[int], options: _Options) -> Iterator[int]:
        """Generated token ids after ``prompt``, at most ``options.max_new_tokens``; closing it stops the engine."""
        raise NotImplementedError

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return _generation_params(self)

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> _Options:
        return _call_options(self, stop, kwargs)

    def _prompt_ids(self, messages: list[BaseMessage]) -> list[int]:
        encoded = self.tokenizer.apply_chat_template(
            [_chat_turn(m) for m in messages], add_generation_prompt=True, return_dict=True
        )
        return list(cast(Any, encoded)["input_ids"])

    def _pieces(self, messages: list[BaseMessage], options: _Options, stats: dict[str, Any]) -> Iterator[str]:
        """Text pieces cut at the first stop sequence; ``stats`` receives token counts and the finish reason."""
        prompt = self._prompt_ids(messages)
        decoder = _Decoder(self.tokenizer)
        stop_filter = _StopFilter(options.stop)
        stats.update(prompt_tokens=len(prompt), generated=0, last_token=None)
        with self.generation_lock:
            tokens = self._token_ids(prompt, options)
            try:
                for token in tokens:
                    stats["generated"] += 1
                    stats["last_token"] = token
                    if token in self.eos_token_ids:
                        break
                    text = stop_filter.feed(decoder.feed(token))
                    if text:
                        yield text
                    if stop_filter.stopped:
                        break
            finally:
                cast(Any, tokens).close()
        tail = stop_filter.flush()
        if tail:
            yield tail
        length_bound = stats["generated"] >= options.max_new_tokens and stats["last_token"] not in self.eos_token_ids
        stats["finish_reason"] = "length" if length_bound and not stop_filter.stopped else "stop"

    def _finish(self, stats: dict[str, Any]) -> dict[str, Any]:
        return _finish_metadata(self.model_name, stats["prompt_tokens"], stats["generated"], stats["finish_reason"])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        stats: dict[str, Any] = {}
        text = "".join(self._pieces(messages, self._options(stop, kwargs), stats))
        finish = self._finish(stats)
        message = AIMessage(content=text, **finish)
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=finish["response_metadata"])])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Yield text as it is decoded; closing the stream early stops the engine at the next token."""
        stats: dict[str, Any] = {}
        for text in self._pieces(messages, self._options(stop, kwargs), stats):
            yield _text_chunk(text, run_manager)
        yield _last_chunk(self._finish(stats))
