"""Bounded waits for the chat model: a queue with a limit, and a deadline per turn.

Retrieval and ranking run concurrently across sessions; the model's text is
the one serialised part (on a CPU, concurrent generations would only split
the same cores).  A turn that would wait for the model past its deadline, or
that finds the queue full, gets :class:`ModelBusy` at once, and the callers
(reply writer, justification writer, preference extractor) fall back to the
checked templates and rules they already use when the model fails.  The
deadline of the running turn travels in :data:`TURN_DEADLINE`, which the turn
pipeline sets for every step of its stream.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field


class ModelBusy(RuntimeError):
    """The chat model could not start (or finish) within the turn's deadline, or its queue was full."""


@dataclass
class TurnDeadline:
    """When the running turn stops waiting for the model, and whether it had to."""

    at: float
    busy: str | None = field(default=None)

    @classmethod
    def after(cls, seconds: float) -> TurnDeadline:
        return cls(at=time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.at


TURN_DEADLINE: ContextVar[TurnDeadline | None] = ContextVar("concierge_turn_deadline", default=None)
"""The deadline of the turn being answered; None outside a turn (benchmarks, direct calls wait as long as needed)."""


@dataclass(frozen=True)
class GateLoad:
    """How many generations run and how many turns wait for one: what the UI tells a person who would wait."""

    running: int
    waiting: int
    slots: int
    queue_limit: int = 0
    typical_hold_s: float | None = None
    """How long one generation typically holds a slot; None before the first."""

    @property
    def busy(self) -> bool:
        return self.running >= self.slots or self.waiting > 0

    def expected_wait_s(self) -> float | None:
        """How long one more turn would wait for a slot, from the typical hold time; None before any generation."""
        return None if self.typical_hold_s is None else (self.waiting + 1) * self.typical_hold_s / self.slots

    def would_wait(self, deadline_s: float) -> bool:
        """Whether a turn starting now would queue for the model, rather than get it at once or go without it."""
        if not self.busy or self.waiting >= self.queue_limit:
            return False
        expected = self.expected_wait_s()
        return expected is None or expected <= deadline_s


TYPICAL_WEIGHT = 0.3
"""How much the latest generation moves the gate's typical hold time (an exponentially weighted mean)."""


class GenerationGate:
    """At most ``slots`` generations at once and at most ``queue_limit`` turns waiting for one.

    The gate keeps a typical time one generation holds a slot, so that a turn
    whose expected wait is already longer than what is left of its deadline
    is answered at once instead of after waiting for nothing.  A turn that was
    told the model is busy is not queued again for its later texts, so its
    reply is worded one way and comes without further waits.
    """

    def __init__(self, slots: int, queue_limit: int, first_hold_guess_s: float | None = None) -> None:
        """``first_hold_guess_s``: how long a generation is taken to hold a slot until one has been timed.

        Without a guess, every turn of a cold start's first burst queues (up to
        ``queue_limit``) and waits until its deadline behind one slow generation.
        """
        if slots < 1 or queue_limit < 0:
            raise ValueError("a generation gate needs at least one slot and a queue limit of zero or more")
        self.slots = slots
        self.queue_limit = queue_limit
        self._free = threading.BoundedSemaphore(slots)
        self._counts = threading.Lock()
        self._running = 0
        self._waiting = 0
        self._typical_hold_s = first_hold_guess_s

    def load(self) -> GateLoad:
        with self._counts:
            return self._load()

    def _load(self) -> GateLoad:
        return GateLoad(self._running, self._waiting, self.slots, self.queue_limit, self._typical_hold_s)

    @contextmanager
    def slot(self, deadline: TurnDeadline | None) -> Iterator[None]:
        """Hold one generation slot; :class:`ModelBusy` when the queue is full or the deadline comes first."""
        if deadline is not None and deadline.busy is not None:
            raise ModelBusy(deadline.busy)
        if not self._free.acquire(blocking=False):
            self._wait(deadline)
        with self._counts:
            self._running += 1
        taken = time.monotonic()
        try:
            yield
        finally:
            held_s = time.monotonic() - taken
            with self._counts:
                self._running -= 1
                typical = self._typical_hold_s
                self._typical_hold_s = held_s if typical is None else typical + TYPICAL_WEIGHT * (held_s - typical)
            self._free.release()

    def _wait(self, deadline: TurnDeadline | None) -> None:
        with self._counts:
            if self._waiting >= self.queue_limit:
                raise ModelBusy(f"{self._waiting} turns were already waiting for the language model")
            expected = self._load().expected_wait_s()
            if deadline is not None and expected is not None and expected > deadline.remaining():
                raise ModelBusy(f"the turns ahead would hold the language model for about {expected:.0f} s")
            self._waiting += 1
        try:
            acquired = self._free.acquire(timeout=None if deadline is None else deadline.remaining())
        finally:
            with self._counts:
                self._waiting -= 1
        if not acquired:
            raise ModelBusy("the language model stayed busy until the turn's deadline")


class GatedChatModel(BaseChatModel):
    """Any chat model behind a :class:`GenerationGate`, its output cut at the running turn's deadline.

    Both calls stream from the inner model, so a generation that would run
    past the deadline is cancelled at the next chunk rather than finished and
    thrown away.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    inner: BaseChatModel
    gate: Any = Field(exclude=True)

    @property
    def _llm_type(self) -> str:
        return f"gated-{self.inner._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"inner": self.inner._identifying_params, "slots": self.gate.slots}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        whole: AIMessageChunk | None = None
        for chunk in self._stream(messages, stop, None, **kwargs):
            assert isinstance(chunk.message, AIMessageChunk)
            whole = chunk.message if whole is None else whole + chunk.message
        message = AIMessage(
            content=whole.content if whole is not None else "",
            usage_metadata=whole.usage_metadata if whole is not None else None,
            response_metadata=whole.response_metadata if whole is not None else {},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        deadline = TURN_DEADLINE.get()
        try:
            with self.gate.slot(deadline):
                stream = cast(Generator[BaseMessageChunk, None, None], self.inner.stream(messages, stop=stop, **kwargs))
                try:
                    for piece in stream:
                        if deadline is not None and deadline.passed():
                            raise ModelBusy("the language model was still writing at the turn's deadline")
                        chunk = ChatGenerationChunk(message=piece)
                        if run_manager is not None:
                            run_manager.on_llm_new_token(str(piece.content), chunk=chunk)
                        yield chunk
                finally:
                    stream.close()
        except ModelBusy as busy:
            if deadline is not None:
                deadline.busy = str(busy)
            raise
