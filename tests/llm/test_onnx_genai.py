"""The onnx backend: the packaged SmolLM2 converted by onnxruntime-genai's builder and served through LangChain.

The conversion is cached in the shared model cache, like the safetensors
copy, so only the first run on a machine pays for it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.llm import TransformersChatModel, chat_model_from_settings
from assistant.llm.local import packaged_safetensors, safetensors_dir
from assistant.llm.onnx_genai import OnnxGenaiChatModel, onnx_dir
from assistant.llm.onnx_process import EngineProcessError
from assistant.llm.onnx_worker import NICENESS
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


def test_the_model_runs_in_a_child_process_that_an_abandoned_stream_stops(onnx_chat: OnnxGenaiChatModel) -> None:
    pid = onnx_chat.engine.pid
    assert pid is not None and pid != os.getpid()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, ours + NICENESS), "the lists go first, the words after"
    whole = onnx_chat.invoke(PROMPT).text
    stream = onnx_chat.stream(PROMPT)
    next(stream)
    stream.close()
    assert onnx_chat.invoke(PROMPT).text == whole
    assert onnx_chat.engine.pid == pid


def test_a_killed_engine_is_started_again_by_the_next_generation_with_a_log_line(
    onnx_chat: OnnxGenaiChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    whole = onnx_chat.invoke(PROMPT).text
    pid = onnx_chat.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING):
        assert onnx_chat.invoke(PROMPT).text == whole
    assert onnx_chat.engine.pid not in (None, pid)
    assert any(
        "onnx engine process ended" in record.getMessage() and str(pid) in record.getMessage()
        for record in caplog.records
    )


def test_a_failed_generation_is_an_error_and_the_engine_answers_the_next(onnx_chat: OnnxGenaiChatModel) -> None:
    with pytest.raises(EngineProcessError, match="no_such_option"):
        list(onnx_chat.engine.tokens([1, 2, 3], {"max_length": 8, "no_such_option": 1}))
    assert len(list(onnx_chat.engine.tokens([1, 2, 3], {"max_length": 6}))) == 3


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
