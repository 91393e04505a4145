"""Loading causal language models with transformers, once per process.

A packaged GGUF is converted to a dense safetensors copy on first use:
transformers dequantizes a GGUF tensor by tensor in Python (about half a
minute for the 0.5B model, most of it building the tokenizer and unpacking
blocks), while the copy loads in seconds.  Every load, the first included,
then reads that copy, so the first process serves exactly the weights that
every later one will.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig, PreTrainedModel, PreTrainedTokenizerBase

from assistant.llm.packaged import PACKAGED_MODELS, PackagedModelError, packaged_gguf
from assistant.settings import Settings

_DTYPES: dict[str, torch.dtype] = {
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "float32": torch.float32,
}


class LocalModelError(RuntimeError):
    """A local model could not be found or loaded."""


@dataclass(frozen=True)
class LocalModel:
    """A loaded model and tokenizer with the lock that serialises generation on them.

    The lock lives here, not in a chat model, because several chat models in
    one process share this object and must still take turns.
    """

    name: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    source: str  # the directory (or hub id) the weights were read from
    converted: bool  # True when this load built the safetensors copy from the GGUF
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)


_loaded: dict[tuple[str, ...], LocalModel] = {}
_loaded_lock = threading.Lock()


def _torch_dtype(name: str) -> torch.dtype:
    try:
        return _DTYPES[name]
    except KeyError:
        raise LocalModelError(f"unsupported dtype {name!r}; choose one of {sorted(_DTYPES)}") from None


def _device_map(device: str) -> str:
    """Check ``device`` early, so a typo fails before a half-minute load."""
    if device != "auto":
        try:
            torch.device(device)
        except RuntimeError as error:
            raise LocalModelError(f"invalid llm_device {device!r}: use 'cpu', 'cuda', 'cuda:N' or 'auto'") from error
    return device


def safetensors_dir(settings: Settings) -> Path:
    """Where the dense copy of the packaged model named by ``settings`` lives."""
    return settings.model_cache_dir / f"{settings.llm_model}-{settings.llm_dtype}"


def _convert_gguf(gguf: Path, dtype: torch.dtype, target: Path) -> None:
    """Dequantize ``gguf`` on the CPU and save model and tokenizer to ``target``.

    ``GgufConfig(dequantize=True)`` asks for dense weights outright: without
    it transformers attaches a GGUF quantizer that refuses
    ``save_pretrained`` and, for architectures it can keep packed, tries to
    fetch a matmul kernel from the hub.  The copy is written to a temporary
    sibling and renamed into place: the directory exists only complete, so
    its existence is what marks a usable copy, and a crash or a concurrent
    converter leaves nothing half-written behind.
    """
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        dtype=dtype,
        quantization_config=GgufConfig(dequantize=True),
        local_files_only=True,
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _from_pretrained(
    source: str | Path, dtype: torch.dtype, device: str
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    model = AutoModelForCausalLM.from_pretrained(
        source, dtype=dtype, device_map=_device_map(device), local_files_only=True
    )
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    return model, tokenizer


def packaged_safetensors(settings: Settings) -> Path:
    """The safetensors copy of the packaged model named by ``settings``, converted from its GGUF if missing."""
    if settings.llm_model not in PACKAGED_MODELS:
        raise PackagedModelError(
            f"unknown packaged model {settings.llm_model!r}; choose one of {sorted(PACKAGED_MODELS)}"
        )
    dtype = _torch_dtype(settings.llm_dtype)
    target = safetensors_dir(settings)
    if not target.is_dir():
        gguf = packaged_gguf(settings.llm_model, settings.model_cache_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        _convert_gguf(gguf, dtype, target)
    return target


def _load_packaged(settings: Settings) -> LocalModel:
    _device_map(settings.llm_device)
    converted = not safetensors_dir(settings).is_dir()
    target = packaged_safetensors(settings)
    model, tokenizer = _from_pretrained(target, _torch_dtype(settings.llm_dtype), settings.llm_device)
    return LocalModel(settings.llm_model, model, tokenizer, str(target), converted)


def _load_huggingface(settings: Settings) -> LocalModel:
    """A local model directory, or a hub id that is already in the local Hugging Face cache."""
    dtype = _torch_dtype(settings.llm_dtype)
    try:
        model, tokenizer = _from_pretrained(settings.llm_model, dtype, settings.llm_device)
    except OSError as error:
        raise LocalModelError(
            f"cannot load {settings.llm_model!r} offline: give a local model directory, or a hub id "
            "already present in the Hugging Face cache"
        ) from error
    return LocalModel(settings.llm_model, model, tokenizer, settings.llm_model, converted=False)


def load_local_model(settings: Settings) -> LocalModel:
    """The model named by ``settings``, loaded at most once per process.

    The key holds everything that changes the loaded weights or where they
    sit, so two assistants with the same model settings share one copy in
    memory while different settings never get each other's model.
    """
    if settings.llm_backend == "openai":
        raise LocalModelError(f"llm_backend {settings.llm_backend!r} is not a local backend")
    packaged = settings.llm_backend != "huggingface"  # 'onnx' falls back to the packaged model on transformers
    key = (
        "packaged" if packaged else "huggingface",
        settings.llm_model,
        str(settings.model_cache_dir.resolve()) if packaged else "",
        settings.llm_dtype,
        settings.llm_device,
    )
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = _load_packaged(settings) if packaged else _load_huggingface(settings)
        return _loaded[key]


def clear_loaded_models() -> None:
    """Forget every loaded model, so the next load reads from disk (memory is freed once unused)."""
    with _loaded_lock:
        _loaded.clear()
