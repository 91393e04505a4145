"""The serving process's handle on the onnxruntime-genai child (:mod:`assistant.llm.onnx_worker`).

One child per loaded model.  It is started on first use, restarted with one
log line when it has died (a crash or a kill fails the generation it was
running, which the callers answer with their templates), and stopped when
the serving process closes it or exits.
"""

from __future__ import annotations

import atexit
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assistant.llm.local import LocalModelError

WORKER = Path(__file__).with_name("onnx_worker.py")
LOGGER = logging.getLogger(__name__)


class EngineProcessError(LocalModelError):
    """The engine's process could not load the model, died, or failed a generation."""


class EngineProcess:
    """A child process serving one converted model; generations take turns on its connection."""

    def __init__(self, model_dir: Path, startup_timeout_s: float = 300.0) -> None:
        self.model_dir = model_dir
        self.startup_timeout_s = startup_timeout_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def start(self) -> None:
        """Start the child if it is not running, and wait until its model is loaded."""
        with self._lock:
            self._ensure_started()

    def tokens(self, prompt: list[int], search: dict[str, Any]) -> Iterator[int]:
        """Token ids after ``prompt``; closing the iterator early stops the child at its next token.

        A child found dead before it answered (killed since its last
        generation) is started again once, with a log line.
        """
        request = ("generate", prompt, search)
        with self._lock:
            connection = self._ensure_started()
            try:
                connection.send(request)
                message = self._receive(connection)
            except (EngineProcessError, OSError) as error:
                LOGGER.warning("the onnx engine process ended (%s); starting it again", error)
                self.close()
                connection = self._ensure_started()
                connection.send(request)
                message = self._receive(connection)
            finished = False
            try:
                while message[0] == "token":
                    yield int(message[1])
                    message = self._receive(connection)
                finished = True
                if message[0] == "error":
                    raise EngineProcessError(f"the onnx engine failed: {message[1]}")
            finally:
                if not finished:
                    self._stop_generation(connection)

    def close(self) -> None:
        """Stop the child: its connection closes, it exits; one that does not within 5 s is killed."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _ensure_started(self) -> Connection:
        if self._process is not None and self._process.poll() is not None:
            LOGGER.warning(
                "the onnx engine process ended (process %d, exit code %s); starting it again",
                self._process.pid,
                self._process.returncode,
            )
            self.close()
        if self._connection is not None:
            return self._connection
        ours, theirs = socket.socketpair()
        with ours, theirs:
            process = subprocess.Popen(
                [sys.executable, str(WORKER), str(self.model_dir), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            connection = Connection(ours.detach())
        self._process, self._connection = process, connection
        if not connection.poll(self.startup_timeout_s):
            self.close()
            raise EngineProcessError(f"the onnx engine did not load {self.model_dir} in {self.startup_timeout_s:g} s")
        message = self._receive(connection)
        if message[0] != "ready":
            self.close()
            raise EngineProcessError(str(message[1]))
        return connection

    def _receive(self, connection: Connection) -> tuple[Any, ...]:
        try:
            return tuple(connection.recv())
        except (EOFError, OSError) as error:
            pid = self._process.pid if self._process is not None else None
            code = self._process.poll() if self._process is not None else None
            self.close()
            raise EngineProcessError(f"process {pid} exited with code {code}") from error

    def _stop_generation(self, connection: Connection) -> None:
        """Ask the child to stop, then read what it sent until the end of this generation."""
        try:
            connection.send(("stop",))
            while self._receive(connection)[0] == "token":
                pass
        except (EngineProcessError, OSError):
            return
