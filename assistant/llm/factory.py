"""The one place that turns settings into a chat model.

The rest of Concierge only sees ``BaseChatModel``; a caller may pass any
LangChain chat model to the assistant instead, and only this module knows
which backends exist.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.llm.chat_model import TransformersChatModel
from assistant.llm.local import load_local_model
from assistant.settings import Settings

logger = logging.getLogger(__name__)


class BackendUnavailableError(RuntimeError):
    """The configured backend needs a package that is not installed."""


def _openai_chat_model(settings: Settings) -> BaseChatModel:
    """An OpenAI-compatible server (vLLM, TGI, Ollama) through ``langchain-openai``.

    Imported on demand: the package is optional and only this backend needs it.
    """
    try:
        module = importlib.import_module("langchain_openai")
    except ImportError as error:
        raise BackendUnavailableError(
            "llm_backend 'openai' needs the optional package langchain-openai (pip install langchain-openai)"
        ) from error
    return _served_model_class(module.ChatOpenAI)(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_new_tokens,
        seed=settings.llm_seed,
    )


def _served_model_class(chat_openai: type[Any]) -> type[Any]:
    """``ChatOpenAI`` that takes the per-call ``max_new_tokens`` Concierge passes (transformers' name) as ``max_tokens``.

    Without it every call that bounds its length fails in the OpenAI client,
    and the reply, justifications and extraction fall back to templates and rules.
    The request names the bound ``max_tokens``, which every OpenAI-compatible
    server reads: the client's newer ``max_completion_tokens`` is ignored by
    some of them (llama-cpp-python's server writes on to its own limit).
    """

    def served(kwargs: dict[str, Any]) -> dict[str, Any]:
        if "max_new_tokens" not in kwargs:
            return kwargs
        return {**{k: v for k, v in kwargs.items() if k != "max_new_tokens"}, "max_tokens": kwargs["max_new_tokens"]}

    class ServedChatModel(chat_openai):
        def _get_request_payload(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            payload: dict[str, Any] = super()._get_request_payload(*args, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            return super()._generate(*args, **served(kwargs))

        def _stream(self, *args: Any, **kwargs: Any) -> Any:
            return super()._stream(*args, **served(kwargs))

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            return await super()._agenerate(*args, **served(kwargs))

        def _astream(self, *args: Any, **kwargs: Any) -> Any:
            return super()._astream(*args, **served(kwargs))

    return ServedChatModel


def _onnx_chat_model(settings: Settings) -> BaseChatModel | None:
    """The packaged model on onnxruntime-genai, or None (with one log line) when the engine is missing or fails."""
    from assistant.llm.onnx_genai import OnnxEngineError, OnnxGenaiChatModel, load_onnx_model

    try:
        loaded = load_onnx_model(settings)
    except (OnnxEngineError, OSError) as error:
        logger.warning("llm_backend onnx unavailable, using transformers instead: %s", error)
        return None
    return OnnxGenaiChatModel.from_onnx(loaded, **_generation(settings))


def _generation(settings: Settings) -> dict[str, Any]:
    return {
        "max_new_tokens": settings.llm_max_new_tokens,
        "temperature": settings.llm_temperature,
        "seed": settings.llm_seed,
    }


def chat_model_from_settings(settings: Settings) -> BaseChatModel:
    """The chat model ``settings`` describe; local models are loaded once per process.

    ``onnx`` serves the packaged model on the CPU through onnxruntime-genai;
    on another device, or when that engine is missing or fails, transformers
    serves it.
    """
    if settings.llm_backend == "openai":
        return _openai_chat_model(settings)
    if settings.llm_backend == "onnx" and settings.llm_device == "cpu":
        chat_model = _onnx_chat_model(settings)
        if chat_model is not None:
            return chat_model
    return TransformersChatModel.from_local(load_local_model(settings), **_generation(settings))
