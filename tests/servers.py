"""Real servers the tests start on loopback: a Chroma server from the installed chromadb package."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {seconds} s")


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port P``: killed and started again on the same port and data."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        with self.log.open("a") as sink:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, 60)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash: the server has no chance to close anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``) serving a packaged GGUF."""

    def __init__(self, gguf: Path, alias: str, log: Path) -> None:
        self.gguf = gguf
        self.alias = alias
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf), "--model_alias", self.alias]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "4096", "--n_threads", "2"]
        with self.log.open("a") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        wait_for_port(self.port, 120)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
