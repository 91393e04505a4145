"""A LangChain chat model over a local transformers causal LM.

The assistant talks to every LLM through LangChain's ``BaseChatModel``, so a
local model has to look exactly like a served one: messages in, an
``AIMessage`` (or a stream of chunks) out, ``stop`` sequences cut from the
text as OpenAI-style servers do, and usage reported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

import torch
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field
from transformers import (
    BatchEncoding,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from assistant.llm.local import LocalModel

_CALL_OPTIONS = ("max_new_tokens", "temperature", "seed")


@dataclass(frozen=True)
class _Options:
    """Generation options of one call: the model's defaults with per-call overrides."""

    max_new_tokens: int
    temperature: float
    seed: int
    stop: tuple[str, ...]


class _GenerationDefaults(Protocol):
    model_name: str
    max_new_tokens: int
    temperature: float
    seed: int


def _generation_params(model: _GenerationDefaults) -> dict[str, Any]:
    """What identifies a local chat model's output: the model and its generation defaults."""
    return {
        "model_name": model.model_name,
        "max_new_tokens": model.max_new_tokens,
        "temperature": model.temperature,
        "seed": model.seed,
    }


def _call_options(model: _GenerationDefaults, stop: list[str] | None, kwargs: dict[str, Any]) -> _Options:
    """Merge per-call overrides (``invoke(..., max_new_tokens=8)`` or ``bind``) into the model's defaults."""
    kwargs.pop("stream", None)  # LangChain's own routing flag, already acted on
    unknown = set(kwargs) - set(_CALL_OPTIONS)
    if unknown:
        raise TypeError(f"unsupported generation options {sorted(unknown)}; supported: {list(_CALL_OPTIONS)}")
    return _Options(
        max_new_tokens=int(kwargs.get("max_new_tokens", model.max_new_tokens)),
        temperature=float(kwargs.get("temperature", model.temperature)),
        seed=int(kwargs.get("seed", model.seed)),
        stop=tuple(s for s in (stop or ()) if s),
    )


def _chat_turn(message: BaseMessage) -> dict[str, str]:
    """One message in the ``{"role", "content"}`` form chat templates expect."""
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, ChatMessage):
        role = message.role
    else:
        raise ValueError(f"{type(message).__name__} is not supported by a local chat model (no tool calling)")
    return {"role": role, "content": str(message.text)}


def _cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the earliest stop sequence, and whether one occurred."""
    positions = [index for index in (text.find(s) for s in stop) if index >= 0]
    if not positions:
        return text, False
    return text[: min(positions)], True


class _StopFilter:
    """Releases streamed text, holding back any tail that might begin a stop sequence.

    Without the hold-back a stream would already have shown ``"Obs"`` by the
    time ``"Observation:"`` completes, and would differ from ``invoke``.
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self._stop = stop
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self._pending += text
        cut, self.stopped = _cut_at_stop(self._pending, self._stop)
        if self.stopped:
            self._pending = ""
            return cut
        held = max(
            (k for s in self._stop for k in range(1, len(s)) if self._pending.endswith(s[:k])),
            default=0,
        )
        released = self._pending[: len(self._pending) - held]
        self._pending = self._pending[len(released) :]
        return released

    def flush(self) -> str:
        released, self._pending = self._pending, ""
        return released


class _Watch(StoppingCriteria):
    """Counts generated tokens and ends generation on a stop sequence or a cancelled stream.

    It decodes the generated tail at each step only when stop sequences are
    given; for replies of a few hundred tokens that is negligible next to a
    forward pass.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, prompt_tokens: int, stop: Sequence[str], cancelled: threading.Event
    ) -> None:
        self._tokenizer = tokenizer
        self._prompt_tokens = prompt_tokens
        self._stop = stop
        self._cancelled = cancelled
        self.generated = 0
        self.last_token: int | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        self.generated = input_ids.shape[1] - self._prompt_tokens
        self.last_token = int(input_ids[0, -1])
        done = self._cancelled.is_set()
        if self._stop and not done:
            text = self._tokenizer.decode(input_ids[0, self._prompt_tokens :], skip_special_tokens=True)
            done = _cut_at_stop(cast(str, text), self._stop)[1]
        return cast(
            torch.BoolTensor, torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)
        )


@contextmanager
def _seeded(seed: int, device: torch.device, sampling: bool) -> Iterator[None]:
    """Seed sampling reproducibly without disturbing the caller's random state.

    ``generate`` samples from torch's process-global generator and takes no
    generator argument, so the state is forked, seeded and restored.
    """
    if not sampling:
        yield
        return
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# Kept over langchain-huggingface's ChatHuggingFace (1.2.3): over a local pipeline it ignores stop in invoke, stops streams on single token ids only, reports no usage, drops per-call max_new_tokens, and pins huggingface-hub<2.
class TransformersChatModel(BaseChatModel):
    """Chat with a local transformers model through LangChain.

    Temperature 0 is greedy decoding, so equal prompts give equal replies;
    above 0 it samples with ``seed``.  Calls on one model take turns on its
    lock: on a CPU concurrent generations would only split the same cores,
    and the lock is shared by every chat model built on the same
    ``LocalModel``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    hf_model: PreTrainedModel = Field(exclude=True)
    tokenizer: PreTrainedTokenizerBase = Field(exclude=True)
    model_name: str = "local"
    max_new_tokens: int = Field(default=96, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    seed: int = 0
    generation_lock: Any = Field(default_factory=threading.Lock, exclude=True)

    @classmethod
    def from_local(cls, local: LocalModel, **params: Any) -> TransformersChatModel:
        """A chat model over ``local``, sharing its generation lock."""
        return cls(
            hf_model=local.model,
            tokenizer=local.tokenizer,
            model_name=local.name,
            generation_lock=local.lock,
            **params,
        )

    @property
    def _llm_type(self) -> str:
        return "transformers-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return _generation_params(self)

    def _options(self, stop: list[str] | None, kwargs: dict[str, Any]) -> _Options:
        return _call_options(self, stop, kwargs)

    def _encode(self, messages: list[BaseMessage]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer.apply_chat_template(
            [_chat_turn(m) for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        if not isinstance(encoded, BatchEncoding):
            raise TypeError(f"the tokenizer's chat template returned {type(encoded).__name__}, not a batch encoding")
        return {name: tensor.to(self.hf_model.device) for name, tensor in encoded.items()}

    def _eos_ids(self) -> set[int]:
        eos = self.hf_model.generation_config.eos_token_id
        if eos is None:
            return set() if self.tokenizer.eos_token_id is None else {self.tokenizer.eos_token_id}
        return {eos} if isinstance(eos, int) else set(eos)

    def _pad_token_id(self) -> int | None:
        for candidate in (
            self.hf_model.generation_config.pad_token_id,
            self.tokenizer.pad_token_id,
            self.tokenizer.eos_token_id,
        ):
            if candidate is not None:
                return candidate
        return None

    def _run(
        self,
        inputs: dict[str, torch.Tensor],
        options: _Options,
        watch: _Watch,
        streamer: TextIteratorStreamer | None = None,
    ) -> torch.Tensor:
        sampling = options.temperature > 0
        sampling_args = {"temperature": options.temperature} if sampling else {}
        with self.generation_lock, torch.inference_mode(), _seeded(options.seed, self.hf_model.device, sampling):
            # transformers types generate() through nn.Module's dynamic attributes, which mypy cannot follow
            generate = cast(Any, self.hf_model).generate
            return cast(
                torch.Tensor,
                generate(
                    **inputs,
                    max_new_tokens=options.max_new_tokens,
                    do_sample=sampling,
                    **sampling_args,
                    pad_token_id=self._pad_token_id(),
                    stopping_criteria=StoppingCriteriaList([watch]),
                    streamer=streamer,
                ),
            )

    def _finish(self, watch: _Watch, prompt_tokens: int, options: _Options, hit_stop: bool) -> dict[str, Any]:
        length_bound = watch.generated >= options.max_new_tokens and watch.last_token not in self._eos_ids()
        reason = "length" if length_bound and not hit_stop else "stop"
        return _finish_metadata(self.model_name, prompt_tokens, watch.generated, reason)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        options = self._options(stop, kwargs)
        inputs = self._encode(messages)
        prompt_tokens = inputs["input_ids"].shape[1]
        watch = _Watch(self.tokenizer, prompt_tokens, options.stop, threading.Event())
        output = self._run(inputs, options, watch)
        decoded = self.tokenizer.decode(output[0, prompt_tokens:], skip_special_tokens=True)
        text, hit_stop = _cut_at_stop(cast(str, decoded), options.stop)
        finish = self._finish(watch, prompt_tokens, options, hit_stop)
        message = AIMessage(content=text, **finish)
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=finish["response_metadata"])])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Generate in a worker thread and yield text as the streamer decodes it.

        Closing the iterator early cancels generation at the next token, so an
        abandoned stream does not hold the model's lock until the token limit.
        """
        options = self._options(stop, kwargs)
        inputs = self._encode(messages)
        prompt_tokens = inputs["input_ids"].shape[1]
        cancelled = threading.Event()
        watch = _Watch(self.tokenizer, prompt_tokens, options.stop, cancelled)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failures: list[BaseException] = []

        def work() -> None:
            try:
                self._run(inputs, options, watch, streamer)
            except BaseException as error:  # re-raised in the consuming thread below
                failures.append(error)
                streamer.end()

        worker = threading.Thread(target=work, name="transformers-generate", daemon=True)
        worker.start()
        stop_filter = _StopFilter(options.stop)
        try:
            for piece in streamer:
                text = stop_filter.feed(piece)
                if text:
                    yield _text_chunk(text, run_manager)
            worker.join()
            if failures:
                raise failures[0]
            tail = stop_filter.flush()
            if tail:
                yield _text_chunk(tail, run_manager)
            finish = self._finish(watch, prompt_tokens, options, stop_filter.stopped)
            yield _last_chunk(finish)
        finally:
            cancelled.set()
            worker.join()


def _finish_metadata(model_name: str, prompt_tokens: int, generated: int, finish_reason: str) -> dict[str, Any]:
    """Usage and finish reason, reported the way OpenAI-compatible chat models do."""
    usage = UsageMetadata(input_tokens=prompt_tokens, output_tokens=generated, total_tokens=prompt_tokens + generated)
    return {"usage_metadata": usage, "response_metadata": {"finish_reason": finish_reason, "model_name": model_name}}


def _text_chunk(text: str, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
    if run_manager is not None:
        run_manager.on_llm_new_token(text, chunk=chunk)
    return chunk


def _last_chunk(finish: dict[str, Any]) -> ChatGenerationChunk:
    """The empty closing chunk of a stream, carrying its usage and finish reason."""
    return ChatGenerationChunk(
        message=AIMessageChunk(content="", chunk_position="last", **finish),
        generation_info=finish["response_metadata"],
    )
