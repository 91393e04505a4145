"""The ``concierge`` command line: ingest, ask, chat, why, feedback, profile, learn, train-scorer, ui, mcp.

Every command reads the one Settings object (so ``CONCIERGE_*`` variables
apply) and reports bad input (arguments included) as a one-line error with
exit status 2, never a traceback, checked by :mod:`assistant.validation`
before any model or store is opened; a profile store that cannot be reached
is a one-line error with status 1.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.sessions.store import SessionStore
    from kg.store import GraphStore


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "catalogue", None):
        overrides["catalogue"] = Path(args.catalogue)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


@contextmanager
def _assistant(args: argparse.Namespace) -> Iterator[Assistant]:
    """An open assistant, closed afterwards; imported lazily so ``--help`` starts without loading models."""
    from assistant.api import Assistant

    assistant = Assistant.from_settings(_settings(args), progress=True)
    try:
        yield assistant
    finally:
        assistant.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.ingest import ingest

    report = ingest(_settings(args), progress=True)
    state = "unchanged, nothing to do" if report.skipped else "built"
    print(f"{report.items} items, {report.interactions} interactions: {state} in {report.seconds:.1f} s")
    return 0


def _checked(args: argparse.Namespace, settings: Settings) -> None:
    """The arguments a command was given, checked as the API checks them, before anything is loaded."""
    from assistant.validation import checked_item, checked_message, checked_session

    if hasattr(args, "session"):
        checked_session(args.session)
    if hasattr(args, "text"):
        checked_message(args.text, settings.max_message_chars)
    if hasattr(args, "item_id"):
        from kg.catalogue import load_catalogue

        checked_item(args.item_id, load_catalogue(settings.catalogue).items)


def cmd_ask(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        reply = assistant.chat(args.session, args.text)
    print(reply.model_dump_json(indent=2) if args.json else reply.text)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.errors import InvalidInput
    from assistant.types import Reply

    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 reach the check, which names them
        sys.stdin.reconfigure(errors="surrogateescape")
    print("Concierge is ready. Type a message (\"why the second one?\" asks about a suggestion), or 'quit'.")
    with _assistant(args) as assistant:
        while True:
            try:
                text = input("you> ").strip()
            except EOFError:
                break
            if text in ("quit", "exit"):
                break
            try:
                print("concierge> ", end="", flush=True)
                for event in assistant.stream(args.session, text):
                    if not isinstance(event, Reply):
                        print(event, end="", flush=True)
                print()
            except InvalidInput as exc:
                print(f"(not sent: {exc})")
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        answer = assistant.why(args.session, args.item_id)
        picture = assistant.why_picture(args.session, args.item_id) if args.picture else None
    print(answer.model_dump_json(indent=2) if args.json else answer.text)
    if args.picture:
        if picture is None:
            print("(no graph paths to draw for this item)", file=sys.stderr)
        else:
            args.picture.write_bytes(picture)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        profile = assistant.feedback(args.session, args.item_id, args.kind)
    print(profile.model_dump_json(indent=2))
    return 0


@contextmanager
def _session_store(settings: Settings, need_graph: bool = False) -> Iterator[tuple[SessionStore, GraphStore | None]]:
    """The store ``settings.profile_store`` names, and the graph when it holds the store or ``need_graph``.

    Models and indexes are not loaded; everything opened is closed afterwards.
    """
    from assistant.errors import ProfileStoreUnavailable
    from assistant.sessions.store import open_session_store
    from kg.store import GraphStore, GraphUnavailable

    graph = None
    if settings.profile_store == "graph" or need_graph:
        try:
            graph = GraphStore.from_config(settings.graph_config())
        except GraphUnavailable as exc:
            raise ProfileStoreUnavailable.graph_down(exc, holds_profiles=settings.profile_store == "graph") from exc
    try:
        yield open_session_store(settings, graph), graph
    finally:
        if graph is not None:
            graph.close()


def cmd_profile(args: argparse.Namespace) -> int:
    deleting = args.action == "delete"
    import json

    from assistant.sessions.impression_stores import impression_log_for
    from assistant.sessions.impressions import exported

    with _session_store(_settings(args), need_graph=deleting) as (store, graph):
        log = impression_log_for(store)
        if not deleting:
            shown = {**store.load_profile(args.session).model_dump(mode="json")}
            shown["feedback_log"] = exported(*log.session_log(args.session))
            print(json.dumps(shown, indent=2))
            return 0
        if graph is not None:
            graph.forget_user(args.session)  # first, so that a graph that is down leaves the session whole
        log.delete_session(args.session)
        store.delete_session(args.session)
    print(f"deleted everything stored for session {args.session!r}, in the profile store and the graph")
    return 0


def cmd_learn(args: argparse.Namespace) -> int:
    import json

    from assistant.learning.learn import learn, rollback
    from assistant.sessions.impression_stores import impression_log_for
    from retrieval.policy import LinearPolicy, read_policy

    settings = _settings(args)
    if args.rollback:
        try:
            restored = rollback(settings.policy_path)
        except FileNotFoundError as exc:
            print(f"concierge: error: {exc}", file=sys.stderr)
            return 1
        print(f"the policy is back at version {restored.version}")
        return 0
    if args.report:
        policy = read_policy(settings.policy_path) or LinearPolicy()
        print(json.dumps(policy.describe(), indent=2))
        return 0
    with _session_store(settings) as (store, _):
        report = learn(
            impression_log_for(store), settings.policy_path, settings.feedback_interactions_path, progress=True
        )
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(("promoted: " if report["promote"] else "kept the current policy: ") + report["reason"], file=sys.stderr)
    return 0


def cmd_train_scorer(args: argparse.Namespace) -> int:
    from retrieval.scorer.command import train_and_save

    settings = _settings(args)
    out: Path = args.out
    metrics = train_and_save(
        interactions=args.interactions,
        catalogue_dir=settings.catalogue,
        out=out,
        embedding_model=settings.embedding_spec,
        seed=args.seed,
        max_epochs=args.max_epochs,
    )
    print(
        f"{metrics['users']} users, {metrics['items']} items, trained in {metrics['train_seconds']} s; saved to {out}"
    )
    for split in ("valid", "test"):
        print(f"  {split:5s} " + "  ".join(f"{name} {value:.4f}" for name, value in metrics[split].items()))
    return 0


def cmd_fit_ranking(args: argparse.Namespace) -> int:
    import json

    from assistant.errors import InvalidInput
    from assistant.learning.fit_ranking import fit_ranking
    from assistant.learning.replay import TurnReplayer
    from assistant.learning.turns import TurnsFileError, read_turns
    from retrieval.fusion import CUTOFFS

    turns = list(read_turns(args.turns))
    if not turns:
        raise TurnsFileError(f"{args.turns} holds no turns")
    if args.folds < 2:
        raise InvalidInput(f"--folds must be at least 2, not {args.folds}")
    with _assistant(args) as assistant:
        replayer = TurnReplayer(assistant.pipeline, depth=max(CUTOFFS))
        settings = assistant.settings
        path = settings.curves_path if args.model == "curves" else settings.fusion_path
        report = fit_ranking(replayer, turns, args.folds, str(args.turns), path, args.model)
    columns = ("recall@1", "recall@10", "recall@50", "ndcg@10")
    print(f"{'ranking':<34}" + "".join(f"{name:>11}" for name in columns))
    cross = report["cross_validated"]
    for label, figures in (
        ("in use before", report["as_configured"]),
        (f"fitted ({cross['folds']}-fold, held out)", cross),
    ):
        print(f"{label:<34}" + "".join(f"{figures[name]:>11.3f}" for name in columns))
    print(f"{len(turns)} turns; {args.model} fitted on all of them saved to {report['saved_to']}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def cmd_train_retriever(args: argparse.Namespace) -> int:
    from assistant.learning.retriever_pairs import training_pairs
    from assistant.learning.train_retriever import RetrieverTraining, train_retriever
    from kg.catalogue import load_catalogue

    settings = _settings(args)
    catalogue = load_catalogue(settings.catalogue)
    pairs = training_pairs(args.turns, args.tags, catalogue)
    config = RetrieverTraining(mode=args.mode, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    report = train_retriever(pairs, catalogue, settings.embedding_model, args.out, config)
    sources = ", ".join(f"{count} from {source}" for source, count in report["pairs"].items())
    print(f"{sum(report['pairs'].values())} pairs ({sources}) over {report['items']} items")
    print(f"trained in {report['train_seconds']} s on {report['device']}; saved to {args.out}")
    if "held_out_after" in report:
        before, after = report["held_out_before"], report["held_out_after"]
        print(
            f"held-out dialogues ({report['held_out_pairs']} pairs): "
            + ", ".join(f"{name} {before[name]:.3f} -> {after[name]:.3f}" for name in before)
        )
    print(f"use it with CONCIERGE_RETRIEVER_DIR={args.out} (indexes are rebuilt on the next start)")
    return 0


def cmd_learn_comentions(args: argparse.Namespace) -> int:
    from assistant.learning.comentions import count_comentions
    from assistant.learning.replay import title_index
    from assistant.learning.turns import read_turns
    from assistant.settings import COMENTIONS_FILE
    from kg.catalogue import load_catalogue

    settings = _settings(args)
    titles = title_index(load_catalogue(settings.catalogue))
    index = count_comentions((turn for path in args.turns for turn in read_turns(path)), titles)
    out: Path = args.out or settings.data_dir / COMENTIONS_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    index.save(out)
    pairs = sum(len(targets) for targets in index.counts.values())
    print(f"{pairs} (liked film, recommended film) pairs from {len(index)} liked films; saved to {out}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from ui.app import launch

    launch(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the assistant over MCP until the client hangs up (stdio) or the process is stopped (HTTP)."""
    from contextlib import redirect_stdout

    from assistant.api import Assistant
    from assistant.mcp_server import build_server, is_loopback

    if not is_loopback(args.host):  # before minutes of loading, not after
        from assistant.errors import InvalidInput

        raise InvalidInput(f"the MCP server serves loopback only (it has no authentication), not {args.host!r}")
    with redirect_stdout(sys.stderr):  # over stdio, stdout carries the protocol and nothing else
        assistant = Assistant.from_settings(_settings(args), progress=True)
    try:
        server = build_server(assistant, host=args.host, port=args.port)
        if args.transport == "streamable-http":
            print(f"Concierge MCP server on http://{args.host}:{args.port}/mcp", file=sys.stderr, flush=True)
        server.run(transport=args.transport)
    finally:
        assistant.close()
    return 0


class _OneLineParser(argparse.ArgumentParser):
    """Arguments it cannot take are one line on stderr and exit status 2, as every other bad input is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"concierge: error: {message} (see concierge --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="concierge", description="Conversational recommendation assistant.")
    parser.add_argument("--data-dir", help="where indexes and profiles live (default: settings)")
    parser.add_argument("--catalogue", help="catalogue directory (default: the shipped demo)")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="build the vector store and the graph from a catalogue")
    ingest.set_defaults(handler=cmd_ingest)

    ask = commands.add_parser("ask", help="one turn")
    ask.add_argument("text")
    ask.add_argument("--session", default="cli")
    ask.add_argument("--json", action="store_true", help="print the typed reply as JSON")
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", help="interactive chat in the terminal")
    chat.add_argument("--session", default="cli")
    chat.set_defaults(handler=cmd_chat)

    why = commands.add_parser("why", help="why an item was suggested in a session")
    why.add_argument("item_id")
    why.add_argument("--session", default="cli")
    why.add_argument("--json", action="store_true")
    why.add_argument("--picture", type=Path, help="also save the graph paths as a PNG picture here")
    why.set_defaults(handler=cmd_why)

    feedback = commands.add_parser("feedback", help="thumbs up/down or seen on an item")
    feedback.add_argument("item_id")
    feedback.add_argument("kind", choices=["liked", "disliked", "seen"])
    feedback.add_argument("--session", default="cli")
    feedback.set_defaults(handler=cmd_feedback)

    profile = commands.add_parser("profile", help="show/export or delete a session's profile")
    profile.add_argument("action", choices=["show", "export", "delete"])
    profile.add_argument("--session", default="cli")
    profile.set_defaults(handler=cmd_profile)

    train = commands.add_parser("train-scorer", help="train the ranking scorer on an interaction log")
    train.add_argument("--interactions", type=Path, required=True, help="ratings CSV (catalogue or MovieLens columns)")
    train.add_argument("--catalogue", default=argparse.SUPPRESS, help="catalogue with the items' text and facts")
    train.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--max-epochs", type=int, default=None, help="cap on the sequence model's epochs")
    train.set_defaults(handler=cmd_train_scorer)

    fit = commands.add_parser("fit-ranking", help="fit the ranking to turns of real conversations")
    fit.add_argument(
        "--turns", type=Path, required=True, help="JSON lines with dialog_id, context, rec (and entity) per turn"
    )
    fit.add_argument("--folds", type=int, default=5, help="folds by dialogue for the held-out figures")
    fit.add_argument("--report", type=Path, help="also write the report as JSON here")
    fit.add_argument(
        "--model",
        choices=("weights", "curves"),
        default="weights",
        help="the weighted sum's weights, or one learned curve per feature (ranks instead of the weights)",
    )
    fit.set_defaults(handler=cmd_fit_ranking)

    retriever = commands.add_parser(
        "train-retriever", help="fine-tune the text encoder on conversations and tags (dual encoder)"
    )
    retriever.add_argument(
        "--turns",
        type=Path,
        nargs="+",
        default=[],
        help="turns files or raw ReDial dialogues files (training splits only)",
    )
    retriever.add_argument("--tags", type=Path, help="a MovieLens folder whose tags.csv pairs tags with films")
    retriever.add_argument("--catalogue", default=argparse.SUPPRESS, help="catalogue whose items are the targets")
    retriever.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    retriever.add_argument(
        "--mode",
        choices=("head", "full"),
        default="head",
        help="train small heads on the frozen model, or fine-tune it all (GPU)",
    )
    retriever.add_argument("--epochs", type=int, help="head: the most epochs (default 40); full: default 1")
    retriever.add_argument("--batch-size", type=int, help="head: 256; full: 32")
    retriever.add_argument("--seed", type=int, default=0)
    retriever.set_defaults(handler=cmd_train_retriever)

    comentions = commands.add_parser(
        "learn-comentions", help="count what people who liked a film were recommended in conversations"
    )
    comentions.add_argument(
        "--turns", type=Path, nargs="+", required=True, help="turns files or raw ReDial dialogues files"
    )
    comentions.add_argument("--catalogue", default=argparse.SUPPRESS, help="catalogue whose items are counted")
    comentions.add_argument("--out", type=Path, help="where to write them (default: the data directory)")
    comentions.set_defaults(handler=cmd_learn_comentions)

    learning = commands.add_parser(
        "learn", help="refit the learning policy from the impression log; promote it only if it is not worse"
    )
    learning.add_argument("--json", type=Path, help="also write the report as JSON here")
    learning.add_argument("--report", action="store_true", help="print the policy in use and learn nothing")
    learning.add_argument("--rollback", action="store_true", help="put the policy before the last promotion back")
    learning.set_defaults(handler=cmd_learn)

    ui = commands.add_parser("ui", help="start the Gradio web UI")
    ui.add_argument("--host", default=None)
    ui.add_argument("--port", type=int, default=None)
    ui.set_defaults(handler=cmd_ui)

    mcp = commands.add_parser("mcp", help="serve the assistant to MCP clients (agents, desktop assistants)")
    mcp.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="streamable-http: a loopback address (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8765, help="streamable-http: the port (default 8765)")
    mcp.set_defaults(handler=cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.errors import InvalidInput, ProfileStoreUnavailable
    from assistant.learning.fit_ranking import NotAWeightedSum
    from assistant.learning.turns import TurnsFileError
    from kg.catalogue import CatalogueError
    from kg.errors import GraphUnavailable, StoreNewerThanCode
    from retrieval.policy import PolicyFileError
    from retrieval.scorer.interactions import ScorerInputError

    args = build_parser().parse_args(argv)
    try:
        _checked(args, _settings(args))
        return args.handler(args)
    except (InvalidInput, CatalogueError, ScorerInputError, NotAWeightedSum, TurnsFileError) as exc:
        print(f"concierge: error: {exc}", file=sys.stderr)
        return 2
    except (ProfileStoreUnavailable, GraphUnavailable, StoreNewerThanCode, PolicyFileError) as exc:
        print(f"concierge: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
