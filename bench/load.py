"""Many people at once through the web UI, and a graph server killed in the middle of it.

Run as ``python -m bench.load --json OUT --plot PNG``.  The bench starts
``concierge ui`` on a loopback port over an ingested data directory and
drives it over HTTP with ``gradio_client``: real requests through Gradio's
queue, one client (one browser session) per person.  Each person has a
three-turn conversation with a Like between the first two turns.  Per load
level it reports turns/s, p50/p95/max turn latency, time to the first
streamed text, errors and cross-talk: every person's profile, read back both
from the page and from the session store through their browser token, must
hold exactly the films they liked; and every introduction people read is
checked again by the grounding rule.  The fault run kills the graph server
(SIGKILL) once a third of its turns are done and reports the turns that
degraded, the time until a turn was served by the graph again, and whether
any liked film was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from gradio_client import Client
from tqdm import tqdm

from assistant.explain.grounding import ReplyContext, ReplyTextChecker
from assistant.explain.reply_text import sentences
from assistant.sessions.secret import session_key
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.sessions.visitors import Visitors
from assistant.settings import Settings
from assistant.turn.pipeline import MODEL_BUSY_NOTE
from assistant.types import ItemCard
from assistant.understanding.linking import EntityLinker
from bench.plotting import pyplot, save
from bench.timing import percentile
from kg.catalogue import Catalogue, load_catalogue
from retrieval.candidates import GRAPH_DOWN_NOTE

FOLLOW_UPS = ("Something lighter please, no horror", "Any more like those?")
FAILURES = ("Sorry, something went wrong", "I could not take that message")
BUSY_NOTICE = "_The language model is busy"
MODEL_MARK = re.compile(r"<span class=\"concierge-model-mark\">.*?</span>", re.DOTALL)
TURN_TIMEOUT_S = 180.0
"""A reply that has not come by then counts as an error (the person gave up)."""
HTTP_TIMEOUT_S = 60.0
"""How long a request may take to be answered at all: a browser waits, gradio_client's default gives up after 5 s."""
POLL_S = 0.05
"""How often a person's client looks at the streamed updates: often enough for first-text times, cheap for 50 threads."""
LIKED_LINE = re.compile(r"^- Liked: (.+)$", re.MULTILINE)
LIST_LINE = re.compile(r"^\d+\. \*\*(.+?)\*\*: ", re.MULTILINE)


@dataclass
class TurnRecord:
    """One message as the person saw it: when it was sent, when text first showed, when it ended."""

    person: int
    turn: int
    message: str
    text: str
    started: float
    first_text_s: float | None
    latency_s: float
    error: str | None
    degraded: bool
    model_busy: bool
    model_words: bool


@dataclass
class Conversation:
    person: int
    liked_shown: set[str] = field(default_factory=set)
    token: object = None
    turns: list[TurnRecord] = field(default_factory=list)
    failure: str | None = None


def chat_text(outputs: Sequence[Any]) -> str:
    """The last assistant message of the chatbot output (the first output of the chat endpoint)."""
    history = outputs[0] or []
    return str(history[-1]["content"]) if history else ""


def shows_text(outputs: Sequence[Any]) -> bool:
    """Whether a streamed update shows the person some of the reply (the busy notice is not the reply)."""
    text = chat_text(outputs)
    return bool(text) and not text.startswith(BUSY_NOTICE)


def liked_titles(panel: object) -> set[str]:
    """The films the profile panel lists as liked."""
    text = panel.get("value", "") if isinstance(panel, dict) else str(panel or "")
    return {title.strip() for line in LIKED_LINE.findall(str(text)) for title in line.split(";")}


class Person:
    """One browser session driving the UI over HTTP."""

    def __init__(self, url: str, person: int, title: str, clock: Callable[[], float]) -> None:
        self.client = Client(url, verbose=False, httpx_kwargs={"timeout": HTTP_TIMEOUT_S})
        self.conversation = Conversation(person)
        self.title = title
        self.clock = clock
        self.history: list[dict[str, str]] = []
        self.panel: object = None

    def run(self) -> Conversation:
        """The conversation; a page load or a Like the server did not answer ends it, counted as a failure."""
        try:
            arrival = self.client.predict(None, api_name="/arrive")
            self.conversation.token = arrival[0]
            self.turn(0, f"I loved {self.title}")
            liked = self.client.predict(api_name="/liked_1")
            self.panel = liked[1]
        except Exception as exc:  # an HTTP or queue failure is what this bench counts
            self.conversation.failure = f"{type(exc).__name__}: {exc}"
            return self.conversation
        for number, message in enumerate(FOLLOW_UPS, start=1):
            self.turn(number, message)
        self.conversation.liked_shown = liked_titles(self.panel)
        return self.conversation

    def turn(self, number: int, message: str) -> None:
        started = self.clock()
        first: float | None = None
        error: str | None = None
        outputs: Sequence[Any] = ()
        try:
            job = self.client.submit(message, self.history, api_name="/chat")
            while not job.done():
                if first is None and any(shows_text(update) for update in job.outputs()):
                    first = self.clock() - started
                if self.clock() - started > TURN_TIMEOUT_S:
                    job.cancel()
                    raise TimeoutError(f"no reply within {TURN_TIMEOUT_S:g} s")
                time.sleep(POLL_S)
            job.result()  # raises what the server's queue reported
            updates = job.outputs()
            if first is None and any(shows_text(update) for update in updates):
                first = self.clock() - started
            outputs = updates[-1] if updates else ()
            panels = self.client.predict(api_name="/chat_shown")  # what the page's chained event shows next
        except Exception as exc:  # an HTTP or queue failure is what this bench counts
            error = f"{type(exc).__name__}: {exc}"
        latency = self.clock() - started
        text = chat_text(outputs) if outputs else ""
        if error is None and (not text or any(text.startswith(failure) for failure in FAILURES)):
            error = text or "empty reply"
        if outputs:
            self.history = list(outputs[0] or [])
        if error is None:
            self.panel = panels[-2]
        self.conversation.turns.append(
            TurnRecord(
                person=self.conversation.person,
                turn=number,
                message=message,
                text=text,
                started=started,
                first_text_s=first,
                latency_s=latency,
                error=error,
                degraded=GRAPH_DOWN_NOTE in text,
                model_busy=MODEL_BUSY_NOTE in text,
                model_words="written by the chat model" in text,
            )
        )


def concierge_command() -> str:
    """The ``concierge`` entry point of the interpreter running the bench."""
    return str(Path(sys.executable).parent / "concierge")


class AppUnderLoad:
    """``concierge ui`` in its own process on a loopback port, over one data directory."""

    def __init__(self, environment: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        command = [concierge_command(), "ui", "--host", "127.0.0.1", "--port", str(port)]
        self.log = Path(tempfile.mkstemp(prefix="concierge-ui-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the UI exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise TimeoutError(f"the UI did not answer within {timeout_s:.0f} s; see {self.log}")

    def graph_server(self) -> psutil.Process | None:
        """The embedded graph server this app started (a java child process), if it runs one."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if "arcadedb" in " ".join(child.cmdline()).lower():
                    return child
            except psutil.Error:
                continue
        return None

    def stop(self) -> None:
        for child in psutil.Process(self.process.pid).children(recursive=True):
            child.kill()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def popular_titles(catalogue: Catalogue, count: int) -> list[str]:
    """Distinct, well-known films to open each conversation with (most rated first)."""
    ratings: dict[str, int] = {}
    for interaction in catalogue.interactions:
        ratings[interaction.item_id] = ratings.get(interaction.item_id, 0) + 1
    ranked = sorted(catalogue.items, key=lambda item_id: -ratings.get(item_id, 0))
    return [catalogue.items[item_id].display_title for item_id in ranked[:count]]


def stored_likes(settings: Settings, catalogue: Catalogue, token: object) -> set[str]:
    """The films the session store holds as liked for the person of ``token``."""
    store = SqliteSessionStore(settings.data_dir / "profiles.sqlite3")
    visit = Visitors(store, session_key(settings)).arrive(None, token)
    return {catalogue.items[item_id].display_title for item_id in store.load_profile(visit.session_id).liked}


def drive(
    app: AppUnderLoad,
    titles: Sequence[str],
    offset: int,
    clock: Callable[[], float],
    during: Callable[[list[TurnRecord]], None] | None = None,
) -> list[Conversation]:
    """Every person at once, each in their own thread; ``during`` sees the finished turns as they come."""
    finished: list[TurnRecord] = []
    lock = threading.Lock()
    bar = tqdm(total=len(titles) * (1 + len(FOLLOW_UPS)), desc=f"{len(titles)} sessions", unit="turn")

    def converse(index: int) -> Conversation:
        person = Person(app.url, offset + index, titles[index], clock)
        original = person.turn

        def counted(number: int, message: str) -> None:
            original(number, message)
            with lock:
                finished.append(person.conversation.turns[-1])
                bar.update(1)
                if during is not None:
                    during(finished)

        person.turn = counted  # type: ignore[method-assign]
        return person.run()

    with ThreadPoolExecutor(max_workers=len(titles)) as pool:
        conversations = list(pool.map(converse, range(len(titles))))
    bar.close()
    return conversations


def unfaithful_sentences(
    conversations: Sequence[Conversation], titles: Sequence[str], catalogue: Catalogue, checker: ReplyTextChecker
) -> list[str]:
    """Sentences of the replies' introductions that the grounding rule rejects, read back from what people saw.

    Each introduction is checked against what the turn could draw on: the
    message, the films the person had liked by then and the films listed.
    """
    cards: dict[str, list[ItemCard]] = {}
    for item in catalogue.items.values():
        cards.setdefault(item.display_title, []).append(ItemCard.from_item(item))
    rejected: list[str] = []
    for conversation, title in zip(conversations, titles, strict=True):
        for turn in conversation.turns:
            liked = {title} if turn.turn == 0 else conversation.liked_shown
            listed = [card for name in LIST_LINE.findall(turn.text) for card in cards.get(name, [])]
            context = ReplyContext(message=turn.message, liked_titles=tuple(sorted(liked)), suggestions=tuple(listed))
            introduction = turn.text.split("\n\n1. ")[0] if listed else ""
            for sentence in sentences(MODEL_MARK.sub("", introduction)):
                verdict = checker.check(sentence, context)
                if not verdict.faithful:
                    rejected.append(f"{sentence} ({'; '.join(verdict.problems)})")
    return rejected


def summary(conversations: Sequence[Conversation], wall_s: float, crosstalk: int) -> dict[str, Any]:
    turns = [turn for conversation in conversations for turn in conversation.turns]
    latencies = [turn.latency_s * 1000 for turn in turns]
    first = [turn.first_text_s * 1000 for turn in turns if turn.first_text_s is not None]
    return {
        "sessions": len(conversations),
        "turns": len(turns),
        "errors": sum(turn.error is not None for turn in turns) + sum(c.failure is not None for c in conversations),
        "crosstalk": crosstalk,
        "p50_ms": round(percentile(latencies, 0.5)),
        "p95_ms": round(percentile(latencies, 0.95)),
        "max_ms": round(max(latencies)),
        "first_text_p50_ms": round(percentile(first, 0.5)) if first else None,
        "turns_per_s": round(len(turns) / wall_s, 2),
        "model_busy_turns": sum(turn.model_busy for turn in turns),
        "model_worded_turns": sum(turn.model_words for turn in turns),
        "error_messages": sorted(
            {turn.error for turn in turns if turn.error} | {c.failure for c in conversations if c.failure}
        )[:5],
    }


def crosstalk(
    conversations: Sequence[Conversation], titles: Sequence[str], settings: Settings, catalogue: Catalogue
) -> int:
    """People whose profile (on the page or in the store) holds a film they did not like, or lacks one they did."""
    wrong = 0
    for conversation, title in zip(conversations, titles, strict=True):
        if conversation.failure is not None:
            continue  # counted as an error: its profile cannot be read back
        shown = conversation.liked_shown
        stored = stored_likes(settings, catalogue, conversation.token)
        if title not in shown or len(shown) != 2 or stored != shown:
            wrong += 1
    return wrong


def fault_run(
    app: AppUnderLoad, titles: Sequence[str], offset: int, settings: Settings, catalogue: Catalogue
) -> dict[str, Any]:
    """Kill -9 the graph server a third of the way through, then see who degraded and when it came back."""
    killed: dict[str, float] = {}
    clock = time.monotonic

    def kill_at_a_third(finished: list[TurnRecord]) -> None:
        if "at" not in killed and len(finished) >= len(titles) * (1 + len(FOLLOW_UPS)) // 3:
            server = app.graph_server()
            if server is not None:
                server.send_signal(signal.SIGKILL)
                killed["at"] = clock()

    started = clock()
    conversations = drive(app, titles, offset, clock, kill_at_a_third)
    wall = clock() - started
    turns = [turn for conversation in conversations for turn in conversation.turns]
    result = summary(conversations, wall, crosstalk(conversations, titles, settings, catalogue))
    if "at" not in killed:
        return {**result, "killed": False, "note": "no embedded graph server was running to kill"}
    after = sorted((turn for turn in turns if turn.started >= killed["at"]), key=lambda turn: turn.started)
    healthy = [turn for turn in after if not turn.degraded and turn.error is None]
    recovered = healthy[0].started + healthy[0].latency_s - killed["at"] if healthy else None
    return {
        **result,
        "killed": True,
        "degraded_turns": sum(turn.degraded for turn in turns),
        "recovery_s": round(recovered, 1) if recovered is not None else None,
        "preferences_lost": result["crosstalk"],
    }


def plot(levels: Sequence[dict[str, Any]], samples: dict[int, list[float]], deadline_s: float, path: Path) -> None:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7, 4))
    names = [str(level["sessions"]) for level in levels]
    axis.boxplot([samples[level["sessions"]] for level in levels], tick_labels=names, showfliers=True)
    axis.axhline(deadline_s + 2, color="tab:red", linestyle="--", label=f"deadline + 2 s ({deadline_s + 2:g} s)")
    axis.set_xlabel("concurrent sessions")
    axis.set_ylabel("turn latency (s)")
    axis.set_title("Turn latency through the web UI")
    axis.legend()
    save(figure, path)


def prepared_settings(data_dir: Path | None) -> tuple[Settings, dict[str, str]]:
    """Settings for the app under load and its environment: the data directory ingested, if it was not."""
    environment = dict(os.environ)
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="concierge-load-"))
        environment["CONCIERGE_DATA_DIR"] = str(data_dir)
        subprocess.run([concierge_command(), "ingest"], env=environment, check=True)
    else:
        environment["CONCIERGE_DATA_DIR"] = str(data_dir)
    return Settings(data_dir=data_dir), environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[20, 50], help="concurrent sessions per level")
    parser.add_argument("--fault-sessions", type=int, default=20, help="sessions of the fault run; 0 skips it")
    parser.add_argument("--data-dir", type=Path, default=None, help="an ingested data directory (default: a new one)")
    parser.add_argument("--port", type=int, default=7877)
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)

    settings, environment = prepared_settings(args.data_dir)
    catalogue = load_catalogue(settings.catalogue)
    titles = popular_titles(catalogue, sum(args.levels) + args.fault_sessions)
    checker = ReplyTextChecker(EntityLinker(catalogue, lambda item_id: 0.0))
    app = AppUnderLoad(environment, args.port)
    levels: list[dict[str, Any]] = []
    samples: dict[int, list[float]] = {}
    try:
        app.wait_ready(args.startup_timeout)
        offset = 0
        for sessions in args.levels:
            chosen = titles[offset : offset + sessions]
            started = time.monotonic()
            conversations = drive(app, chosen, offset, time.monotonic)
            wall = time.monotonic() - started
            level = summary(conversations, wall, crosstalk(conversations, chosen, settings, catalogue))
            rejected = unfaithful_sentences(conversations, chosen, catalogue, checker)
            levels.append({**level, "unfaithful_sentences": len(rejected), "unfaithful_examples": rejected[:5]})
            samples[sessions] = [turn.latency_s for c in conversations for turn in c.turns]
            offset += sessions
        fault = (
            fault_run(app, titles[offset : offset + args.fault_sessions], offset, settings, catalogue)
            if args.fault_sessions
            else None
        )
    finally:
        app.stop()

    print(f"\nturn deadline {settings.turn_deadline_s:g} s, model {settings.llm_model}, {os.cpu_count()} cores")
    header = f"{'sessions':>8} {'turns':>5} {'errors':>6} {'xtalk':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    print(header + f" {'first p50':>9} {'turns/s':>7} {'busy':>4} {'model':>5} {'unfaithful':>10}")
    for level in levels:
        print(
            f"{level['sessions']:>8} {level['turns']:>5} {level['errors']:>6} {level['crosstalk']:>5} "
            f"{level['p50_ms']:>7} {level['p95_ms']:>7} {level['max_ms']:>7} {level['first_text_p50_ms']!s:>9} "
            f"{level['turns_per_s']:>7} {level['model_busy_turns']:>4} {level['model_worded_turns']:>5} "
            f"{level['unfaithful_sentences']:>10}"
        )
    if fault is not None:
        print(f"fault run: {json.dumps(fault)}")
    report = {
        "levels": levels,
        "fault": fault,
        "settings": {
            "turn_deadline_s": settings.turn_deadline_s,
            "llm_model": settings.llm_model,
            "llm_queue_limit": settings.llm_queue_limit,
            "ui_concurrency": settings.ui_concurrency,
            "cores": os.cpu_count(),
        },
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.plot and levels:
        plot(levels, samples, settings.turn_deadline_s, args.plot)


if __name__ == "__main__":
    main()
