"""Inference engines for the packaged chat model on the CPU: transformers against the engines that install from PyPI.

Run as ``python -m bench.engines --json OUT --plot PNG [--dialogues DIR/redial/valid_dialogues.jsonl]``.

Every engine is given the same prompt token ids, rendered by the model's
own Hugging Face tokenizer (``assistant/llm/token_chat.py``), and decodes
greedily, so differences come from the engines' arithmetic only.  For each
engine, in one process:

- conversion: seconds to build the engine's model files from the cached
  safetensors copy, when this run builds them (``--convert``), else the
  files in the model cache are used;
- load: seconds from files on disk to a chat model ready to answer;
- speed: each of the fixed messages below is streamed with the project's
  small-talk system prompt; time to the first text and tokens per second
  after it (generated tokens over the time from the first text to the end);
- faithfulness: bench.faithfulness's reply-text check on the first
  ``--messages`` ReDial validation seeker messages, the same messages for
  every engine.

Tokens per second on a shared machine are noisy, so each engine is also
given as a ratio to transformers measured in the same run.  Engines that are
not installed are reported as such, with the reason.  OpenVINO GenAI has no
converter that installs beside this project's transformers (optimum-intel
2.2 wants transformers<5.6), so it reads a directory exported elsewhere
(``--openvino-dir``, see the README).
"""

from __future__ import annotations

import argparse
import importlib
import json
import queue
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import Field
from tqdm.auto import tqdm

from assistant.llm.chat_model import _Options
from assistant.llm.token_chat import TokenStreamChatModel
from assistant.settings import Settings
from bench.faithfulness import UNHURRIED_S
from bench.plotting import pyplot, save
from prompts import load_prompt

MESSAGES = [
    "Hi there, how are you today?",
    "I am bored tonight, any idea what I could watch?",
    "Tell me something about yourself",
]


def _speed(chat_model: BaseChatModel, max_new_tokens: int) -> dict[str, float]:
    """Median time to first text and tokens per second after it, over MESSAGES."""
    first_texts: list[float] = []
    rates: list[float] = []
    for message in tqdm(MESSAGES, desc="speed", leave=False):
        prompt: list[BaseMessage] = [SystemMessage(load_prompt("chat_system")), HumanMessage(message)]
        started = time.perf_counter()
        first: float | None = None
        tokens = 0
        for chunk in chat_model.stream(prompt, max_new_tokens=max_new_tokens):
            if first is None and chunk.text:
                first = time.perf_counter()
            if chunk.usage_metadata:
                tokens = chunk.usage_metadata["output_tokens"]
        ended = time.perf_counter()
        if first is None:
            continue
        first_texts.append(first - started)
        if tokens > 1 and ended > first:
            rates.append((tokens - 1) / (ended - first))
    return {
        "first_text_s": statistics.median(first_texts) if first_texts else float("nan"),
        "tokens_per_s": statistics.median(rates) if rates else float("nan"),
    }


class OpenVinoChatModel(TokenStreamChatModel):
    """OpenVINO GenAI's LLMPipeline, fed token ids; its streamer hands each token to this thread through a queue."""

    pipeline: Any = Field(exclude=True)

    @property
    def _llm_type(self) -> str:
        return "openvino-genai-chat"

    def _token_ids(self, prompt: list[int], options: _Options) -> Iterator[int]:
        genai = importlib.import_module("openvino_genai")
        openvino = importlib.import_module("openvino")
        import numpy as np

        config = genai.GenerationConfig()
        config.max_new_tokens = options.max_new_tokens
        config.do_sample = False
        tokens: queue.Queue[int | None] = queue.Queue()
        cancelled = threading.Event()

        def write(_streamer: Any, token: Any) -> Any:
            for value in token if isinstance(token, list) else [token]:
                tokens.put(int(value))
            return genai.StreamingStatus.CANCEL if cancelled.is_set() else genai.StreamingStatus.RUNNING

        def end(_streamer: Any) -> None:
            tokens.put(None)

        streamer = type("QueueStreamer", (genai.StreamerBase,), {"write": write, "end": end})()
        ids = np.array([prompt], dtype=np.int64)
        inputs = genai.TokenizedInputs(openvino.Tensor(ids), openvino.Tensor(np.ones_like(ids)))
        worker = threading.Thread(target=self.pipeline.generate, args=(inputs, config, streamer), daemon=True)
        worker.start()
        try:
            while (token := tokens.get()) is not None:
                yield token
        finally:
            cancelled.set()
            worker.join()


class LlamaCppChatModel(TokenStreamChatModel):
    """llama-cpp-python on the packaged GGUF itself, greedy (top-k 1, no repeat penalty)."""

    llama: Any = Field(exclude=True)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-chat"

    def _token_ids(self, prompt: list[int], options: _Options) -> Iterator[int]:
        generated = self.llama.generate(prompt, top_k=1, temp=0.0, repeat_penalty=1.0, reset=True)
        for count, token in enumerate(generated, start=1):
            yield int(token)
            if count >= options.max_new_tokens:
                break


def _transformers(settings: Settings, work: Path, convert: bool) -> tuple[BaseChatModel, float | None]:
    from assistant.llm import TransformersChatModel, load_local_model

    local = load_local_model(settings.model_copy(update={"llm_backend": "packaged"}))
    return TransformersChatModel.from_local(local, max_new_tokens=settings.llm_max_new_tokens), None


def _onnxruntime(settings: Settings, work: Path, convert: bool) -> tuple[BaseChatModel, float | None]:
    """With ``convert``, the conversion runs afresh in ``work`` (timed) and replaces the cached one."""
    from assistant.llm.onnx_genai import OnnxGenaiChatModel, load_onnx_model, onnx_dir, onnx_files

    conversion = None
    if convert:
        fresh = settings.model_copy(update={"model_cache_dir": work / "onnx"})
        fresh.model_cache_dir.mkdir(parents=True)
        (fresh.model_cache_dir / _safetensors(settings).name).symlink_to(_safetensors(settings))
        started = time.perf_counter()
        converted = onnx_files(fresh)
        conversion = time.perf_counter() - started
        shutil.rmtree(onnx_dir(settings), ignore_errors=True)
        shutil.move(converted, onnx_dir(settings))
    loaded = load_onnx_model(settings)
    chat_model = OnnxGenaiChatModel.from_onnx(loaded, max_new_tokens=settings.llm_max_new_tokens)
    return chat_model, conversion


def _safetensors(settings: Settings) -> Path:
    from assistant.llm.local import packaged_safetensors

    return packaged_safetensors(settings)


def _eos_ids(settings: Settings) -> frozenset[int]:
    """The end-of-turn tokens transformers stops on, from the safetensors copy's generation config."""
    eos = json.loads((_safetensors(settings) / "generation_config.json").read_text())["eos_token_id"]
    return frozenset([eos] if isinstance(eos, int) else eos)


def _openvino(directory: Path | None) -> Callable[[Settings, Path, bool], tuple[BaseChatModel, float | None]]:
    def build(settings: Settings, work: Path, convert: bool) -> tuple[BaseChatModel, float | None]:
        if directory is None:
            raise ImportError("no --openvino-dir given (an OpenVINO IR export of the safetensors copy)")
        genai = importlib.import_module("openvino_genai")
        from transformers import AutoTokenizer

        pipeline = genai.LLMPipeline(str(directory), "CPU")
        tokenizer = AutoTokenizer.from_pretrained(_safetensors(settings), local_files_only=True)
        chat = OpenVinoChatModel(pipeline=pipeline, tokenizer=tokenizer, eos_token_ids=_eos_ids(settings))
        return chat.model_copy(update={"max_new_tokens": settings.llm_max_new_tokens}), None

    return build


def _llama_cpp(settings: Settings, work: Path, convert: bool) -> tuple[BaseChatModel, float | None]:
    llama_cpp = importlib.import_module("llama_cpp")
    from transformers import AutoTokenizer

    from assistant.llm import packaged_gguf

    gguf = packaged_gguf(settings.llm_model, settings.model_cache_dir)
    llama = llama_cpp.Llama(model_path=str(gguf), n_ctx=4096, n_threads=2, verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(_safetensors(settings), local_files_only=True)
    chat = LlamaCppChatModel(llama=llama, tokenizer=tokenizer, eos_token_ids=_eos_ids(settings))
    return chat.model_copy(update={"max_new_tokens": settings.llm_max_new_tokens}), None


def _ratios(rows: list[dict[str, Any]]) -> None:
    baseline = next((row for row in rows if row["engine"] == "transformers" and "tokens_per_s" in row), None)
    for row in rows:
        if baseline is not None and "tokens_per_s" in row:
            row["speed_ratio"] = row["tokens_per_s"] / baseline["tokens_per_s"]
            row["first_text_ratio"] = row["first_text_s"] / baseline["first_text_s"]


def measure(
    settings: Settings,
    dialogues: Path | None,
    messages: int,
    convert: bool,
    openvino_dir: Path | None,
    report: Callable[[list[dict[str, Any]]], None],
) -> list[dict[str, Any]]:
    """Load and speed of every engine first, then each one's replies; ``report`` gets the rows after every step."""
    from assistant.ingest import ingest
    from bench.faithfulness import check_reply_texts

    engines: dict[str, Callable[[Settings, Path, bool], tuple[BaseChatModel, float | None]]] = {
        "transformers": _transformers,
        "onnxruntime-genai": _onnxruntime,
        "openvino-genai": _openvino(openvino_dir),
        "llama-cpp-python": _llama_cpp,
    }
    ingest(settings, progress=False)
    _safetensors(settings)  # the copy every engine starts from exists before any is timed
    rows: list[dict[str, Any]] = []
    chat_models: dict[str, BaseChatModel] = {}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as work:
        for name, build in tqdm(engines.items(), desc="engines"):
            row: dict[str, Any] = {"engine": name}
            rows.append(row)
            started = time.perf_counter()
            try:
                chat_model, conversion = build(settings, Path(work), convert)
            except (ImportError, RuntimeError, OSError) as error:
                row["unavailable"] = f"{type(error).__name__}: {error}"
                continue
            row["conversion_s"] = conversion
            row["load_s"] = time.perf_counter() - started - (conversion or 0.0)
            row.update(_speed(chat_model, settings.llm_max_new_tokens))
            chat_models[name] = chat_model
            _ratios(rows)
            report(rows)
    if dialogues is not None and messages > 0:
        for row in tqdm([row for row in rows if row["engine"] in chat_models], desc="replies per engine"):
            texts, _ = check_reply_texts(settings, dialogues, messages, chat_models[row["engine"]])
            row.update(
                faithful=texts["faithful"],
                llm_share=texts["llm"],
                reply_texts=texts["n"],
                seconds_per_reply=texts["seconds_per_reply"],
                unfaithful=texts["unfaithful"],
            )
            report(rows)
    return rows


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    measured = [row for row in rows if "unavailable" not in row]
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(13, 4))
    names = [row["engine"] for row in measured]
    for axis, key, title in zip(
        axes,
        ("tokens_per_s", "first_text_s", "load_s"),
        ("tokens per second (higher is better)", "time to first text, s", "load from disk, s"),
        strict=True,
    ):
        axis.barh(names, [row[key] for row in measured], color="#4c72b0")
        axis.set_title(title)
        axis.invert_yaxis()
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--dialogues", type=Path, help="ReDial valid_dialogues.jsonl for the faithfulness check")
    parser.add_argument("--messages", type=int, default=20, help="seeker messages whose replies each engine writes")
    parser.add_argument("--data-dir", type=Path, help="data directory with built indexes (default: the settings')")
    parser.add_argument("--convert", action="store_true", help="convert afresh and time it (else use the cache)")
    parser.add_argument("--openvino-dir", type=Path, help="an OpenVINO IR export of the packaged model")
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings(turn_deadline_s=UNHURRIED_S, **overrides)
    args.json.parent.mkdir(parents=True, exist_ok=True)

    def report(rows: list[dict[str, Any]]) -> None:
        document = {"max_new_tokens": settings.llm_max_new_tokens, "messages": args.messages, "engines": rows}
        args.json.write_text(json.dumps(document, indent=2) + "\n")

    rows = measure(settings, args.dialogues, args.messages, args.convert, args.openvino_dir, report)
    columns = ("conversion_s", "load_s", "first_text_s", "tokens_per_s", "speed_ratio", "faithful", "llm_share")
    print(f"{'engine':<20}" + "".join(f"{c:>14}" for c in columns))
    for row in rows:
        if "unavailable" in row:
            print(f"{row['engine']:<20}  unavailable: {row['unavailable']}")
            continue
        cells = [row.get(c) for c in columns]
        print(f"{row['engine']:<20}" + "".join(f"{'-' if v is None else f'{v:.3f}':>14}" for v in cells))
    if args.plot:
        _plot(rows, args.plot)


if __name__ == "__main__":
    main()
