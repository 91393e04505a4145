"""The onnx backend: the packaged SmolLM2 converted by onnxruntime-genai's builder and served through LangChain.

The conversion is cached in the shared model cache, like the safetensors
copy, so only the first run on a machine pays for it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.llm import TransformersChatModel, chat_model_from_settings
from assistant.llm.local import packaged_safetensors, safetensors_dir
from assistant.llm.onnx_genai import OnnxGenaiChatModel, onnx_dir
from assistant.settings import Settings

pytest.importorskip("onnxruntime_genai")

PROMPT = [SystemMessage("You recommend films."), HumanMessage("Suggest a comedy film for a family night.")]


def onnx_settings(**overrides: object) -> Settings:
    return Settings(llm_backend="onnx", llm_model="smollm2-135m", llm_max_new_tokens=40, **overrides)


@pytest.fixture(scope="module")
def onnx_chat() -> OnnxGenaiChatModel:
    chat_model = chat_model_from_settings(onnx_settings())
    assert isinstance(chat_model, OnnxGenaiChatModel)
    return chat_model


def test_the_converted_model_answers_within_the_token_limit(onnx_chat: OnnxGenaiChatModel) -> None:
    reply = onnx_chat.invoke(PROMPT)
    assert reply.text.strip()
    assert reply.usage_metadata is not None and 0 < reply.usage_metadata["output_tokens"] <= 40
    assert reply.response_metadata["finish_reason"] in ("stop", "length")
    short = onnx_chat.invoke(PROMPT, max_new_tokens=3)
    assert short.usage_metadata is not None and short.usage_metadata["output_tokens"] <= 3
    assert short.response_metadata["finish_reason"] == "length"
    assert (onnx_dir(onnx_settings()) / "genai_config.json").is_file()


def test_a_stream_is_the_invoked_text_and_stop_sequences_cut_both(onnx_chat: OnnxGenaiChatModel) -> None:
    whole = onnx_chat.invoke(PROMPT).text
    chunks = list(onnx_chat.stream(PROMPT))
    assert len(chunks) > 2 and "".join(chunk.text for chunk in chunks) == whole
    stop = whole.split()[2]
    cut = onnx_chat.invoke(PROMPT, stop=[stop])
    assert cut.text == whole[: whole.index(stop)]
    assert cut.response_metadata["finish_reason"] == "stop"
    assert "".join(chunk.text for chunk in onnx_chat.stream(PROMPT, stop=[stop])) == cut.text


def test_a_broken_conversion_falls_back_to_transformers_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = packaged_safetensors(Settings(llm_model="smollm2-135m"))
    settings = onnx_settings(model_cache_dir=tmp_path)
    safetensors_dir(settings).symlink_to(shared)
    onnx_dir(settings).mkdir()
    (onnx_dir(settings) / "genai_config.json").write_text("{}")
    with caplog.at_level(logging.WARNING):
        chat_model = chat_model_from_settings(settings)
    assert isinstance(chat_model, TransformersChatModel)
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "using transformers instead" in warnings[0]


def test_a_missing_engine_falls_back_to_transformers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime_genai", None)  # what an environment without the package imports
    with caplog.at_level(logging.WARNING):
        chat_model = chat_model_from_settings(onnx_settings())
    assert isinstance(chat_model, TransformersChatModel)
    assert any("pip install onnxruntime-genai" in record.getMessage() for record in caplog.records)


def test_a_gpu_device_uses_transformers() -> None:
    chat_model = chat_model_from_settings(onnx_settings(llm_device="auto"))
    assert isinstance(chat_model, TransformersChatModel)
