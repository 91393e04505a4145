"""The packaged chat model on onnxruntime-genai, the fast CPU path.

onnxruntime-genai cannot read the GGUF, so the safetensors copy that
transformers caches is converted once with the package's own model builder
(int4 weights, CPU kernels) into the model cache, next to that copy.  The
builder runs in a child process: it holds several gigabytes while it
quantises, which the serving process should not keep.  Like the safetensors
copy, the converted directory is built in a temporary sibling and renamed
into place, so its existence marks a complete conversion.  The model is
served from a process of its own (:mod:`assistant.llm.onnx_process`),
because the engine holds the GIL while it computes a token.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from assistant.llm.chat_model import _Options
from assistant.llm.local import LocalModelError, packaged_safetensors
from assistant.llm.onnx_process import EngineProcess, EngineProcessError
from assistant.llm.token_chat import TokenStreamChatModel
from assistant.settings import Settings

PRECISION = "int4"


class OnnxEngineError(LocalModelError):
    """onnxruntime-genai is missing, or the model could not be converted or loaded."""


@dataclass(frozen=True)
class OnnxModel:
    """A model loaded in its onnxruntime-genai process, with its tokenizer; generations take turns on the process."""

    name: str
    engine: EngineProcess
    tokenizer: PreTrainedTokenizerBase
    eos_token_ids: frozenset[int]
    source: Path
    converted: bool  # True when this load ran the conversion


_loaded: dict[tuple[str, str], OnnxModel] = {}
_loaded_lock = threading.Lock()


def _genai() -> Any:
    try:
        return importlib.import_module("onnxruntime_genai")
    except ImportError as error:
        raise OnnxEngineError(
            "the onnx backend needs the package onnxruntime-genai (pip install onnxruntime-genai)"
        ) from error


def onnx_dir(settings: Settings) -> Path:
    """Where the converted model named by ``settings`` lives."""
    return settings.model_cache_dir / f"{settings.llm_model}-onnx-{PRECISION}"


def _convert(source: Path, target: Path) -> None:
    """Run the model builder on ``source`` into a staging directory, then rename it to ``target``."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        command = [
            sys.executable, "-m", "onnxruntime_genai.models.builder",
            "-i", str(source), "-o", str(staging / "model"), "-p", PRECISION, "-e", "cpu", "-c", str(staging / "cache"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise OnnxEngineError(f"converting {source.name} to ONNX failed: {last[0]}")
        try:
            (staging / "model").rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _eos_ids(directory: Path) -> frozenset[int]:
    config = json.loads((directory / "genai_config.json").read_text())
    eos = config["model"]["eos_token_id"]
    return frozenset([eos] if isinstance(eos, int) else eos)


def onnx_files(settings: Settings) -> Path:
    """The converted model directory named by ``settings``, converting the safetensors copy if it is missing."""
    _genai()
    target = onnx_dir(settings)
    if not target.is_dir():
        _convert(packaged_safetensors(settings), target)
    return target


def _load(settings: Settings) -> OnnxModel:
    converted = not onnx_dir(settings).is_dir()
    target = onnx_files(settings)
    engine = EngineProcess(target)
    try:
        engine.start()
    except EngineProcessError as error:
        raise OnnxEngineError(str(error)) from error
    tokenizer = AutoTokenizer.from_pretrained(target, local_files_only=True)
    return OnnxModel(settings.llm_model, engine, tokenizer, _eos_ids(target), target, converted)


def load_onnx_model(settings: Settings) -> OnnxModel:
    """The packaged model named by ``settings`` on onnxruntime-genai, converted once and loaded once per process."""
    _genai()  # checked before the process cache, so a missing package is always reported
    key = (settings.llm_model, str(settings.model_cache_dir.resolve()))
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = _load(settings)
        return _loaded[key]


class OnnxGenaiChatModel(TokenStreamChatModel):
    """Chat with a packaged model through onnxruntime-genai; greedy at temperature 0, seeded sampling above."""

    engine: EngineProcess = Field(exclude=True)

    @classmethod
    def from_onnx(cls, loaded: OnnxModel, **params: Any) -> OnnxGenaiChatModel:
        return cls(
            engine=loaded.engine,
            tokenizer=loaded.tokenizer,
            eos_token_ids=loaded.eos_token_ids,
            model_name=loaded.name,
            **params,
        )

    @property
    def _llm_type(self) -> str:
        return "onnxruntime-genai-chat"

    def _token_ids(self, prompt: list[int], options: _Options) -> Iterator[int]:
        search: dict[str, Any] = {"max_length": len(prompt) + options.max_new_tokens, "do_sample": False}
        if options.temperature > 0:
            search.update(do_sample=True, temperature=options.temperature, random_seed=options.seed)
        yield from self.engine.tokens(prompt, search)
