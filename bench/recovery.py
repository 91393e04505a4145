"""Parts that die under a running assistant: how long turns wait, and how long until the part serves again.

    python -m bench.recovery --json OUT --plot PNG [--items 300] [--timeout 5] [--turns 3]

On a data directory of the demo's first ``--items`` films (ingested here,
with its own embedded graph server), one assistant answers turns; the bench
kills the embedded graph server with SIGKILL, then, on a second assistant
whose vectors live on a Chroma server (``chroma run`` of the installed
chromadb on loopback), kills that server and starts it again. For each part
it reports the healthy turn's latency, the turns after the kill (each a
ratio of the healthy one, and whether it carried the part's note), the
seconds until the part was back, and the turns after that. The chat model is
LangChain's scripted one: the bench times the waits on the parts, not words.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from tqdm import tqdm

from assistant.api import Assistant
from assistant.ingest import ingest
from assistant.settings import DEMO_CATALOGUE, Settings
from bench.plotting import pyplot, save
from kg import embedded
from kg.supervision import Supervisor
from retrieval.candidates import GRAPH_DOWN_NOTE, VECTOR_DOWN_NOTE

REQUEST = "I loved Toy Story, something like it"
CHROMA = Path(sys.executable).with_name("chroma")


def write_catalogue(directory: Path, items: int) -> Path:
    """The demo's first ``items`` films and their ratings, as a catalogue folder."""
    directory.mkdir(parents=True, exist_ok=True)
    with gzip.open(DEMO_CATALOGUE / "items.jsonl.gz", "rt", encoding="utf-8") as source:
        lines = [line for line, _ in zip(source, range(items), strict=False)]
    kept = {json.loads(line)["id"] for line in lines}
    (directory / "items.jsonl").write_text("".join(lines), encoding="utf-8")
    with gzip.open(DEMO_CATALOGUE / "interactions.csv.gz", "rt", encoding="utf-8") as source:
        rows = source.readlines()
    kept_rows = [rows[0], *(row for row in rows[1:] if row.split(",")[1] in kept)]
    (directory / "interactions.csv").write_text("".join(kept_rows), encoding="utf-8")
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_chroma(path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as sink:
        server = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    raise RuntimeError(f"the Chroma server did not listen on port {port} within 60 s (see {log})")


def turn_ms(assistant: Assistant, session: str, note: str) -> tuple[float, bool]:
    """One turn's latency in ms, and whether it carried the part's note."""
    started = time.perf_counter()
    trace = assistant.turn(session, REQUEST)
    return (time.perf_counter() - started) * 1000, note in trace.notes


def measure(
    name: str,
    assistant: Assistant,
    supervisor: Supervisor,
    note: str,
    kill: Callable[[], None],
    bring_back: Callable[[], None],
    turns: int,
    bar: tqdm,
) -> dict[str, Any]:
    """Healthy turns, the kill, turns while down, the wait for recovery, turns after it."""
    healthy = [turn_ms(assistant, f"{name}-healthy-{n}", note)[0] for n in range(turns)]
    bar.update(turns)
    kill()
    killed_at = time.monotonic()
    down = [turn_ms(assistant, f"{name}-down-{n}", note) for n in range(turns)]
    bar.update(turns)
    brought_at = time.monotonic()
    bring_back()
    back = supervisor.wait_up(300)
    recovery_s, after_bring_back_s = time.monotonic() - killed_at, time.monotonic() - brought_at
    after = [turn_ms(assistant, f"{name}-after-{n}", note) for n in range(turns)]
    bar.update(turns)
    healthy_ms = statistics.median(healthy)
    return {
        "part": name,
        "healthy_ms": round(healthy_ms, 1),
        "down_ms": [round(ms, 1) for ms, _ in down],
        "down_ratio": [round(ms / healthy_ms, 2) for ms, _ in down],
        "down_noted": all(noted for _, noted in down),
        "recovered": back,
        "recovery_s": round(recovery_s, 2),
        "after_bring_back_s": round(after_bring_back_s, 2),
        "after_ms": [round(ms, 1) for ms, _ in after],
        "after_ratio": [round(ms / healthy_ms, 2) for ms, _ in after],
        "after_served": back and not any(noted for _, noted in after),
        "outages": supervisor.outages,
    }


def run(items: int, timeout_s: float, turns: int, root: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=root / "data",
        catalogue=write_catalogue(root / "catalogue", items),
        justifications="template",
        extraction="rules",
        graph_timeout_s=timeout_s,
        chroma_timeout_s=timeout_s,
        arcadedb_heap_mb=512,
    )
    ingest(settings, progress=False)
    chat_model = FakeListChatModel(responses=["Here you go."])
    results = []
    bar = tqdm(total=6 * turns, desc="turns", unit="turn")
    assistant = Assistant.from_settings(settings, chat_model=chat_model)
    try:
        graph = assistant.parts.graph
        assert graph is not None and graph.server is not None
        server = graph.server
        results.append(
            measure(
                "graph (embedded ArcadeDB)",
                assistant,
                graph.connection.supervisor,
                GRAPH_DOWN_NOTE,
                lambda: os.kill(server.pid, signal.SIGKILL),
                lambda: None,  # the assistant restarts it itself
                turns,
                bar,
            )
        )
    finally:
        assistant.close()

    port, chroma_dir, log = free_port(), root / "chroma", root / "chroma.log"
    chroma = start_chroma(chroma_dir, port, log)
    served = settings.model_copy(update={"data_dir": root / "served", "chroma_host": "127.0.0.1", "chroma_port": port})
    (root / "served").mkdir()
    (root / "served" / "graph").symlink_to(settings.graph_dir, target_is_directory=True)
    assistant = Assistant.from_settings(served, chat_model=chat_model)
    try:
        index = assistant.parts.vector_index
        assert index is not None

        def kill() -> None:
            chroma.send_signal(signal.SIGKILL)
            chroma.wait(30)

        def restart() -> None:
            nonlocal chroma
            chroma = start_chroma(chroma_dir, port, log)

        results.append(
            measure("Chroma server", assistant, index.supervisor, VECTOR_DOWN_NOTE, kill, restart, turns, bar)
        )
    finally:
        assistant.close()
        chroma.terminate()
        chroma.wait(30)
        embedded.shutdown(settings.graph_dir)
    bar.close()
    return {"items": items, "timeout_s": timeout_s, "turns": turns, "parts": results}


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['items']} films, timeout {report['timeout_s']:g} s, {report['turns']} turns per phase")
    header = (
        f"{'part':<28} {'healthy ms':>10} {'turns while down (x healthy)':>30} {'back s after kill':>18} {'after':>18}"
    )
    print(header)
    print("-" * len(header))
    for part in report["parts"]:
        down = ", ".join(f"{ratio:g}" for ratio in part["down_ratio"])
        after = ", ".join(f"{ratio:g}" for ratio in part["after_ratio"])
        print(f"{part['part']:<28} {part['healthy_ms']:>10.0f} {down:>30} {part['recovery_s']:>18.1f} {after:>18}")
    for part in report["parts"]:
        print(
            f"{part['part']}: down turns {part['down_ms']} ms (note on each: {part['down_noted']}); "
            f"back {part['after_bring_back_s']} s after it was brought back (the restart, for Chroma); "
            f"served again: {part['after_served']}; outages logged: {part['outages']}"
        )


def plot(report: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 4))
    for offset, part in enumerate(report["parts"]):
        series = [part["healthy_ms"], *part["down_ms"], *part["after_ms"]]
        axes.plot(range(len(series)), [ms / 1000 for ms in series], marker="o", label=part["part"], zorder=3 - offset)
    axes.axhline(report["timeout_s"], color="grey", linestyle="--", label="configured timeout")
    turns = report["turns"]
    axes.axvspan(0.5, turns + 0.5, color="red", alpha=0.08, label="part down")
    axes.set_xlabel("turn (0: healthy median; then turns while down; then after recovery)")
    axes.set_ylabel("turn latency (s)")
    axes.set_title("A part killed under a running assistant")
    axes.legend()
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300, help="films of the demo catalogue to serve")
    parser.add_argument("--timeout", type=float, default=5.0, help="graph and Chroma call timeout (s)")
    parser.add_argument("--turns", type=int, default=3, help="turns per phase")
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--plot", type=Path, help="write a PNG of the turn latencies here")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="concierge-recovery-"))
    try:
        report = run(args.items, args.timeout, args.turns, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.plot:
        plot(report, args.plot)


if __name__ == "__main__":
    main()
