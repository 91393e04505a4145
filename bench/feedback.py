"""Learning from feedback: today's static ranking, the learning policy and random exploration, on real reactions.

Run as ``python -m bench.feedback --json bench/results/feedback.json --plot bench/results/feedback.png``
(the data sets folder from ``--datasets`` or ``CONCIERGE_DATASETS_DIR``).

No chat model runs: the assistant's own understand (rules), retrieve, filter
and rank stages build every candidate pool, as a turn does, and the three arms
order the same pool.  ``static`` is the ranking as it is (re-ranking
included), ``learned`` the learning policy (:mod:`retrieval.policy`) learning
online from each reaction, ``random`` the same exploration with nothing
learned.  Every list is checked to hold only candidates the filter allowed.

- ``replay`` (ReDial): each movie a human recommender suggested whose seeker
  answered whether they liked it is an event (context, suggested movie,
  liked or not).  An arm ranks the turn's pool; the event counts for the arm
  when the suggested movie is in its top ``REPLAY_LIST`` (Li et al.'s replay),
  and the arm then learns its reward (+1 liked, -1 not).  Like-rate = likes
  over counted events.  Tuned on the training dialogues, reported on the
  validation dialogues.
- ``simulation`` (MovieLens latest-small): each user's ratings split in time
  (the older half is their past, the newer their future).  A user opens each
  session with a message built from their past (liked titles, genres), with
  the past in their profile; the arm shows ``SIMULATED_LIST`` films not shown
  to them before; the user likes those rated >= 4 in their future, turns down
  those rated <= 2, and says nothing otherwise.  Sessions interleave users
  (every user's first session, then every user's second, ...).  The pool of a
  user is retrieved once (their opening message and profile are the same
  every session).  The ranker is the weighted sum: the shipped scorer was
  trained on every rating, the future included.  Tuned on users with odd ids,
  reported on users with even ids.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from tqdm.auto import tqdm

from assistant.ingest import ingest, read_manifest, vector_location
from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import ConversationTurn, redial_dialogue_turns
from assistant.sessions.memory import InMemorySessionStore
from assistant.sessions.profile import UserProfile
from assistant.settings import COMENTIONS_FILE, Settings
from assistant.turn.pipeline import TurnPipeline
from assistant.understanding.linking import normalise
from assistant.wiring import Parts, build_pipeline, build_rank_stage
from bench.crs import BUILDERS, learn_from_conversations
from bench.crs_catalogue import REPORT_FILE
from bench.plotting import pyplot, save
from bench.timing import percentile
from kg.catalogue import Catalogue, Interaction, load_catalogue
from retrieval.collaborative import CoLikeIndex
from retrieval.embeddings import shared_embedder
from retrieval.policy import REWARDS, LinearPolicy
from retrieval.ranking import DEFAULT_WEIGHTS, RankedCandidate, WeightedSumRanker
from retrieval.reranking import DEPTH
from retrieval.vector_store import VectorIndex

REPLAY_LIST = 10
SIMULATED_LIST = 5
SESSIONS = 10
KEPT = 150
"""How many of the static order's best candidates of a user's pool the simulation keeps (ten sessions of five
films leave a hundred unshown)."""
EXPLORATION_GRID = (0.05, 0.1, 0.2)
PRIOR_GRID = (1.0, 10.0, 100.0)
CHOSEN_EXPLORATION = 0.1
"""The random arm's exploration, and the setting's default."""

Arrange = Callable[[list[RankedCandidate], int], list[RankedCandidate]]


@dataclass
class Arm:
    """One way of ordering a pool: static, learning or exploring at random."""

    name: str
    policy: LinearPolicy | None
    exploration: float
    learns: bool
    draw: random.Random
    shown: int = 0
    violations: int = 0

    def rank(self, scored: list[RankedCandidate], count: int, arrange: Arrange) -> list[RankedCandidate]:
        if self.policy is None:
            return arrange(scored, count)
        ordered, matrix = self.policy.order(scored)
        return self.policy.choose(ordered, matrix, arrange(ordered, count), self.exploration, self.draw)

    def learn(self, shown: Sequence[RankedCandidate], rewards: dict[str, float]) -> None:
        """Learn from one shown list as the assistant does: only when someone reacted to it, then every item
        of it is an impression and every reward a reaction (:mod:`assistant.learning.reactions`)."""
        policy = self.policy
        if not self.learns or policy is None or not any(rewards.values()):
            return
        for entry in shown:
            if entry.policy is None:
                continue
            context = np.array([entry.policy.context.get(name, 0.0) for name in policy.names])
            policy.record_impression(context)
            reward = rewards.get(entry.candidate.item_id, 0.0)
            if reward:
                policy.record_reaction(context, reward)

    def check(self, shown: Sequence[RankedCandidate], allowed: set[str]) -> None:
        self.shown += len(shown)
        self.violations += sum(entry.candidate.item_id not in allowed for entry in shown)


def arms(exploration: float, prior_strength: float, seed: int) -> list[Arm]:
    return [
        Arm("static", None, 0.0, False, random.Random(seed)),
        Arm("learned", LinearPolicy(prior_strength=prior_strength), exploration, True, random.Random(seed + 1)),
        Arm("random", LinearPolicy(), CHOSEN_EXPLORATION, False, random.Random(seed + 2)),
    ]


def arranger(pipeline: TurnPipeline, diversity: float) -> Arrange:
    """The rank stage's planned list from a scored order: exposure-aware re-ranking, as a turn does."""
    from retrieval.reranking import rerank

    stage = pipeline.rank

    def arrange(ordered: list[RankedCandidate], count: int) -> list[RankedCandidate]:
        if diversity <= 0 or stage.exposure is None:
            return list(ordered[:count])
        return rerank(ordered[: max(count, DEPTH)], stage.exposure(), stage.likes, diversity, count)

    return arrange


def offline_pipeline(settings: Settings, catalogue: Catalogue | None = None) -> TurnPipeline:
    """The stages on the settings' catalogue's vector index (built when missing), with no graph server and a
    scripted chat model; ``catalogue``: the same items with other interactions (the simulation's past)."""
    ingest(settings, progress=True, with_graph=False)
    catalogue = catalogue or load_catalogue(settings.catalogue)
    manifest = read_manifest(settings)
    assert manifest is not None
    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    vectors = VectorIndex(vector_location(settings, manifest), embedder)
    parts = Parts(settings, catalogue, FakeListChatModel(responses=["-"]), None, vectors, InMemorySessionStore())
    return build_pipeline(parts)


# ------------------------------------------------------------------ replay on ReDial


@dataclass
class ReplayTurn:
    scored: list[RankedCandidate]
    allowed: set[str]
    events: list[tuple[str, bool]]
    """(suggested item id, liked) for every suggestion the seeker answered about."""


def answered_turns(path: Path) -> list[tuple[ConversationTurn, list[tuple[str, bool]]]]:
    """Each recommendation turn with the seeker's like / not-like answers on the movies it suggested."""
    found = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            dialogue = json.loads(line)
            dialogue["movieMentions"] = {
                key: name for key, name in (dialogue.get("movieMentions") or {}).items() if name
            }
            names = {key: " ".join(value.split()) for key, value in dialogue["movieMentions"].items()}
            answers = dialogue.get("initiatorQuestions") or dialogue.get("respondentQuestions") or {}
            liked = {names[key]: answer.get("liked") for key, answer in answers.items() if key in names}
            for turn in redial_dialogue_turns(dialogue):
                events = [(name, liked[name] == 1) for name in turn.rec if liked.get(name) in (0, 1)]
                if events:
                    found.append((turn, events))
    return found


def replay_turns(pipeline: TurnPipeline, path: Path, limit: int | None, label: str) -> list[ReplayTurn]:
    """Every answered turn's scored pool (the static ranker over the filtered pool, mentioned films removed)."""
    replayer = TurnReplayer(pipeline, depth=REPLAY_LIST)
    ranker = pipeline.rank.ranker
    turns = []
    answered = answered_turns(path)
    budget = limit if limit is not None else sum(len(events) for _, events in answered)
    for turn, events in tqdm(answered, desc=f"redial {label} pools", unit="turn"):
        if budget <= 0:
            break
        request, mentioned = replayer.prepared(turn)
        allowed = [c for c in replayer.allowed(turn) if c.item_id not in mentioned]
        ids = [(replayer.titles.get(normalise(name), ""), liked) for name, liked in events]
        turns.append(ReplayTurn(ranker.rank(allowed, request, len(allowed)), {c.item_id for c in allowed}, ids))
        budget -= len(events)
    return turns


def run_replay(turns: Sequence[ReplayTurn], arrange: Arrange, exploration: float, prior: float, seed: int) -> dict:
    """Replay every turn through the three arms; like-rates overall and per block of 100 stream events."""
    result: dict[str, Any] = {}
    for arm in arms(exploration, prior, seed):
        counted = likes = stream = 0
        curve: list[float] = []
        for turn in turns:
            shown = arm.rank(turn.scored, REPLAY_LIST, arrange)
            arm.check(shown, turn.allowed)
            by_id = {entry.candidate.item_id: entry for entry in shown}
            rewards: dict[str, float] = {}
            for item_id, liked in turn.events:
                stream += 1
                if item_id in by_id:
                    counted += 1
                    likes += liked
                    rewards[item_id] = REWARDS["liked"] if liked else REWARDS["disliked"]
                if stream % 100 == 0:
                    curve.append(round(likes / counted, 4) if counted else 0.0)
            arm.learn(shown, rewards)
        result[arm.name] = {
            "like_rate": round(likes / counted, 4) if counted else 0.0,
            "likes_per_100_events": round(100 * likes / stream, 2) if stream else 0.0,
            "counted_events": counted,
            "likes": likes,
            "events": stream,
            "like_rate_per_100_events": curve,
            "constraint_violations": arm.violations,
        }
    return result


# ------------------------------------------------------------------ MovieLens simulation


@dataclass
class SimulatedUser:
    user_id: str
    scored: list[RankedCandidate]
    allowed: set[str]
    future: dict[str, float]
    message: str


@dataclass
class Timings:
    policy_ms: list[float] = field(default_factory=list)
    embedding_ms: list[float] = field(default_factory=list)


def read_ratings(path: Path) -> dict[str, list[tuple[int, str, float]]]:
    by_user: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_user[row["userId"]].append((int(row["timestamp"]), row["movieId"], float(row["rating"])))
    return {user: sorted(rows) for user, rows in by_user.items()}


def past(rows: list[tuple[int, str, float]]) -> list[tuple[int, str, float]]:
    """The older half of a user's ratings: what the assistant may know of them."""
    return rows[: len(rows) // 2]


def simulation_pipeline(settings: Settings, ratings: dict[str, list[tuple[int, str, float]]]) -> TurnPipeline:
    """The demo's stages with only everyone's past as interactions (co-likes, popularity, the linker's counts) and
    the weighted-sum ranker."""
    catalogue = load_catalogue(settings.catalogue)
    interactions = tuple(
        Interaction(user, item, rating, at)
        for user, rows in ratings.items()
        for at, item, rating in past(rows)
        if item in catalogue.items
    )
    history = dataclasses.replace(catalogue, interactions=interactions)
    pipeline = offline_pipeline(settings, history)
    colike = CoLikeIndex(interactions, list(catalogue.items), settings.min_liked_rating)
    pipeline.rank = build_rank_stage(settings, history, WeightedSumRanker(DEFAULT_WEIGHTS), colike)
    return pipeline


def simulated_users(
    settings: Settings,
    pipeline: TurnPipeline,
    ratings: dict[str, list[tuple[int, str, float]]],
    users: Sequence[str],
    timings: Timings,
) -> list[SimulatedUser]:
    """Each user's opening message and profile from their past, and their scored pool."""
    catalogue = pipeline.catalogue
    ranker = pipeline.rank.ranker
    built = []
    for user in tqdm(users, desc="movielens users", unit="user"):
        rows = past(ratings[user])
        liked = [item for _, item, rating in rows if rating >= settings.min_liked_rating and item in catalogue.items]
        genres = Counter(g for item in liked for g in catalogue.items[item].attributes.get("genres", ()))
        titles = [catalogue.items[item].display_title for item in liked[-3:]]
        message = f"I liked {', '.join(titles) or 'a few films'}; I enjoy {' and '.join(g for g, _ in genres.most_common(2)) or 'films'}."
        profile = UserProfile(liked=liked[-20:], seen=[item for _, item, _ in rows])
        started = time.perf_counter()
        request = pipeline.retrieve.request(profile, message)  # the message's one query embedding, and the request
        timings.embedding_ms.append(1000 * (time.perf_counter() - started))
        allowed = pipeline.filter.run(pipeline.retrieve.run(request).pool, request).allowed
        scored = ranker.rank(allowed, request, len(allowed))
        started = time.perf_counter()
        policy = LinearPolicy()
        ordered, matrix = policy.order(scored)
        policy.choose(ordered, matrix, ordered[:SIMULATED_LIST], CHOSEN_EXPLORATION, random.Random(0))
        timings.policy_ms.append(1000 * (time.perf_counter() - started))
        future = {item: rating for _, item, rating in ratings[user][len(rows) :]}
        built.append(SimulatedUser(user, scored[:KEPT], {c.item_id for c in allowed}, future, message))
    return built


def reaction(rating: float | None) -> float:
    if rating is None:
        return 0.0
    return REWARDS["liked"] if rating >= 4 else REWARDS["disliked"] if rating <= 2 else 0.0


def run_simulation(
    people: Sequence[SimulatedUser], arrange: Arrange, exploration: float, prior: float, seed: int, sessions: int
) -> dict:
    """Every user's sessions, interleaved, through the three arms; likes per session, in order."""
    result: dict[str, Any] = {}
    for arm in arms(exploration, prior, seed):
        shown_before: dict[str, set[str]] = defaultdict(set)
        per_session: list[float] = []
        order = list(range(len(people)))
        for _ in range(sessions):
            random.Random(seed + len(per_session)).shuffle(order)
            likes = 0
            for index in order:
                person = people[index]
                available = [e for e in person.scored if e.candidate.item_id not in shown_before[person.user_id]]
                shown = arm.rank(available, SIMULATED_LIST, arrange)
                arm.check(shown, person.allowed)
                rewards = {
                    entry.candidate.item_id: reaction(person.future.get(entry.candidate.item_id)) for entry in shown
                }
                likes += sum(reward > 0 for reward in rewards.values())
                arm.learn(shown, rewards)
                shown_before[person.user_id].update(rewards)
            per_session.append(likes / len(people))
        result[arm.name] = {
            "likes_per_session": round(float(np.mean(per_session)), 4),
            "likes_per_session_by_session": [round(value, 4) for value in per_session],
            "cumulative_likes_per_user": [round(float(v), 4) for v in np.cumsum(per_session)],
            "constraint_violations": arm.violations,
        }
        if arm.policy is not None and arm.learns:
            result[arm.name]["learned_weights"] = arm.policy.describe()["learned_weights"]
    return result


# ------------------------------------------------------------------ tuning, reporting


def tune(evaluate: Callable[[float, float], dict], metric: Callable[[dict], float]) -> dict[str, Any]:
    """Every (exploration, prior strength) on the tuning part; the best by the learned arm's metric."""
    grid = []
    for exploration in EXPLORATION_GRID:
        for prior in PRIOR_GRID:
            result = evaluate(exploration, prior)
            grid.append(
                {
                    "exploration": exploration,
                    "prior_strength": prior,
                    "learned": metric(result["learned"]),
                    "static": metric(result["static"]),
                }
            )
    best = max(grid, key=lambda row: row["learned"])
    return {"grid": grid, "chosen": {"exploration": best["exploration"], "prior_strength": best["prior_strength"]}}


def relative(learned: float, static: float) -> float:
    return round(learned / static - 1, 4) if static else 0.0


def print_table(document: dict[str, Any]) -> None:
    print(f"{'evaluation':<12}{'arm':<10}{'value':>10}{'vs static':>12}")
    for evaluation, key in (("replay", "like_rate"), ("simulation", "likes_per_session")):
        static = document[evaluation]["static"][key]
        for arm in ("static", "learned", "random"):
            value = document[evaluation][arm][key]
            print(f"{evaluation:<12}{arm:<10}{value:>10.4f}{relative(value, static):>+12.1%}")


def plot(document: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for arm in ("static", "learned", "random"):
        curve = document["replay"][arm]["like_rate_per_100_events"]
        left.plot([100 * (i + 1) for i in range(len(curve))], curve, label=arm)
        right.plot(
            range(1, len(document["simulation"][arm]["cumulative_likes_per_user"]) + 1),
            document["simulation"][arm]["cumulative_likes_per_user"],
            marker="o",
            label=arm,
        )
    left.set(title="ReDial replay (validation)", xlabel="events", ylabel="like-rate of counted events so far")
    right.set(title="MovieLens simulation (report users)", xlabel="session", ylabel="cumulative likes per user")
    left.legend()
    right.legend()
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, help="the research data sets folder")
    parser.add_argument("--work-dir", type=Path, help="ReDial catalogue and indexes (default: <data dir>/crs/redial)")
    parser.add_argument("--users", type=int, help="at most this many MovieLens users in each part (default: all)")
    parser.add_argument("--events", type=int, help="at most this many ReDial events in each part (default: all)")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the machine's two cores are shared; more threads only wait on each other
    settings = Settings(justifications="template", extraction="rules", llm_model="smollm2-135m", learning=False)
    datasets = args.datasets or settings.datasets_dir
    if datasets is None:
        raise SystemExit("name the data sets folder with --datasets or CONCIERGE_DATASETS_DIR")
    started = time.perf_counter()

    ratings = read_ratings(Path(datasets) / "movielens-latest-small" / "ratings.csv")
    tuning_users = [u for u in sorted(ratings, key=int) if int(u) % 2 == 1][: args.users]
    report_users = [u for u in sorted(ratings, key=int) if int(u) % 2 == 0][: args.users]
    timings = Timings()
    sim_pipeline = simulation_pipeline(settings, ratings)
    tuning_people = simulated_users(settings, sim_pipeline, ratings, tuning_users, timings)
    report_people = simulated_users(settings, sim_pipeline, ratings, report_users, timings)
    sim_arrange = arranger(sim_pipeline, settings.diversity)

    def simulate(people: Sequence[SimulatedUser]) -> Callable[[float, float], dict]:
        return lambda exploration, prior: run_simulation(
            people, sim_arrange, exploration, prior, args.seed, args.sessions
        )

    sim_tuning = tune(simulate(tuning_people), lambda arm: arm["likes_per_session"])
    chosen = sim_tuning["chosen"]
    simulation = simulate(report_people)(chosen["exploration"], chosen["prior_strength"])

    work = args.work_dir or settings.data_dir / "crs" / "redial"
    catalogue_dir = work / "catalogue"
    if not (catalogue_dir / REPORT_FILE).is_file():
        BUILDERS["redial"](Path(datasets), catalogue_dir)
    retriever = work.parent / "retriever"
    redial_settings = Settings(
        catalogue=catalogue_dir,
        data_dir=work / ("data" if retriever.is_dir() else "data-packaged-retriever"),
        retriever_dir=retriever if retriever.is_dir() else None,
        justifications="template",
        extraction="rules",
        llm_model="smollm2-135m",
        learning=False,
    )
    learn_from_conversations(
        catalogue_dir,
        Path(datasets),
        work.parent,
        redial_settings.retriever_dir,
        redial_settings.data_dir / COMENTIONS_FILE,
    )
    redial_pipeline = offline_pipeline(redial_settings)
    redial_arrange = arranger(redial_pipeline, redial_settings.diversity)
    redial = Path(datasets) / "redial"
    train_turns = replay_turns(redial_pipeline, redial / "train_dialogues_partial.jsonl", args.events, "train")
    valid_turns = replay_turns(redial_pipeline, redial / "valid_dialogues.jsonl", args.events, "valid")
    replay_tuning = tune(
        lambda exploration, prior: run_replay(train_turns, redial_arrange, exploration, prior, args.seed),
        lambda arm: arm["like_rate"],
    )
    picked = replay_tuning["chosen"]
    replay = run_replay(valid_turns, redial_arrange, picked["exploration"], picked["prior_strength"], args.seed)

    document: dict[str, Any] = {
        "replay": replay,
        "simulation": simulation,
        "relative_gain": relative(
            simulation["learned"]["likes_per_session"], simulation["static"]["likes_per_session"]
        ),
        "replay_relative_gain": relative(replay["learned"]["like_rate"], replay["static"]["like_rate"]),
        "constraint_violations": sum(
            part[arm]["constraint_violations"]
            for part in (replay, simulation)
            for arm in ("static", "learned", "random")
        ),
        "policy_cost": {
            "policy_p50_ms": round(statistics.median(timings.policy_ms), 3),
            "query_embedding_p50_ms": round(statistics.median(timings.embedding_ms), 3),
            "policy_p95_ms": round(percentile(timings.policy_ms, 0.95), 3),
            "ratio_to_embedding": round(
                statistics.median(timings.policy_ms) / statistics.median(timings.embedding_ms), 3
            ),
        },
        "tuning": {"simulation": sim_tuning, "replay": replay_tuning},
        "scale": {
            "replay_train_events": sum(len(t.events) for t in train_turns),
            "replay_valid_events": sum(len(t.events) for t in valid_turns),
            "simulation_tuning_users": len(tuning_people),
            "simulation_report_users": len(report_people),
            "sessions_per_user": args.sessions,
            "replay_list": REPLAY_LIST,
            "simulated_list": SIMULATED_LIST,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    print_table(document)
    print(
        json.dumps(
            {
                key: document[key]
                for key in ("relative_gain", "replay_relative_gain", "constraint_violations", "policy_cost", "scale")
            },
            indent=2,
        )
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(document, args.plot)


if __name__ == "__main__":
    main()
