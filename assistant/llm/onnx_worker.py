"""The onnxruntime-genai engine in a process of its own, fed prompts and answering token ids over a socket.

Why a process: onnxruntime-genai holds Python's GIL for the whole of each
``generate_next_token`` call, so while one turn's text was written every
other turn of the same process stalled (embedding a query took 10 s instead
of 13 ms).  In its own process the engine uses the cores it is given and the
serving process keeps running retrieval and ranking for everyone else.

This file runs as a script (``python onnx_worker.py MODEL_DIR FD``) and
imports only the engine and numpy, so the child starts in about a second.
The protocol, pickled over :class:`multiprocessing.connection.Connection`:

- the child answers ``("ready",)`` once the model is loaded, or ``("error", why)``;
- the parent sends ``("generate", prompt_ids, search_options)``; the child
  answers ``("token", id)`` per token, then ``("done",)`` or ``("error", why)``;
- the parent may send ``("stop",)`` at any time; the child stops at the next
  token and still answers ``("done",)``; a stop that arrives after the end is
  ignored.  The child exits when the parent's end closes.
"""

from __future__ import annotations

import importlib
import os
import sys
from multiprocessing.connection import Connection
from typing import Any

NICENESS = 10


def _generate(genai: Any, model: Any, connection: Connection, prompt: list[int], search: dict[str, Any]) -> None:
    import numpy as np

    params = genai.GeneratorParams(model)
    params.set_search_options(**search)
    generator = genai.Generator(model, params)
    generator.append_tokens(np.array([prompt], dtype=np.int32))
    while not generator.is_done():
        if connection.poll() and connection.recv()[0] == "stop":
            return
        generator.generate_next_token()
        connection.send(("token", int(generator.get_next_tokens()[0])))


def serve(model_dir: str, connection: Connection) -> None:
    """Load the model, then answer generation requests until the parent goes away.

    The process runs at a lower CPU priority: when people wait, the cores go
    first to retrieving and ranking their lists, which every turn needs, and
    the model's words, which a turn past its deadline goes without, get what
    is left; with no one waiting the model still gets every core.
    """
    os.nice(NICENESS)
    try:
        genai = importlib.import_module("onnxruntime_genai")
        model = genai.Model(model_dir)
    except Exception as error:  # the engine raises its own RuntimeError subclasses
        connection.send(("error", f"onnxruntime-genai cannot load {model_dir}: {error}"))
        return
    connection.send(("ready",))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request[0] != "generate":
            continue
        try:
            _generate(genai, model, connection, request[1], request[2])
        except Exception as error:  # one failed generation is reported, and the next may succeed
            connection.send(("error", f"{type(error).__name__}: {error}"))
            continue
        connection.send(("done",))


if __name__ == "__main__":
    serve(sys.argv[1], Connection(int(sys.argv[2])))
